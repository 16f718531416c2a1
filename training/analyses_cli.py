"""`jenjang analyses …`: the analyst's questions about the data, beside the models."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from features.settings import get_settings

analyses_app = typer.Typer(help="Analyses: training impact.", no_args_is_help=True)
console = Console()


@analyses_app.command("impact")
def impact(
    out: Annotated[Path, typer.Option(help="Folder for the two CSV tables.")] = Path(
        "reports/impact"
    ),
    truth: Annotated[
        Path | None,
        typer.Option(help="A generated dataset: put its hidden true effects beside the estimates."),
    ] = None,
    min_takers: Annotated[
        int, typer.Option(help="Fewest takers for a course to be estimated.")
    ] = 50,
    as_of: Annotated[
        dt.datetime | None, typer.Option(help="Use the records known before this date.")
    ] = None,
) -> None:
    """Each course's effect on the competencies it targets and on the next SKP score, among
    those who took it, adjusted for who chose it (doubly robust), with 95% intervals."""
    from features.database import create_db_engine
    from features.records import load_records
    from training.impact import compare_with_truth, competency_effects, performance_effects
    from training.truth import Truth

    if min_takers < 10:
        raise typer.BadParameter("must be at least 10", param_hint="--min-takers")
    records = load_records(create_db_engine(get_settings().database_url))
    hidden = Truth.load(truth) if truth is not None else None
    cutoff = pd.Timestamp(as_of or dt.datetime.now())
    tables = {
        "competencies": competency_effects(records, cutoff, hidden, min_takers),
        "performance": performance_effects(records, hidden, min_takers),
    }
    out.mkdir(parents=True, exist_ok=True)
    summary = Table("outcome", "estimates", "MAE", "naive MAE", "bias", "95% coverage")
    for name, table in tables.items():
        table.to_csv(out / f"impact_{name}.csv", index=False)
        if hidden is not None and len(table):
            check = compare_with_truth(table)
            summary.add_row(
                name,
                f"{check['estimates']:.0f}",
                f"{check['mae']:.3f}",
                f"{check['naive_mae']:.3f}",
                f"{check['bias']:+.3f}",
                f"{check['coverage']:.2f}",
            )
        else:
            summary.add_row(name, str(len(table)), "", "", "", "")
    console.print(summary)
    console.print(f"tables in {out}/impact_competencies.csv and impact_performance.csv")
