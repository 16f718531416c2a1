"""`jenjang batch …`: national jobs on Apache Spark (docs/national.md)."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Annotated, NoReturn

import pandas as pd
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
    from training.national.scoring import champion, score_country
    from training.national.spark import JavaMissing, start_session
    from training.registry import get_registry_settings

    if engine not in ENGINES:
        _fail(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        _fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")
    settings = dict(_setting(item) for item in conf or [])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jenjang-model-") as holder:
        try:
            version, folder = champion(get_registry_settings(), model, Path(holder))
            typer.echo(f"{model} v{version} (champion) downloaded; starting Spark on {master}")
            spark = start_session(master, "jenjang batch score", settings)
        except (LookupError, JavaMissing) as error:
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


def _setting(item: str) -> tuple[str, str]:
    name, equals, value = item.partition("=")
    if not equals or not name.startswith("spark."):
        _fail(f"--conf takes spark.NAME=VALUE, not {item!r}")
    return name, value


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
