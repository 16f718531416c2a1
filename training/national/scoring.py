"""`jenjang batch score --engine spark`: everyone's top-k trainings with reasons, nationally.

1. The driver takes the champion's version from the registry, downloads that version once and
   ships it with the job (`SparkContext.addFile`): the version in the registry is the version
   that scores, on this machine or on a cluster's executors.
2. Stage one counts, region by region, what the model reads of everyone (the year's uptake of
   each course, `features.asof.course_pairs.uptake_counts`); the counts add up to the country's.
3. Stage two (`mapInPandas` over the regions) reads each region's Parquet files and asks the
   pyfunc for everyone's answers, exactly as `jenjang score` does for a province: the same
   pandas builders compute the day's point-in-time features, the same engine ranks each
   person's candidate courses (what they may take: not taken, prerequisites done, mandated
   only to those who owe it) and explains the first `depth`. A region is one task's work, so a
   worker holds one region, never the country.
4. Each task writes its regions' answers itself, one Parquet file per region
   (``region=<code>/part-0.parquet``), into a hidden folder beside the answer set's place
   (`training.answers.AnswerKey`: the model, its version, the date and the data snapshot); the
   rows never pass through Spark's JVM, which on 2 cores cost as much as the scoring. A region's
   file is written under a hidden name and renamed when complete, so a task that Spark tries
   again rewrites the same file: no answer is written twice. The driver checks the files against
   what the tasks reported, then moves the set into place with its manifest: a reader finds all
   of it or none.
"""

from __future__ import annotations

import operator
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.asof.course_pairs import Catalogue, UptakeCounts, uptake_counts
from features.store.reads import FEATURE_TABLES
from features.store.regions import folder_snapshot_id, region_records, regions_of
from training import registry
from training.answers import ARROW_TYPES, AnswerKey, Written, partial_folder, publish
from training.contract import (
    Data,
    Population,
    Precomputing,
    ServedModel,
    check_contract,
    served,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: What stage one reads of a region: who is active where, and who took which course.
COUNTED_TABLES = (
    "employees",
    "positions",
    "position_history",
    "training_records",
    "courses",
    "course_competencies",
    "course_prerequisites",
    "course_audiences",
)
#: The columns every answer row carries besides the model's own (the region is the partition):
#: the version that answered, and the person's agency on the day, which a national service
#: checks a planner's scope against without the records.
VERSION_COLUMN = "model_version"
AGENCY_COLUMN = "agency_id"


class InjectedFailure(RuntimeError):
    """A task failed on purpose (`Job.fail_once`): how the tests check Spark's retries."""


@dataclass(frozen=True)
class Job:
    """One national scoring run, as the executors receive it."""

    data: str  # the partitioned dataset's folder, as the executors see it
    model_file: str  # the downloaded model's folder name (`SparkFiles.get`)
    name: str
    version: str
    as_of: pd.Timestamp
    depth: int
    snapshot_id: str
    #: Fault injection for the tests: the first attempt of the task holding one of these
    #: regions fails half-way through writing that region's answers.
    fail_once: tuple[str, ...] = ()


def champion(settings: registry.RegistrySettings, name: str, into: Path) -> tuple[str, Path]:
    """The champion's version of `name` and its model downloaded into `into`."""
    client = registry.configure(settings)
    version = registry.alias_version(client, name, registry.CHAMPION)
    if version is None:
        raise LookupError(f"{name} has no champion: promote a version first")
    check_contract(client.get_model_version(name, version).tags, name, version)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{name}/{version}", dst_path=str(into)
    )
    return version, Path(local)


def score_country(
    spark: SparkSession,
    data: Path,
    out: Path,
    model_dir: Path,
    name: str,
    version: str,
    as_of: pd.Timestamp,
    depth: int | None = None,
    partitions: int | None = None,
    fail_once: tuple[str, ...] = (),
    progress: Callable[[str], None] | None = None,
) -> Written:
    """Score everyone in the partitioned dataset `data` with the model in `model_dir` (version
    `version` of `name`), and write the answers under `out` (`training.answers` layout,
    partitioned by region). `partitions`: Spark tasks (default: one per region)."""
    say = progress or (lambda _: None)
    start = time.perf_counter()
    regions = regions_of(data)
    model = _load(str(model_dir))
    if not isinstance(model, Precomputing):
        raise ValueError(f"{name} answers on demand: it has nothing to precompute")
    day = pd.Timestamp(as_of).normalize()
    if day < model.cutoff:
        raise ValueError(
            f"--as-of {day.date()} is before {name} v{version}'s training cutoff "
            f"{model.cutoff.date()}: it has seen what followed; score a later day"
        )
    snapshot_id = folder_snapshot_id(data)
    job = Job(
        str(Path(data).resolve()),
        model_dir.name,
        name,
        version,
        day,
        depth or model.depth,
        snapshot_id,
        tuple(fail_once),
    )
    context = spark.sparkContext
    context.addFile(str(model_dir), recursive=True)
    tasks = partitions or len(regions)
    say(f"counting the year's course uptake of {len(regions)} regions ({tasks} tasks)")
    counts = (
        context.parallelize(regions, tasks).map(lambda r: _counted(job, r)).reduce(operator.add)
    )
    say(f"counted in {time.perf_counter() - start:.0f} s")
    key = AnswerKey(name, version, job.as_of.date(), snapshot_id)
    partial = partial_folder(key, out)
    try:
        say(f"scoring everyone with {name} v{version} on {job.as_of.date()} ({tasks} tasks)")
        regions_frame = spark.createDataFrame(
            context.parallelize([(r,) for r in regions], tasks), "region string"
        )
        scored = regions_frame.mapInPandas(
            _scorer(job, counts, str(partial)), "region string, subjects long, rows long"
        ).collect()
        say(f"scored in {time.perf_counter() - start:.0f} s since the start; checking the files")
        for stray in partial.glob("region=*/.*"):  # what a failed attempt left half-written
            stray.unlink()
        subjects, rows = _check(partial, scored, regions)
        publish(partial, key, out, model.key, job.depth, model.structured, subjects, rows)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Written(key.folder(out), subjects, rows, time.perf_counter() - start)


