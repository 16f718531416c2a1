"""`jenjang cycle …`: the yearly cycle's steps (so far: the drift of a cycle against the last)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from features.settings import get_settings

cycle_app = typer.Typer(help="The yearly cycle: drift of a new cycle.", no_args_is_help=True)


@cycle_app.command("drift")
def drift(
    year: Annotated[int, typer.Option(help="The new cycle.")],
    against: Annotated[
        int | None, typer.Option(help="The cycle to compare with (default: the year before).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="HTML report path (default: reports/drift-YEAR.html).")
    ] = None,
) -> None:
    """Feature distributions (PSI and KS per feature), label rates and new courses and
    positions of a cycle against the previous one; an HTML report with charts, logged to
    MLflow as a run of its own."""
    import mlflow

    from features.database import create_db_engine
    from features.records import load_records
    from training import registry
    from training.drift import drift_report, write_drift_report

    settings = get_settings()
    records = load_records(create_db_engine(settings.database_url))
    previous = against if against is not None else year - 1
    if previous >= year:
        raise typer.BadParameter(f"must be before {year}", param_hint="--against")
    try:
        found = drift_report(records, year, previous)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--year / --against") from None
    path = write_drift_report(found, report or Path("reports") / f"drift-{year}.html")
    registry.configure(settings)
    with mlflow.start_run(run_name=f"drift-{year}-vs-{previous}"):
        mlflow.set_tags({"kind": "drift", "data_snapshot": records.snapshot_id})
        measured = found.features.dropna(subset=["psi"])
        mlflow.log_metrics(
            {
                f"psi.{name}": float(value)
                for name, value in zip(measured["feature"], measured["psi"], strict=True)
            }
        )
        mlflow.log_artifact(str(path), artifact_path="drift")
    console = Console()
    console.print(found.features.head(10).round(3).to_string(index=False))
    console.print(found.labels.round(3).to_string(index=False))
    console.print(found.coverage.to_string(index=False))
    console.print(f"report: {path}")
