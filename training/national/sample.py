"""Training at national scale: a stratified sample of the country, and regions held out.

The training path holds its records in memory, and the country's would not fit (the docs
estimate about 140 GB for its feature frame). Nor does it need to: the models learn how
competencies, posts and courses relate, which a sample of tens of thousands shows as well as
5.6 million (``python -m bench.national_training`` measures quality against sample size). So a
national model is fitted on a **stratified sample**:

- the population is everyone employed at some time in the training window (hired before the
  test cycle, not gone before the first training cycle), in the training regions;
- strata are region × position family × grade, taken from the decrees known at the test
  cycle's start; each stratum gets its proportional share of the sample (largest remainder,
  so the sizes add up exactly), so no region, family or grade is left out by chance;
- within a stratum, people are drawn at random from a generator seeded by the sample's seed and
  the region's code: the same design gives the same people, whatever the regions' order.

A sampled person comes with all their records and the posts they held (with units and
standards), so a sample of 30,000 from 552 regions holds 30,000 people's world, not the
country's organisation. Regions **held out** by a seeded draw are never sampled: the
model is evaluated on them (sampled the same way) in the held-out test cycle, so its figures are
for places and a year it never saw. Both sets are read one region at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from features.asof.positions import current_grades, current_positions
from features.asof.records import Records, from_frames, known
from features.schema import TABLES
from features.store.regions import (
    folder_snapshot_id,
    partition,
    region_records,
    region_table,
    with_course_ids,
)
from training.split import TemporalSplit, cycle_start

#: Strata of the sample (the regions' codes, position families, grade ranks).
STRATA = ("region", "family", "grade")
#: Tables whose rows belong to one person (``employee_id``).
PERSONAL_ROWS = (
    "employees",
    "position_history",
    "grade_history",
    "assessments",
    "evaluations",
    "disciplinary_records",
    "training_records",
)
#: The hidden truth's per-person tables (evaluation only).
TRUTH_PEOPLE = ("levels", "people", "course_takes", "placement_candidates", "placements")
_STRATUM_TABLES = ("employees", "position_history", "positions", "units", "grade_history")

#: Told what the draw has done, a line at a time.
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Sample:
    """People drawn from some regions, with their records, birth dates and sexes (the legal
    age check and the fairness audit only), and how many of how many were drawn."""

    records: Records
    protected: pd.DataFrame  # index employee_id: sex, birth_date
    regions: tuple[str, ...]
    population: int
    strata: int

    @property
    def size(self) -> int:
        return len(self.records["employees"])


def hold_out(regions: list[str], share: float, seed: int) -> tuple[list[str], list[str]]:
    """The regions to train on and the regions held out (a seeded draw of `share` of them, at
    least one each), both in the dataset's order."""
    if not 0 < share < 1:
        raise ValueError(f"the held-out share must be between 0 and 1, not {share}")
    count = max(1, round(len(regions) * share))
    if count >= len(regions):
        raise ValueError(
            f"{len(regions)} region(s) cannot be split into training and held-out regions: "
            "a national sample needs at least two"
        )
    held = set(np.random.default_rng([seed, 1]).choice(regions, count, replace=False))
    return [r for r in regions if r not in held], [r for r in regions if r in held]


def window(split: TemporalSplit) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days between which the run reads people: the first training cycle's start and the
    test cycle's start."""
    return cycle_start(split.train_years[0]), split.cutoff


def strata_of(records: Records, split: TemporalSplit) -> pd.DataFrame:
    """The population of one region's records (employee_id, family, grade), by the decrees
    known at the test cycle's start; an unknown family or grade is a stratum of its own."""
    start, cutoff = window(split)
    employees = known(records["employees"], cutoff)
    inside = employees[
        (employees["hire_date"] < cutoff)
        & (employees["exit_date"].isna() | (employees["exit_date"] >= start))
    ]
    ids = pd.Index(inside["employee_id"].to_numpy(), name="employee_id")
    family = current_positions(records, cutoff)["family"].reindex(ids).fillna("none")
    grade = current_grades(records, cutoff)["grade_rank"].reindex(ids).fillna(0).astype(int)
    return pd.DataFrame({"family": family.to_numpy(), "grade": grade.to_numpy()}, index=ids)


def allocate(counts: pd.Series, size: int) -> pd.Series:
    """Proportional allocation of `size` over strata of `counts` people, rounded by largest
    remainder so it adds up to exactly `size` (ties: the strata's order, for reproducibility)."""
    total = int(counts.sum())
    if size > total:
        raise ValueError(f"a sample of {size:,} asked from a population of {total:,}")
    quota = counts.astype(float) * size / total
    base = quota.apply(np.floor).astype(int)
    short = size - int(base.sum())
    ranked = (quota - base).sort_values(ascending=False, kind="stable").index[:short]
    base[ranked] += 1
    return base


