"""National datasets: regions simulated in parallel, written as Parquet partitioned by region.

The country is 552 regional governments of about 10,000 ASN each; a region is independent of
the others (its own seed, organisation, people and noise), so regions are simulated by a pool of
worker processes and each writes its own partition::

    out/employees/region=R000/part-0.parquet   out/truth/course_takes/region=R000/part-0.parquet
    out/courses.parquet  (the national catalogue, once)

(`features.store.regions` reads it back, one region at a time.)

Same seed, same bytes, whatever the number of workers: a region's seed is spawned from the
dataset's seed by its position, and the one thing shared across regions, the NIP serial (unique
nationally among people born the same day, appointed the same month, of the same sex), is issued
by the parent in region order, exactly as the one-process generator issues it. Memory is bounded
by one region per worker: the parent keeps at most `2 × workers` regions in flight.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from features import reference
from features.schema import TABLES
from features.store.regions import partition
from features.synth import (
    CATALOGUE_TABLES,
    TRUTH_DIR,
    canonical_schema,
    extraction_date,
    noise_seed,
    prepare_output,
    to_arrow,
    write_manifest,
    write_truth_courses,
)
from features.synth.config import GeneratorConfig, Region
from features.synth.learning import CourseBook, build_course_book
from features.synth.observe import NipIssuer, Observer
from features.synth.organisation import Catalogues
from features.synth.simulation import simulate_region


@dataclass(frozen=True)
class _Job:
    number: int
    region: Region
    size: int
    seed: np.random.SeedSequence


@dataclass(frozen=True)
class _Done:
    """What a worker gives back: its employees (NIPs not yet issued) and rows per table."""

    number: int
    employees: pd.DataFrame
    rows: dict[str, int]


@dataclass(frozen=True)
class _Worker:
    """What every region of a run shares, built once per worker process."""

    config: GeneratorConfig
    out: Path
    catalogues: Catalogues
    courses: CourseBook


#: Set once per worker process by `_start_worker`.
_STATE: list[_Worker] = []


def _start_worker(config: GeneratorConfig, out: Path, course_seed: np.random.SeedSequence) -> None:
    courses = build_course_book(np.random.default_rng(course_seed))
    _STATE[:] = [_Worker(config, out, Catalogues.load(), courses)]


def _simulate(job: _Job) -> _Done:
    """Simulate one region and write its partitions (every table but employees)."""
    state = _STATE[0]
    rng = np.random.default_rng(job.seed)
    world = simulate_region(
        state.config, job.region, job.size, rng, state.catalogues, state.courses
    )
    # a throwaway issuer: the parent issues the national serials in region order
    observer = Observer(
        world, job.number, extraction_date(state.config), noise_seed(job.seed), NipIssuer()
    )
    observable, hidden = observer.tables()
    for name in TABLES:  # a table the simulation leaves empty (angka kredit) is still written
        if name not in CATALOGUE_TABLES and name not in observable:
            observable[name] = pd.DataFrame(columns=TABLES[name].column_names)
    rows = {}
    for name, frame in observable.items():
        rows[name] = len(frame)
        if name != "employees":
            path = partition(state.out, name, job.region.code)
            _write(to_arrow(frame, canonical_schema(name)), path)
    for name, frame in hidden.items():
        _write(to_arrow(frame, None), partition(state.out / TRUTH_DIR, name, job.region.code))
    return _Done(job.number, observable["employees"], rows)


def _write(table: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")  # type: ignore[arg-type]


def generate_partitioned(
    config: GeneratorConfig,
    out: Path,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Generate `config` into `out` (emptied first), region by region on `workers` processes;
    returns the rows written per table. `progress` is told each region's head count as it is
    written."""
    if config.file_format != "parquet":
        raise ValueError("a dataset partitioned by region is written as Parquet (--format parquet)")
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, not {workers}")
    prepare_output(out)
    course_seed, *region_seeds = np.random.SeedSequence(config.seed).spawn(len(config.regions) + 1)
    for name in CATALOGUE_TABLES:
        _write(to_arrow(reference.load(name), canonical_schema(name)), out / f"{name}.parquet")
    jobs = [
        _Job(number, region, size, seed)
        for number, (region, size, seed) in enumerate(
            zip(config.regions, config.region_sizes(), region_seeds, strict=True)
        )
    ]
    totals = {name: 0 for name in TABLES if name not in CATALOGUE_TABLES}
    issuer = NipIssuer()
    with ProcessPoolExecutor(
        workers,
        mp_context=get_context("spawn"),  # no fork of a parent holding threads (the progress bar)
        initializer=_start_worker,
        initargs=(config, out, course_seed),
    ) as pool:
        for done in _in_order(pool, jobs, window=2 * workers):
            employees = done.employees
            employees["nip"] = issuer.issue(
                employees["birth_date"].to_numpy(),
                employees["hire_date"].to_numpy(),
                employees["sex"].to_numpy(),
            )
            region = jobs[done.number].region.code
            _write(
                to_arrow(employees, canonical_schema("employees")),
                partition(out, "employees", region),
            )
            for name, count in done.rows.items():
                totals[name] += count
            if progress is not None:
                progress(jobs[done.number].size)
    courses = build_course_book(np.random.default_rng(course_seed))
    write_truth_courses(courses, out / TRUTH_DIR)
    write_manifest(config, out, totals, layout="partitioned")
    return totals


def _in_order(pool: ProcessPoolExecutor, jobs: list[_Job], window: int):  # type: ignore[no-untyped-def]
    """The jobs' results in job order, at most `window` submitted ahead (bounded memory)."""
    pending: deque[Future[_Done]] = deque()
    queue = iter(jobs)
    for job in queue:
        pending.append(pool.submit(_simulate, job))
        if len(pending) >= window:
            break
    while pending:
        try:
            done = pending.popleft().result()
        except BaseException:
            for waiting in pending:  # a region failed: stop the others at once
                waiting.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        following = next(queue, None)
        if following is not None:
            pending.append(pool.submit(_simulate, following))
        yield done
