"""`jenjang cycle …`: the yearly cycle's steps: ingest a new cycle, its drift against the last."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from features.store.settings import get_settings

if TYPE_CHECKING:
    from features.ingest.cycle import CycleReport

cycle_app = typer.Typer(help="The yearly cycle: ingest a new cycle, drift.", no_args_is_help=True)


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

    from features.store.database import create_db_engine
    from features.store.reads import load_records
    from training import registry
    from training.drift import drift_report, write_drift_report
    from training.registry import get_registry_settings

    settings = get_registry_settings()
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


@cycle_app.command("ingest")
def ingest(
    folder: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="The cycle's export (CSV/Parquet/Excel files)."
        ),
    ],
    year: Annotated[int, typer.Option(help="The cycle: the year of its annual SKP evaluations.")],
    extracted_on: Annotated[
        str | None,
        typer.Option(help="The export's date, YYYY-MM-DD: later facts are errors (default today)."),
    ] = None,
    reject_bad_rows: Annotated[
        bool,
        typer.Option(
            help="Leave out rows with errors (at most 1% of a table, 5% with the rows referring "
            "to them) instead of refusing the whole export; they are listed."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Write the table report to this CSV (problems: FILE-problems.csv)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="A mapping file for an export Jenjang does not know (docs/import.md)."),
    ] = None,
) -> None:
    """Validate and load a new cycle in one transaction; report what was added (by year of the
    facts), changed (and which columns) and rejected. SIASN and SIDAK exports are read as they
    come; rows without recorded_at are dated by the rule of docs/import.md, up to
    --extracted-on."""
    from features.cli import print_problems
    from features.ingest.cycle import CycleRefused, ingest_cycle
    from features.ingest.upsert import IngestRejected
    from features.store.database import create_db_engine

    console = Console()
    extract = _date_option(extracted_on, "--extracted-on")
    problems_path = report.with_name(report.stem + "-problems.csv") if report else None
    engine = create_db_engine(get_settings().database_url)
    try:
        with console.status(f"ingesting the cycle {year} from {folder} …"):
            found = ingest_cycle(folder, engine, year, extract, reject_bad_rows, mapping)
    except IngestRejected as rejected:
        print_problems(rejected.report.errors, rejected.report, problems_path)
        console.print(f"[red]rejected[/red]: {rejected}")
        if any("in the future" in p.message for p in rejected.report.errors):
            console.print("an export taken after today? give its date with --extracted-on")
        raise typer.Exit(1) from None
    except CycleRefused as refused:
        console.print(f"[red]refused[/red]: {refused}; nothing was written", highlight=False)
        raise typer.Exit(1) from None
    _print_cycle(console, found)
    print_problems(found.result.report.warnings, found.result.report, None)
    if found.rejected:
        rows = found.to_frame()["rejected"].sum()
        console.print(f"[yellow]left out[/yellow] {rows:,} rows, for these problems:")
        print_problems(found.rejected, found.result.report, None)
    if report is not None and problems_path is not None:
        found.to_frame().to_csv(report, index=False)
        _problems_frame(found).to_csv(problems_path, index=False)
        console.print(f"report written to {report}, problems to {problems_path}")
    console.print(f"next: jenjang cycle drift --year {year}")


def _date_option(value: str | None, hint: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=hint) from None


def _print_cycle(console: Console, found: CycleReport) -> None:
    """The cycle's table report; "—" where a table's rows have no date of their own."""
    from rich.table import Table as RichTable

    frame = found.to_frame()
    table = RichTable(*frame.columns, title=f"cycle {found.year}, batch {found.result.batch_id}")
    for row in frame.astype(object).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)


def _cell(value: object) -> str:
    import pandas as pd

    if value is None or value is pd.NA:
        return "—"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _problems_frame(found: CycleReport):  # type: ignore[no-untyped-def]
    """The rows left out, then the warnings, as one table (the same layout as refusals)."""
    import pandas as pd

    return pd.concat([found.rejected_frame(), found.result.report.to_frame()], ignore_index=True)