def draw(
    folder: Path,
    regions: Iterable[str],
    size: int | None,
    seed: int,
    split: TemporalSplit,
    workers: int = 1,
    progress: Progress | None = None,
) -> Sample:
    """A stratified sample of `size` people of `regions` (None, or more than there are: all
    of them), read one region at a time on `workers` processes: a first pass finds each
    region's strata, a second reads the drawn people's rows."""
    folder, regions = Path(folder), list(regions)
    snapshot = f"sample-{seed}-{folder_snapshot_id(folder)}"  # which data, which draw
    with _pool(workers) as pool:
        found = pool.map(_strata, *_args(folder, regions, split, snapshot))
        strata = dict(zip(regions, found, strict=True))
        if progress:
            progress(f"{len(regions)} regions counted")
        population = pd.concat(
            {r: frame.value_counts(["family", "grade"]) for r, frame in strata.items()},
            names=["region", "family", "grade"],
        ).sort_index()  # the quotas' ties broken the same whatever the regions' order
        if population.empty:
            raise ValueError(f"nobody in {len(regions)} region(s) was employed in the window")
        total = int(population.sum())
        quotas = allocate(population, total if size is None else min(size, total))
        chosen = {r: _choose(strata.pop(r), _quotas_of(quotas, r), seed, r) for r in regions}
        kept = [r for r in regions if len(chosen[r])]
        parts = pool.map(_kept_rows, [folder] * len(kept), kept, [chosen[r] for r in kept])
        frames: dict[str, list[pd.DataFrame]] = {name: [] for name in [*TABLES, "protected"]}
        for part in parts:
            for name, rows in part.items():
                frames[name].append(rows)
    tables = {name: pd.concat(rows, ignore_index=True) for name, rows in frames.items() if rows}
    protected = tables.pop("protected").set_index("employee_id")
    protected["birth_date"] = pd.to_datetime(protected["birth_date"])
    tables |= {name: pd.read_parquet(folder / f"{name}.parquet") for name in _catalogues(folder)}
    return Sample(
        from_frames(tables, f"{snapshot}-{size or 'all'}"),
        protected,
        tuple(regions),
        total,
        int((population > 0).sum()),
    )


def _pool(workers: int) -> Executor:
    """Regions read on `workers` processes (spawned: no fork of a parent holding threads), or
    in this one."""
    if workers <= 1:
        return _InProcess()
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"))


class _InProcess(Executor):
    """An executor that maps in the calling process (one worker: no processes to start)."""

    def map(self, fn, *iterables, timeout=None, chunksize=1):  # type: ignore[no-untyped-def,override]
        return list(map(fn, *iterables))


def _args(folder: Path, regions: list[str], split: TemporalSplit, snapshot: str) -> tuple:  # type: ignore[type-arg]
    n = len(regions)
    return [folder] * n, regions, [split] * n, [snapshot] * n


def _quotas_of(quotas: pd.Series, region: str) -> pd.Series:
    """The region's quotas by (family, grade); none for a region nobody was employed in."""
    if region not in quotas.index.get_level_values("region"):
        return pd.Series(dtype=int)
    return quotas.xs(region, level="region")


def _strata(folder: Path, region: str, split: TemporalSplit, snapshot: str) -> pd.DataFrame:
    records, _ = region_records(folder, region, _STRATUM_TABLES, snapshot)
    return strata_of(records, split)


def _choose(strata: pd.DataFrame, quotas: pd.Series, seed: int, region: str) -> pd.Index:
    """The people drawn in one region: `quotas` (by family and grade) at random from each
    stratum, by a generator seeded by the sample's seed and the region's code."""
    rng = np.random.default_rng([seed, zlib.crc32(region.encode())])
    chosen = []
    for (family, grade), group in strata.groupby(["family", "grade"], sort=True):
        wanted = int(quotas.get((family, grade), 0))
        if wanted:
            ids = np.sort(group.index.to_numpy())
            chosen.append(rng.choice(ids, wanted, replace=False))
    return pd.Index(np.sort(np.concatenate(chosen)) if chosen else [], name="employee_id")


def _kept_rows(folder: Path, region: str, chosen: pd.Index) -> dict[str, pd.DataFrame]:
    """The chosen people's rows of one region, the posts they held with their units and
    standards, the region's agencies, and their sex and birth date (as ``protected``); read as
    `region_records` reads (repeated rows once, course ids from titles)."""

    def read(name: str) -> pd.DataFrame:
        return region_table(folder, name, region, None)

    rows = {}
    for name in PERSONAL_ROWS:
        table = read(name)
        rows[name] = table[table["employee_id"].isin(chosen)]
    rows["training_records"] = with_course_ids(
        rows["training_records"], region_table(folder, "courses", region, None)
    )
    people = region_table(folder, "employees", region, ["employee_id", "sex", "birth_date"])
    rows["protected"] = people[people["employee_id"].isin(chosen)]
    levels = read("assessment_levels")
    rows["assessment_levels"] = levels[
        levels["assessment_id"].isin(rows["assessments"]["assessment_id"])
    ]
    held = rows["position_history"]["position_id"].unique()
    positions, standards = read("positions"), read("position_standards")
    rows["positions"] = positions[positions["position_id"].isin(held)]
    rows["position_standards"] = standards[standards["position_id"].isin(held)]
    units = read("units")
    rows["units"] = units[units["unit_id"].isin(rows["positions"]["unit_id"])]
    unit_ratings = read("unit_evaluations")
    rows["unit_evaluations"] = unit_ratings[unit_ratings["unit_id"].isin(rows["units"]["unit_id"])]
    rows["agencies"] = read("agencies")
    return rows


def _catalogues(folder: Path) -> list[str]:
    return [name for name in TABLES if (folder / f"{name}.parquet").is_file()]


def write_truth(folder: Path, sample: Sample, out: Path) -> Path:
    """The hidden truth of the sampled people, written flat where `training.truth` reads a
    province's (``out/truth/…``), for the sample's evaluation only; returns `out`."""
    source, target = Path(folder) / "truth", Path(out) / "truth"
    target.mkdir(parents=True, exist_ok=True)
    people = sample.records["employees"]["employee_id"]
    for name in TRUTH_PEOPLE:
        files = [partition(source, name, region) for region in sample.regions]
        frames = [pd.read_parquet(f) for f in files if f.is_file()]
        if frames:
            rows = pd.concat(frames, ignore_index=True)
            rows[rows["employee_id"].isin(people)].to_parquet(target / f"{name}.parquet")
    pd.read_parquet(source / "courses.parquet").to_parquet(target / "courses.parquet")
    return Path(out)
