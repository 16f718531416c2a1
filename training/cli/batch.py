"""`jenjang batch …`: national jobs on Apache Spark (docs/national.md)."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

batch_app = typer.Typer(
    help="National jobs on Apache Spark: the country's answers as partitioned Parquet.",
    no_args_is_help=True,
)

ENGINES = ("spark",)


@batch_app.command("score")
def score(
    data: Annotated[
        Path, typer.Option(help="A dataset partitioned by region (data generate --scale national).")
    ],
    out: Annotated[Path, typer.Option(help="Where the answer sets go (partitioned by region).")],
    engine: Annotated[str, typer.Option(help="The distributed engine: spark.")] = "spark",
    master: Annotated[
        str,
        typer.Option(help="Spark master: local[2] here, spark://host:7077, yarn or k8s://… there."),
    ] = "local[*]",
    model: Annotated[str, typer.Option(help="The registered model whose champion scores.")] = (
        "training-recs"
    ),
    as_of: Annotated[
        str | None, typer.Option(help="The day scored (YYYY-MM-DD; default today).")
    ] = None,
    depth: Annotated[
        int | None, typer.Option(min=1, max=50, help="Answers kept per person (default 10).")
    ] = None,
    partitions: Annotated[
        int | None, typer.Option(min=1, help="Spark tasks (default: one per region).")
    ] = None,
    conf: Annotated[
        list[str] | None,
        typer.Option(help="More Spark settings, NAME=VALUE (repeatable): spark.executor.memory=8g"),
    ] = None,
) -> None:
    """Score everyone in DATA with the champion and write their top-k trainings with reasons,
    the model version and the as_of, as Parquet partitioned by region under OUT."""
    import pandas as pd

    from training.contract import ContractMismatch
    from training.national.scoring import champion, score_country
    from training.national.spark import SparkUnavailable, start_session
    from training.registry import get_registry_settings

    _check_engine(engine)
    _check_data(data)
    day = _day(as_of)
    settings = dict(_setting(item) for item in conf or [])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jenjang-model-") as holder:
        try:
            version, folder = champion(get_registry_settings(), model, Path(holder))
            typer.echo(f"{model} v{version} (champion) downloaded; starting Spark on {master}")
            spark = start_session(master, "jenjang batch score", settings)
        except (LookupError, SparkUnavailable, ContractMismatch) as error:
            _fail(str(error))
        try:
            written = score_country(
                spark,
                data,
                out,
                folder,
                model,
                version,
                pd.Timestamp(day),
                depth=depth,
                partitions=partitions,
                progress=typer.echo,
            )
        except ValueError as error:
            _fail(str(error))
        finally:
            spark.stop()
    typer.echo(
        f"{written.subjects:,} people, {written.rows:,} answers → {written.folder} "
        f"(done in {time.perf_counter() - start:.0f} s)"
    )


@batch_app.command("train")
def train(
    data: Annotated[
        Path, typer.Option(help="A dataset partitioned by region (data generate --scale national).")
    ],
    model: Annotated[
        str, typer.Option(help="The model to train: training-recs or placement-success.")
    ] = ("training-recs"),
    size: Annotated[
        int,
        typer.Option(min=1000, help="People in the stratified sample (region × family × grade)."),
    ] = 40_000,
    seed: Annotated[int, typer.Option(help="The sample's seed (recorded in the run).")] = 0,
    held_out_share: Annotated[
        float, typer.Option(min=0.01, max=0.5, help="Share of the regions kept out for evaluation.")
    ] = 0.1,
    evaluation_size: Annotated[
        int, typer.Option(min=1000, help="People drawn from the held-out regions.")
    ] = 20_000,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes reading regions (default: the CPU count).")
    ] = None,
) -> None:
    """Fit MODEL on a stratified sample of DATA, evaluate it on held-out regions in the held-out
    cycle, log the run (with the sample's size and seed) and register it as challenger."""
    import os

    from training.kinds import kind_of
    from training.national.sample_training import Design, train_national
    from training.registry import get_registry_settings

    _check_data(data)
    try:
        kind = kind_of(model)
    except LookupError as error:
        _fail(str(error.args[0]))
    design = Design(size, seed, held_out_share, evaluation_size)
    start = time.perf_counter()
    try:
        result = train_national(
            kind,
            get_registry_settings(),
            data,
            design,
            on_lap=lambda stage, seconds: typer.echo(
                f"  {stage.replace('_', ' ')}: {seconds:.0f} s"
            ),
            progress=typer.echo,
            workers=workers or os.cpu_count() or 1,
        )
    except (ValueError, FileNotFoundError) as error:
        _fail(str(error))
    sample, held = result.sample, result.held_out
    typer.echo(
        f"sample: {sample.size:,} of {sample.population:,} people in {len(sample.regions)} "
        f"regions ({sample.strata:,} strata); held out: {held.size:,} people in "
        f"{len(held.regions)} regions"
    )
    for name, value in sorted(result.held_out_metrics.items()):
        typer.echo(f"  {name}: {value:.4f}")
    typer.echo(
        f"registered {kind.name} v{result.run.version} as challenger (run {result.run.run_id}); "
        f"done in {time.perf_counter() - start:.0f} s"
    )


@batch_app.command("index")
def index(
    data: Annotated[
        Path, typer.Option(help="A dataset partitioned by region (data generate --scale national).")
    ],
    out: Annotated[Path, typer.Option(help="Where the index goes (beside the answer sets).")],
    engine: Annotated[str, typer.Option(help="The distributed engine: spark.")] = "spark",
    master: Annotated[str, typer.Option(help="Spark master (as for batch score).")] = "local[*]",
    as_of: Annotated[
        str | None, typer.Option(help="The day indexed (YYYY-MM-DD; default today).")
    ] = None,
    partitions: Annotated[
        int | None, typer.Option(min=1, help="Spark tasks (default: one per region).")
    ] = None,
    conf: Annotated[
        list[str] | None, typer.Option(help="More Spark settings, spark.NAME=VALUE (repeatable).")
    ] = None,
) -> None:
    """Index the day's eligible candidates of every structural family in DATA, with what
    ranking reads of them, for `jenjang batch candidates` (vacancy search across the country)."""
    import pandas as pd

    from training.national.spark import SparkUnavailable, start_session
    from training.national.vacancies import index_country

    _check_engine(engine)
    _check_data(data)
    day = _day(as_of)
    start = time.perf_counter()
    try:
        spark = start_session(master, "jenjang batch index", dict(map(_setting, conf or [])))
    except SparkUnavailable as error:
        _fail(str(error))
    try:
        written = index_country(spark, data, out, pd.Timestamp(day), partitions, typer.echo)
    except ValueError as error:
        _fail(str(error))
    finally:
        spark.stop()
    typer.echo(
        f"{written.rows:,} eligible candidacies → {written.folder} "
        f"(done in {time.perf_counter() - start:.0f} s)"
    )


@batch_app.command("candidates")
def candidates(
    position: Annotated[str, typer.Argument(help="A structural post's position_id.")],
    index_root: Annotated[
        Path, typer.Option("--index", help="Where `jenjang batch index` wrote (its --out).")
    ],
    k: Annotated[int, typer.Option(min=1, max=50, help="How many candidates.")] = 10,
    agency: Annotated[
        list[str] | None, typer.Option(help="Only people of these agencies (repeatable).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="The index of this day (default: the newest).")
    ] = None,
) -> None:
    """The post's best eligible candidates in the whole country, ranked by the placement
    champion, with fit per competency and reasons (JSON lines)."""
    import json

    import pandas as pd

    from training.contract import ContractMismatch
    from training.national.vacancies import VacancyIndex, placement_ranker
    from training.registry import get_registry_settings

    try:
        index = VacancyIndex.latest(index_root, pd.Timestamp(_day(as_of)) if as_of else None)
        version, ranker = placement_ranker(get_registry_settings(), index.as_of)
        start = time.perf_counter()
        found = index.search(position, ranker, k, tuple(agency) if agency else None)
    except (FileNotFoundError, KeyError, LookupError, ValueError, ContractMismatch) as error:
        _fail(str(error.args[0]) if error.args else str(error))
    for row in found:
        typer.echo(json.dumps(row | {"model_version": version}, ensure_ascii=False))
    typer.echo(
        f"{len(found)} candidates in {1000 * (time.perf_counter() - start):.0f} ms", err=True
    )


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        _fail(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")


def _check_data(data: Path) -> None:
    """Refuse a folder that is not a complete partitioned dataset before starting Spark."""
    from features.store.regions import regions_of

    try:
        regions_of(data)
    except ValueError as error:
        _fail(f"--data {error}")


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        _fail(f"--as-of {value!r} is not a date (YYYY-MM-DD)")


def _setting(item: str) -> tuple[str, str]:
    name, equals, value = item.partition("=")
    if not equals or not name.startswith("spark."):
        _fail(f"--conf takes spark.NAME=VALUE, not {item!r}")
    return name, value


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
