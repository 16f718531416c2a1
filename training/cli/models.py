"""`jenjang train …` and `jenjang models …`: retrain, compare, promote, roll back, history."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from features.store.settings import get_settings
from training.contract import TRAINING_RECS

if TYPE_CHECKING:
    import pandas as pd

    from training.kind import ModelKind

train_app = typer.Typer(help="Train models and register them as challenger.", no_args_is_help=True)
bench_app = typer.Typer(help="External checks on real data.", no_args_is_help=True)
models_app = typer.Typer(
    help="Registered models: compare, promote, roll back.", no_args_is_help=True
)
console = Console()

HISTORY_COLUMNS = (
    "moved_at",
    "alias",
    "version",
    "previous_version",
    "moved_by",
    "forced",
    "reason",
)


def _check_name(name: str) -> str:
    """`name` when a registered model kind has it (`training.kinds`), else a clear exit."""
    from training.kinds import KINDS

    if name not in KINDS:
        console.print(f"[red]error:[/red] unknown model {name!r}; known: {', '.join(KINDS)}")
        raise typer.Exit(2)
    return name


@train_app.command(TRAINING_RECS)
def train_training_recs(
    test_year: Annotated[
        int | None, typer.Option(help="Held-out cycle (default: the last complete one).")
    ] = None,
    train_cycles: Annotated[int, typer.Option(min=1, max=8, help="Cycles to train on.")] = 3,
    people: Annotated[
        int | None, typer.Option(min=100, help="Evaluate on a sample of this many people.")
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="Generated dataset folder: score true gains from truth/.")
    ] = None,
) -> None:
    """Fit the training recommender and baselines, evaluate, log to MLflow, set challenger."""
    from training.courses.kind import TrainConfig, TrainingRecs

    config = TrainConfig(
        test_year=test_year, train_cycles=train_cycles, evaluation_people=people, truth_dir=truth
    )
    _train(TrainingRecs(config), "held-out cycle", drop=("people",))


@train_app.command("placements")
def train_placements(
    test_year: Annotated[
        int | None, typer.Option(help="Held-out round (default: the last with known outcomes).")
    ] = None,
    first_year: Annotated[
        int | None, typer.Option(help="First placement round to train on (default: all).")
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="Generated dataset folder: score true success from truth/."),
    ] = None,
) -> None:
    """Fit the placement-success model and baselines, evaluate with fairness, log to MLflow,
    register `placement-success` and set challenger."""
    from training.placement.kind import PlacementConfig, PlacementSuccess

    config = PlacementConfig(test_year=test_year, first_year=first_year, truth_dir=truth)
    _train(PlacementSuccess(config), "held-out round", drop=("vacancies",))


#: What a run does after each stage the kinds name (`training.run.Stopwatch`), for the status.
NEXT_STAGE = {
    "load_records": "building examples and fitting",
    "examples": "fitting the model",
    "fit_learned": "fitting the baselines",
    "fit_baselines": "evaluating on the held-out cycle",
    "fit": "evaluating on the held-out round",
    "evaluate": "logging to MLflow and registering",
}


def _train(kind: ModelKind, held_out: str, drop: tuple[str, ...]) -> None:
    """Train `kind`, print its overall metrics per model and register it as challenger."""
    from training.registry import get_registry_settings
    from training.run import RegistrationFailed, train

    try:
        with console.status(f"{kind.name}: loading the records ...") as status:

            def show(stage: str, seconds: float) -> None:
                console.print(f"  {kind.name}: {stage.replace('_', ' ')} done in {seconds:.0f} s")
                status.update(f"{kind.name}: {NEXT_STAGE.get(stage, 'working')} ...")

            result = train(kind, get_registry_settings(), show)
    except (ValueError, FileNotFoundError, RegistrationFailed) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    overall = result.report.overall.drop(columns=list(drop), errors="ignore")
    console.print(_table(overall, f"{held_out} {result.split.test_year}"))
    calibration = getattr(result.report, "calibration", None)  # the placement model's
    if calibration is not None and not calibration.empty:
        title = f"calibration of the success probability on {held_out} {result.split.test_year}"
        console.print(_table(calibration.T, title, first="metric"))
    console.print(f"target: {json.dumps(result.target)}")
    console.print(
        f"[green]registered[/green] {kind.name} v{result.version} as challenger "
        f"(run {result.run_id})"
    )


def _table(frame: pd.DataFrame, title: str, first: str = "model") -> Table:
    """A frame as a rich table: the index first (headed `first`), figures to four decimals."""
    table = Table(title=title)
    table.add_column(first)
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for name, row in frame.iterrows():
        table.add_row(str(name), *(f"{row[c]:.4f}" for c in frame.columns))
    return table


@train_app.command("all")
def train_all(
    test_year: Annotated[
        int | None, typer.Option(help="Held-out cycle for both (default: each one's latest).")
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="Generated dataset folder: score true effects too.")
    ] = None,
) -> None:
    """Retrain both models on the data as it is now and register each as its challenger
    (the training recommender, then the placement model). The champions do not move: compare
    and promote each with `jenjang models`. If the first fails, the second is not trained."""
    train_training_recs(test_year=test_year, truth=truth)
    train_placements(test_year=test_year, truth=truth)


def _print_comparison(comparison) -> None:  # type: ignore[no-untyped-def]
    if comparison.champion is None:
        console.print("no champion yet: nothing to compare with (the run holds its metrics)")
        return
    console.print(comparison.metrics.round(4).to_string())


@models_app.command()
def compare(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    truth: Annotated[Path | None, typer.Option(help="Dataset folder with truth/.")] = None,
    people: Annotated[int | None, typer.Option(min=100)] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Write the HTML report here (default: reports/compare-NAME.html)."),
    ] = None,
) -> None:
    """Evaluate champion and challenger on the same held-out cycle; print the gate's verdict
    and write an HTML report (charts, per-slice and fairness figures), also logged to the
    challenger's MLflow run."""
    import mlflow

    from training import registry
    from training.comparison_report import comparison_page
    from training.promotion import compare as run_compare
    from training.registry import get_registry_settings

    settings = get_registry_settings()
    try:
        started = time.perf_counter()
        with console.status(f"{name}: scoring champion and challenger on the held-out cycle ..."):
            comparison = run_compare(settings, _check_name(name), truth, people)
        console.print(f"  compared in {time.perf_counter() - started:.0f} s")
    except (ValueError, LookupError, FileNotFoundError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    _print_comparison(comparison)
    verdict = "passes" if comparison.passed else "fails"
    console.print(f"challenger v{comparison.challenger} {verdict} the gate")
    client = registry.configure(settings)
    page = comparison_page(name, comparison, registry.versions(client, name))
    path = report or Path("reports") / f"compare-{name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    run_id = client.get_model_version(name, comparison.challenger).run_id
    if run_id:
        with mlflow.start_run(run_id=run_id):
            mlflow.log_text(page, f"comparison/compare-v{comparison.champion}.html")
    console.print(f"report: {path}")


@models_app.command()
def promote(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the move).")] = "",
    force: Annotated[bool, typer.Option(help="Override a failed gate (needs --reason).")] = False,
    truth: Annotated[Path | None, typer.Option(help="Dataset folder with truth/.")] = None,
    people: Annotated[int | None, typer.Option(min=100)] = None,
) -> None:
    """Move `champion` to the challenger when it is not worse than the champion."""
    from training.promotion import PromotionRefused
    from training.promotion import promote as run_promote
    from training.registry import get_registry_settings

    try:
        comparison = run_promote(
            get_registry_settings(), _check_name(name), reason, force, None, truth, people
        )
    except PromotionRefused as refused:
        console.print(f"[red]refused:[/red] {refused}")
        console.print(json.dumps(refused.evidence["metrics"], indent=1, default=str))
        raise typer.Exit(1) from None
    except (ValueError, LookupError, FileNotFoundError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    _print_comparison(comparison)
    console.print(f"[green]champion[/green] is now {name} v{comparison.challenger}")


@models_app.command()
def rollback(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    reason: Annotated[str, typer.Option(help="Why (required, recorded).")] = "",
    to: Annotated[
        str | None, typer.Option(help="Version (default: the previous champion).")
    ] = None,
) -> None:
    """Point `champion` back at an earlier version."""
    from training.promotion import rollback as run_rollback
    from training.registry import get_registry_settings

    try:
        version = run_rollback(get_registry_settings(), _check_name(name), reason, to)
    except (ValueError, LookupError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    console.print(f"[green]champion[/green] is now {name} v{version}")


@models_app.command()
def history(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    at: Annotated[
        str | None,
        typer.Option(help="Which version was champion at this date/time (ISO, UTC)."),
    ] = None,
) -> None:
    """Every alias move (who, when, which version, why), or the champion at a date."""
    from features.store.database import create_db_engine, migrate
    from training import registry

    engine = create_db_engine(get_settings().database_url)
    migrate(engine)
    if at is not None:
        try:
            when = dt.datetime.fromisoformat(at)
            if when.tzinfo is not None:  # moves are stored in UTC without a zone
                when = when.astimezone(dt.UTC).replace(tzinfo=None)
        except ValueError:
            console.print(f"[red]error:[/red] --at {at!r} is not an ISO date or date-time")
            raise typer.Exit(2) from None
        version = registry.version_at(engine, _check_name(name), when)
        console.print(f"champion of {name} at {when}: {('v' + version) if version else 'none'}")
        return
    moves = registry.history(engine, _check_name(name))
    table = Table(title=f"alias history of {name}")
    for column in HISTORY_COLUMNS:
        table.add_column(column)
    for _, row in moves.iterrows():
        table.add_row(*(str(row[c]) for c in HISTORY_COLUMNS))
    console.print(table)


@models_app.command()
def status(name: Annotated[str, typer.Argument(help="Registered model name.")]) -> None:
    """Registered versions with their aliases and headline metrics; exit 1 without a champion
    this code can serve."""
    from training import registry
    from training.contract import ContractMismatch, check_contract
    from training.registry import get_registry_settings

    client = registry.configure(get_registry_settings())
    versions = registry.versions(client, _check_name(name))
    if not versions:
        console.print(f"{name}: no registered version")
        raise typer.Exit(1)
    table = Table(title=f"{name}")
    from training.kinds import KINDS
    from training.registry import metric_name

    headline = [metric_name(m) for m in KINDS[name].headline]
    for column in ("version", "aliases", "created", "test_year", *headline):
        table.add_column(column)
    for version in versions:
        table.add_row(
            version["version"],
            ", ".join(version["aliases"]),
            version["created"].astimezone().isoformat(" ", "minutes"),
            version["test_year"] or "",
            *(f"{version['metrics'].get(metric, float('nan')):.4f}" for metric in headline),
        )
    console.print(table)
    champion = registry.alias_version(client, name, registry.CHAMPION)
    if champion is None:
        console.print(f"{name} has no champion yet")
        raise typer.Exit(1)
    try:
        check_contract(client.get_model_version(name, champion).tags, name, champion)
    except ContractMismatch as error:
        console.print(f"[red]the champion cannot be served:[/red] {error}")
        raise typer.Exit(1) from None


@bench_app.command()
def onet(
    onet_dir: Annotated[Path, typer.Option(help="Folder of the O*NET 29.3 CSV files.")],
    truth: Annotated[
        Path | None, typer.Option(help="CSV of (source code, target code) pairs to score.")
    ] = None,
) -> None:
    """Rank O*NET occupations with the product's fit code; recall@10 and MRR against related
    occupations, beside cosine similarity ("O*NET 29.3 Database, USDOL/ETA", CC BY 4.0)."""
    from training.analyses.onet import onet_check

    try:
        table = onet_check(onet_dir, truth)
    except (FileNotFoundError, ValueError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    console.print(table.round(3).to_string())