def _check(partial: Path, scored: list[Any], regions: list[str]) -> tuple[int, int]:
    """Subjects and rows written, once every region's file is there with the rows its task
    reported (the files' footers, not their rows, are read: the country's answers are
    tens of millions)."""
    reported = {r["region"]: (int(r["subjects"]), int(r["rows"])) for r in scored}
    for region in regions:
        file = partial / f"region={region}" / "part-0.parquet"
        if region not in reported or not file.is_file():
            raise RuntimeError(f"region {region}: no answers were written ({file})")
        if pq.ParquetFile(file).metadata.num_rows != reported[region][1]:
            raise RuntimeError(f"{file} does not hold the {reported[region][1]} rows written")
    return sum(s for s, _ in reported.values()), sum(r for _, r in reported.values())


def _arrow_schema(model: ServedModel) -> pa.Schema:
    """The stored schema of the answers: the model's columns, its version and the agency."""
    columns = [(c, ARROW_TYPES[t]) for c, t in model.types.items()]  # type: ignore[attr-defined]
    return pa.schema([*columns, (VERSION_COLUMN, pa.string()), (AGENCY_COLUMN, pa.string())])


#: The model each Python worker has loaded (`_load`), by folder: loaded once, used per task.
_LOADED: dict[str, ServedModel] = {}


def _load(folder: str) -> ServedModel:
    if folder not in _LOADED:
        _LOADED.clear()
        _LOADED[folder] = served(mlflow.pyfunc.load_model(folder, suppress_warnings=True))
    return _LOADED[folder]


def _counted(job: Job, region: str) -> UptakeCounts:
    """Stage one: the course uptake counts of one region."""
    records, _ = region_records(Path(job.data), region, COUNTED_TABLES, job.snapshot_id)
    return uptake_counts(records, Catalogue.from_records(records), job.as_of)


def _scorer(
    job: Job, counts: UptakeCounts, partial: str
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Stage two, as `mapInPandas` runs it: each batch of region codes in; each region's
    answers written to its own file, and what was written out."""

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from pyspark import SparkFiles, TaskContext

        model = _load(SparkFiles.get(job.model_file))
        context = TaskContext.get()
        attempt = context.attemptNumber() if context is not None else 0
        for batch in batches:
            for region in batch["region"]:
                fail = attempt == 0 and region in job.fail_once
                subjects, rows = write_region(job, model, str(region), counts, Path(partial), fail)
                yield pd.DataFrame({"region": [region], "subjects": [subjects], "rows": [rows]})

    return score


def write_region(
    job: Job,
    model: ServedModel,
    region: str,
    counts: UptakeCounts,
    partial: Path,
    fail: bool = False,
) -> tuple[int, int]:
    """Write one region's answers as ``region=<code>/part-0.parquet`` in `partial`, chunk by
    chunk into a hidden file renamed when complete: a task tried again rewrites the same file,
    so no answer is ever written twice. Its subjects and rows. `fail`: fail half-way (tests)."""
    folder = partial / f"region={region}"
    folder.mkdir(parents=True, exist_ok=True)
    hidden = folder / f".part-0.{os.getpid()}.parquet"
    schema = _arrow_schema(model)
    subjects = rows = 0
    with pq.ParquetWriter(hidden, schema, compression="zstd") as writer:
        for frame in region_answers(job, model, region, counts):
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
            subjects, rows = subjects + frame[model.key].nunique(), rows + len(frame)
            if fail:
                raise InjectedFailure(f"the first attempt at region {region} fails (a test)")
    hidden.replace(folder / "part-0.parquet")
    return subjects, rows


def region_answers(
    job: Job, model: ServedModel, region: str, counts: UptakeCounts
) -> Iterator[pd.DataFrame]:
    """One region's answers, chunk by chunk, as the pyfunc gives them to `jenjang score`."""
    records, birth_dates = region_records(Path(job.data), region, FEATURE_TABLES, job.snapshot_id)
    data = Data(records, birth_dates, population={job.as_of: Population(uptake=counts)})
    model.use_data(data)
    columns = list(model.types)  # type: ignore[attr-defined]
    agencies = data.view(job.as_of).frame["agency_id"]
    for chunk in model.precompute(job.as_of, job.depth):  # type: ignore[attr-defined]
        if not chunk:
            continue
        frame = pd.DataFrame(chunk, columns=columns)
        for name in model.structured:  # JSON text, as `jenjang score` stores it
            frame[name] = [orjson.dumps(value).decode() for value in frame[name]]
        frame[VERSION_COLUMN] = job.version
        frame[AGENCY_COLUMN] = frame[model.key].map(agencies)
        yield frame


def read_answers(folder: Path) -> pd.DataFrame:
    """A national answer set as one frame (tests and small checks: a country's does not fit)."""
    files = sorted(Path(folder).glob("region=*/*.parquet"))
    frames = []
    for file in files:
        frame = pq.read_table(file, partitioning=None).to_pandas()
        frames.append(frame.assign(region=file.parent.name.removeprefix("region=")))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
