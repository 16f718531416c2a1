"""`jenjang data …`: generate, validate, ingest and summarise HR data."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from features.store.database import create_db_engine
from features.store.settings import get_settings

if TYPE_CHECKING:
    from features.ingest.validation import Problem, ValidationReport
    from features.synth.config import GeneratorConfig

app = typer.Typer(help="Data: synthetic generator, validation, ingestion.", no_args_is_help=True)
console = Console()
log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 40
MAPPING = typer.Option(
    help="A mapping file (YAML) for an export Jenjang does not know: which file is which "
    "table, which column which, and how its codes read (`jenjang data map --init` drafts one)."
)
EXTRACTED_ON = typer.Option(
    help="The export's extraction date (YYYY-MM-DD): rows that do not say when they were "
    "recorded are dated by the rule in docs/import.md, never later than this."
)


def _date(text: str | None) -> dt.date | None:
    """A --date option as a date, or a clear error."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


#: What an ingest does after each step (the status line says it while it runs).
NEXT_STEP = {"validate": "writing the tables in one transaction"}


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the dataset into.")],
    scale: Annotated[
        str, typer.Option(help="province (Gorontalo, ~32k ASN) or national.")
    ] = "province",
    employees: Annotated[int | None, typer.Option(help="Override the number of ASN.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 42,
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    next_cycle_of: Annotated[
        Path | None,
        typer.Option(
            help="Continue this dataset by one year (same people, seed and mechanisms); "
            "the other options are read from its manifest."
        ),
    ] = None,
    regions: Annotated[
        int | None,
        typer.Option(help="National only: the first N of the 552 regions (about 10,000 ASN each)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="National only: regions simulated at once (default: the CPU count)."),
    ] = None,
) -> None:
    """Generate a synthetic ASN dataset with hidden ground truth (in OUT/truth/).

    The province is one file per table; a national dataset is Parquet partitioned by region
    (OUT/<table>/region=<code>/), its regions simulated in parallel: same seed, same bytes,
    whatever the number of workers."""
    from features.synth import GeneratorConfig, generate_dataset, next_cycle_config

    try:
        if next_cycle_of is None and scale != "national" and (regions, workers) != (None, None):
            raise ValueError("--regions and --workers are for --scale national")
        if workers is not None and workers < 1:
            raise ValueError(f"--workers must be at least 1, not {workers}")
        if next_cycle_of is not None:
            given = (
                employees is not None,
                regions is not None,
                seed != 42,
                scale != "province",
                file_format != "parquet",
            )
            if any(given):
                raise ValueError(
                    "--next-cycle-of takes the scale, head count, regions, seed and format of "
                    "the dataset it continues; leave those options out"
                )
            if out.resolve() == next_cycle_of.resolve():
                raise ValueError(
                    "--out must differ from --next-cycle-of: the earlier cycle is kept"
                )
            config = next_cycle_config(next_cycle_of)
        else:
            config = GeneratorConfig.for_scale(
                scale, employees=employees, seed=seed, file_format=file_format
            )
            if regions is not None:
                config = config.first_regions(regions)
        if config.scale == "national":
            summary = _generate_national(config, out, workers or os.cpu_count() or 1)
        elif workers is not None:
            raise ValueError(f"--workers is for national datasets; {next_cycle_of} is a province")
        else:
            summary = generate_dataset(config, out, progress=True)
    except ValueError as error:
        console.print(Text(f"error: {error}", style="red"))
        raise typer.Exit(2) from None
    console.print(f"[green]wrote[/green] {out}: {summary}")


def _generate_national(config: GeneratorConfig, out: Path, workers: int) -> dict[str, int]:
    """The national generator with a bar of ASN written and the time it took."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from features.synth.partitioned import generate_partitioned

    console.print(
        f"simulating {len(config.regions)} regions ({config.employees:,} ASN) on {workers} "
        f"worker processes into {out}/<table>/region=<code>/"
    )
    start = time.perf_counter()
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress("ASN written", *columns, console=console) as bar:
        task = bar.add_task("regions", total=sum(config.region_sizes()))
        summary = generate_partitioned(config, out, workers, lambda n: bar.advance(task, n))
    console.print(f"done in {time.perf_counter() - start:.0f} s")
    return summary


@app.command()
def validate(
    folder: Annotated[Path, typer.Argument(help="Folder of CSV/Parquet/Excel/JSON exports.")],
    report: Annotated[Path | None, typer.Option(help="Write every problem to this CSV.")] = None,
    mapping: Annotated[Path | None, MAPPING] = None,
    extracted_on: Annotated[str | None, EXTRACTED_ON] = None,
) -> None:
    """Check an export against the canonical schema without writing anything."""
    from features.ingest.validation import validate_folder

    engine = create_db_engine(get_settings().database_url)
    result = validate_folder(
        folder, engine=engine, mapping=mapping, extracted_on=_date(extracted_on)
    )
    print_problems(result.problems, result, report)
    if not result.ok:
        raise typer.Exit(1)
    console.print(
        f"[green]valid[/green]: {sum(len(t) for t in result.tables.values()):,} rows "
        f"in {len(result.tables)} tables, {len(result.warnings)} warnings"
    )


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of CSV/Parquet/Excel/JSON exports.")],
    report: Annotated[Path | None, typer.Option(help="Write every problem to this CSV.")] = None,
    mapping: Annotated[Path | None, MAPPING] = None,
    extracted_on: Annotated[str | None, EXTRACTED_ON] = None,
) -> None:
    """Validate and load an export into the database in one transaction (idempotent)."""
    from features.ingest.upsert import IngestRejected, ingest_folder

    settings = get_settings()
    engine = create_db_engine(settings.database_url)
    started = last = time.perf_counter()

    def done(step: str) -> None:  # each step as it ends, with its time
        nonlocal last
        now = time.perf_counter()
        console.print(f"  {step} done in {now - last:.1f} s", highlight=False)
        status.update(f"ingesting {folder}: {NEXT_STEP.get(step, 'writing the next table')} …")
        last = now

    try:
        with console.status(f"ingesting {folder}: reading and validating every table …") as status:
            result = ingest_folder(
                folder,
                engine,
                on_step=done,
                mapping=mapping,
                extracted_on=_date(extracted_on),
            )
    except IngestRejected as rejected:
        print_problems(rejected.report.problems, rejected.report, report)
        console.print(f"[red]rejected[/red]: {rejected}")
        raise typer.Exit(1) from None
    print_problems(result.report.warnings, result.report, report)
    table = RichTable("table", "inserted", "updated", "unchanged", title=f"batch {result.batch_id}")
    for name, counts in result.counts.items():
        table.add_row(name, f"{counts.inserted:,}", f"{counts.updated:,}", f"{counts.unchanged:,}")
    console.print(table)
    console.print(
        f"database: {engine.url.render_as_string(hide_password=True)} "
        f"(ingested in {time.perf_counter() - started:.0f} s)"
    )


@app.command(name="map")
def map_export(
    folder: Annotated[Path, typer.Argument(help="Folder of an export Jenjang does not know yet.")],
    init: Annotated[bool, typer.Option("--init", help="Draft a mapping file for it.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the draft (default: FOLDER/mapping.yaml).")
    ] = None,
) -> None:
    """Draft a mapping file from the headers of an export, and list what it could not map."""
    from features.ingest.drafts import draft_mapping, render

    if not init:
        raise typer.BadParameter("say --init to draft a mapping file for the folder")
    draft = draft_mapping(folder)
    target = out or folder / "mapping.yaml"
    if target.exists():
        raise typer.BadParameter(f"{target} exists; give another --out or remove it")
    target.write_text(render(draft, folder), encoding="utf-8")
    console.print(f"draft mapping written to {target}")
    for file in draft.files:
        if file.note:
            console.print(f"  {file.source}: {file.note}", highlight=False)
        elif file.table:
            console.print(
                f"  {file.source}: {file.table}, {len(file.columns)} columns mapped",
                highlight=False,
            )
    unresolved = draft.unresolved
    if unresolved:
        console.print(f"[yellow]to decide ({len(unresolved)}), marked TODO in the file:[/yellow]")
        for line in unresolved:
            console.print(f"  {line}", highlight=False)
    console.print(
        f"then: jenjang data validate {folder} --mapping {target} --extracted-on YYYY-MM-DD"
    )


@app.command()
def template(
    out: Annotated[Path, typer.Option(help="Folder to write the Excel templates into.")],
) -> None:
    """Excel templates with Indonesian headers, a column guide and example rows, one per table."""
    from features.ingest.templates import write_templates

    written = write_templates(out)
    console.print(
        f"{len(written)} templates written to {out}: {', '.join(p.name for p in written)}"
    )


@app.command()
def summary() -> None:
    """What the database holds: rows per table, ASN by region, family and sex."""
    from features.store.summary import database_summary

    engine = create_db_engine(get_settings().database_url)
    for title, frame in database_summary(engine).items():
        table = RichTable(*map(str, frame.columns), title=title)
        for row in frame.itertuples(index=False):
            table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
        console.print(table)


def print_problems(
    problems: list[Problem], report: ValidationReport, report_path: Path | None
) -> None:
    """Show the first problems on the terminal; write every problem to `report_path`."""
    for problem in problems[:SHOWN_PROBLEMS]:
        colour = "red" if problem.severity == "error" else "yellow"
        console.print(Text(str(problem), style=colour))
        if problem.message_id != problem.message:
            console.print(Text(f"    {problem.message_id}", style=colour))
    if len(problems) > SHOWN_PROBLEMS:
        console.print(f"… and {len(problems) - SHOWN_PROBLEMS:,} more", highlight=False)
    if report_path is not None:
        report.to_frame().to_csv(report_path, index=False)
        console.print(f"every problem written to {report_path}")
