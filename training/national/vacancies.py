"""Vacancy search across the country: a post's candidates among everyone, without a country's
view in memory.

The province ranks a post's candidates from a `View` held in memory. A country's view does not
fit, and most of it is never a candidate: a structural post is filled from the people the
regulation lets into its family. So a Spark job (`index_country`, ``jenjang batch index``)
computes, once per day, everyone's eligibility for each structural family and what ranking
reads of them (competency levels with the unmeasured ones estimated from the country's means,
the record features), and keeps only the eligible, partitioned by the family they are eligible
for::

    OUT/vacancy-index/version=f<FEATURE_SET_VERSION>/as_of=D/snapshot=S/people/family=F/…parquet
                                                                     /posts/…parquet
                                                                     /_manifest.json

A search (`VacancyIndex.search`) reads the post's family once (then kept, a few families at
a time), drops the post's holder (and people outside the agencies asked for), computes the
candidate features against the post (`features.asof.post_pairs.candidate_features`, the
province's code) and ranks them with the placement champion, the province's ranking exactly:
the same first stage (the eligible of the family) and the same ranker, so the top k equals
`features.planning.ranking.rank_candidates` over the whole country's view (tested).
"""

from __future__ import annotations

import json
import operator
import shutil
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.asof.fit import competency_fit
from features.asof.frame import FEATURE_SET_VERSION, build_feature_frame
from features.asof.positions import competency_codes, standard_matrix
from features.asof.post_pairs import RECORD_FEATURES, People, Post, candidate_features
from features.asof.records import active_at
from features.asof.transformers import LevelSums, level_sums
from features.planning.ranking import Scorer
from features.store.reads import FEATURE_TABLES
from features.store.regions import folder_snapshot_id, region_records, regions_of
from features.view import STRUCTURAL_FAMILIES, post_of
from training import registry
from training.answers import AnswerKey, Written, partial_folder, publish
from training.contract import PLACEMENT_SUCCESS, Data, Population, check_contract, served

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INDEX = "vacancy-index"
#: An index depends on the feature code, not on a model: it is versioned by the feature set.
INDEX_VERSION = f"f{FEATURE_SET_VERSION}"
#: How many families' eligible people a search keeps decoded in memory: all of them (five
#: structural families), since reading a large family again costs seconds.
FAMILIES_KEPT = 5
#: Rows of a region are ordered as the whole country's view orders them: region, then row.
ORDER_STRIDE = 10_000_000

PEOPLE_SCHEMA = (
    "employee_id string, agency_id string, position_id string, field string, "
    "family_rank double, grade_rank double, levels array<double>, measured array<boolean>, "
    "record array<double>, talent_box double, rating_last double, eligible_from string, "
    "order bigint, region string, family string"
)
POSTS_SCHEMA = (
    "position_id string, family string, field string, agency_id string, "
    "required array<double>, region string"
)


def index_key(as_of: pd.Timestamp, snapshot_id: str) -> AnswerKey:
    """Where a day's index of a dataset goes: it depends on the feature code, not a model."""
    return AnswerKey(INDEX, INDEX_VERSION, as_of.date(), snapshot_id)


@dataclass(frozen=True)
class IndexJob:
    data: str
    as_of: pd.Timestamp
    snapshot_id: str
    regions: tuple[str, ...]


def index_country(
    spark: SparkSession,
    data: Path,
    out: Path,
    as_of: pd.Timestamp,
    partitions: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Written:
    """Write the day's vacancy index of the partitioned dataset `data` under `out`."""
    say = progress or (lambda _: None)
    start = time.perf_counter()
    regions = regions_of(data)
    job = IndexJob(
        str(Path(data).resolve()),
        pd.Timestamp(as_of).normalize(),
        folder_snapshot_id(data),
        tuple(regions),
    )
    context = spark.sparkContext
    tasks = partitions or len(regions)
    say(f"summing the measured levels of {len(regions)} regions ({tasks} tasks)")
    sums = context.parallelize(regions, tasks).map(lambda r: _summed(job, r)).reduce(operator.add)
    key = index_key(job.as_of, job.snapshot_id)
    partial = partial_folder(key, out)
    try:
        say(f"eligibility and fit features of everyone on {job.as_of.date()} ({tasks} tasks)")
        codes = spark.createDataFrame(
            context.parallelize([(r,) for r in regions], tasks), "region string"
        )
        eligible = codes.mapInPandas(_people(job, sums), PEOPLE_SCHEMA)
        eligible.write.option("compression", "zstd").partitionBy("family").parquet(
            str(partial / "people")
        )
        posts = codes.mapInPandas(_posts(job), POSTS_SCHEMA)
        posts.coalesce(1).write.option("compression", "zstd").parquet(str(partial / "posts"))
        indexed, rows = _counted(partial / "people")
        publish(partial, key, out, "employee_id", 0, (), indexed, rows)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Written(key.folder(out), indexed, rows, time.perf_counter() - start)


def _counted(folder: Path) -> tuple[int, int]:
    """The people indexed (once, whatever the families they may enter) and their rows."""
    files = sorted(folder.glob("family=*/*.parquet"))
    if not files:
        return 0, 0
    ids = pq.ParquetDataset(files, partitioning=None).read(columns=["employee_id"])
    return len(ids.column("employee_id").unique()), ids.num_rows


def _summed(job: IndexJob, region: str) -> LevelSums:
    """Stage one: the measured levels of one region's people, summed (`LevelSums`)."""
    records, _ = region_records(Path(job.data), region, FEATURE_TABLES, job.snapshot_id)
    frame = build_feature_frame(active_at(records, job.as_of), records)
    return level_sums(frame[frame["family"].notna()])


def _people(
    job: IndexJob, sums: LevelSums
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def rows(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for region in batch["region"]:
                yield from region_people(job, str(region), sums)

    return rows


def region_people(job: IndexJob, region: str, sums: LevelSums) -> Iterator[pd.DataFrame]:
    """One region's people, once for each structural family they are eligible for."""
    records, births = region_records(Path(job.data), region, FEATURE_TABLES, job.snapshot_id)
    view = Data(records, births, population={job.as_of: Population(levels=sums)}).view(job.as_of)
    people, frame = view.people, view.frame
    base = job.regions.index(region) * ORDER_STRIDE
    for family in STRUCTURAL_FAMILIES:
        result = view.eligibility(family)
        rows = np.flatnonzero(result.eligible.to_numpy(dtype=bool))
        if not len(rows):
            continue
        eligible_from = result.eligible_from.iloc[rows]
        yield pd.DataFrame(
            {
                "employee_id": frame.index[rows].to_numpy(dtype=object),
                "agency_id": people.agency[rows],
                "position_id": frame["position_id"].to_numpy(dtype=object)[rows],
                "field": people.field[rows],
                "family_rank": people.family_rank[rows],
                "grade_rank": people.grade_rank[rows],
                "levels": list(people.levels[rows]),
                "measured": list(people.measured[rows]),
                "record": list(people.record[rows]),
                "talent_box": frame["talent_box"].to_numpy(dtype=float)[rows],
                "rating_last": frame["rating_last"].to_numpy(dtype=float)[rows],
                "eligible_from": [
                    "" if pd.isna(d) else pd.Timestamp(d).date().isoformat() for d in eligible_from
                ],
                "order": base + rows,
                "region": region,
                "family": family,
            }
        )


def _posts(job: IndexJob) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def rows(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for region in batch["region"]:
                yield region_posts(job, str(region))

    return rows


def region_posts(job: IndexJob, region: str) -> pd.DataFrame:
    """One region's structural posts as the search needs them (`Post`)."""
    tables = ("positions", "units", "position_standards")
    records, _ = region_records(Path(job.data), region, tables, job.snapshot_id)
    positions = records["positions"]
    structural = positions.loc[positions["family"].isin(STRUCTURAL_FAMILIES), "position_id"]
    standards = standard_matrix(records)
    posts = [post_of(records, str(p), standards) for p in structural]
    return pd.DataFrame(
        {
            "position_id": [p.position_id for p in posts],
            "family": [p.family for p in posts],
            "field": [p.field for p in posts],
            "agency_id": [p.agency_id for p in posts],
            "required": [p.required for p in posts],
            "region": region,
        }
    )


def placement_ranker(settings: registry.RegistrySettings, as_of: str) -> tuple[str, Scorer]:
    """The placement champion's version and its fitted ranker, checked as the service checks
    it: built for this pyfunc contract, and trained before the index's day (a model must not
    rank people on a day it has seen the outcome of)."""
    client = registry.configure(settings)
    version = registry.alias_version(client, PLACEMENT_SUCCESS, registry.CHAMPION)
    if version is None:
        raise LookupError(f"{PLACEMENT_SUCCESS} has no champion: promote a version first")
    check_contract(
        client.get_model_version(PLACEMENT_SUCCESS, version).tags, PLACEMENT_SUCCESS, version
    )
    model = served(mlflow.pyfunc.load_model(f"models:/{PLACEMENT_SUCCESS}/{version}"))
    if pd.Timestamp(as_of) < model.cutoff:
        raise ValueError(
            f"the index is of {as_of}, before {PLACEMENT_SUCCESS} v{version}'s training cutoff "
            f"{model.cutoff.date()}: it has seen what followed; index a later day"
        )
    return version, model.fitted


@dataclass(frozen=True)
class Pool:
    """The eligible people of one family, decoded for ranking (in the country view's order)."""

    people: People
    position_id: np.ndarray
    region: np.ndarray
    talent_box: np.ndarray
    rating_last: np.ndarray
    eligible_from: np.ndarray


class VacancyIndex:
    """A day's vacancy index, opened once and searched many times."""

    def __init__(self, folder: Path, families_kept: int = FAMILIES_KEPT) -> None:
        self.folder = Path(folder)
        manifest = self.folder / "_manifest.json"
        if not manifest.is_file():
            raise FileNotFoundError(f"{self.folder} holds no complete vacancy index")
        self.manifest = json.loads(manifest.read_text())
        self.as_of = str(self.manifest["as_of"])
        posts = pq.read_table(self.folder / "posts").to_pandas()
        self.posts = posts.set_index("position_id")
        self.families_kept = families_kept
        self._pools: OrderedDict[str, Pool] = OrderedDict()

    @classmethod
    def latest(cls, root: Path, as_of: pd.Timestamp | None = None) -> VacancyIndex:
        """The newest complete index under `root` built by this feature code (of `as_of` when
        given): an index of other feature code describes people in other terms."""
        day = as_of.date().isoformat() if as_of is not None else "*"
        pattern = f"{INDEX}/version={INDEX_VERSION}/as_of={day}/snapshot=*"
        found = sorted(
            (p for p in Path(root).glob(pattern) if (p / "_manifest.json").is_file()),
            key=lambda p: (p.parent.name, (p / "_manifest.json").stat().st_mtime),
        )
        if not found:
            which = f"of {day}" if as_of is not None else "of any day"
            raise FileNotFoundError(
                f"no vacancy index {which} under {root} for feature set {FEATURE_SET_VERSION}: "
                "build one with `jenjang batch index`"
            )
        return cls(found[-1])

    def post(self, position_id: str) -> Post:
        if position_id not in self.posts.index:
            raise KeyError(
                f"{position_id!r} is not a structural post of this index (posts filled by "
                f"placement: {', '.join(STRUCTURAL_FAMILIES)})"
            )
        row = self.posts.loc[position_id]
        field = row["field"] if isinstance(row["field"], str) else None
        return Post(
            position_id,
            str(row["family"]),
            field,
            row["agency_id"],
            np.asarray(row["required"], dtype=float),
        )

    def pool(self, family: str) -> Pool:
        """The family's eligible people, read once and kept (the least recent family goes)."""
        if family in self._pools:
            self._pools.move_to_end(family)
            return self._pools[family]
        pool = _read_pool(self.folder / "people" / f"family={family}")
        self._pools[family] = pool
        while len(self._pools) > self.families_kept:
            self._pools.popitem(last=False)
        return pool

    def search(
        self,
        position_id: str,
        scorer: Scorer,
        k: int = 10,
        agencies: tuple[str, ...] | None = None,
    ) -> list[dict[str, Any]]:
        """The post's `k` best eligible candidates in the country (or in `agencies`), each with
        the fit per competency of the post's standard, the reasons of its score, and the date."""
        post = self.post(position_id)
        pool = self.pool(post.family)
        keep = pool.position_id != post.position_id
        if agencies is None:  # the whole pool, the holder masked (no copy of the arrays)
            rows = np.arange(len(keep))
            people = pool.people
        else:
            keep &= np.isin(pool.people.agency, np.asarray(agencies, dtype=object))
            rows = np.flatnonzero(keep)
            people, keep = pool.people.take(rows), np.ones(len(rows), dtype=bool)
        pairs = candidate_features(people, post)
        scores = scorer.score(pairs) if len(rows) else np.array([])
        order = _best(scores, keep, k)
        top = rows[order]
        explain = getattr(scorer, "reasons", None)
        reasons = explain(pairs.iloc[order]) if explain and len(order) else [[]] * len(order)
        fit = _fit(pool.people.levels[top], post)
        return [
            {
                "position_id": post.position_id,
                "rank": rank,
                "employee_id": str(pool.people.ids[row]),
                "agency_id": pool.people.agency[row],
                "region": str(pool.region[row]),
                "score": float(scores[i]),
                "fit_score": float(pairs["fit_score"].iloc[i]),
                "eligible": True,
                "failed_rules": [],
                "eligible_from": str(pool.eligible_from[row]),
                "fit": fit[n],
                "talent_box": float(pool.talent_box[row]),
                "rating_last": float(pool.rating_last[row]),
                "reasons": reasons[n],
                "as_of": self.as_of,
            }
            for n, (rank, i, row) in enumerate(zip(range(1, len(top) + 1), order, top, strict=True))
        ]


def _best(scores: np.ndarray, keep: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` highest scores where `keep`, best first, ties in position order:
    exactly the first `k` of a stable sort of the kept scores, without sorting them all."""
    kept = np.flatnonzero(keep)
    if len(kept) > k:
        threshold = np.partition(scores[kept], len(kept) - k)[len(kept) - k]
        kept = kept[scores[kept] >= threshold]
    return kept[np.argsort(-scores[kept], kind="stable")][:k]


def _fit(levels: np.ndarray, post: Post) -> list[list[dict[str, Any]]]:
    """Fit per competency of the post's standard, for each candidate."""
    inside = np.flatnonzero(post.required > 0)
    fit = competency_fit(levels, post.required)
    codes = competency_codes()
    return [
        [
            {
                "competency_code": codes[c],
                "required_level": float(post.required[c]),
                "level": round(float(levels[i, c]), 3),
                "shortfall": round(float(fit.shortfall[i, c]), 3),
                "surplus": round(float(fit.surplus[i, c]), 3),
            }
            for c in inside
        ]
        for i in range(len(levels))
    ]


def _people_arrow_schema() -> pa.Schema:
    """The people columns as written (`PEOPLE_SCHEMA` without the partition)."""
    return pa.schema(
        [
            ("employee_id", pa.string()),
            ("agency_id", pa.string()),
            ("position_id", pa.string()),
            ("field", pa.string()),
            ("family_rank", pa.float64()),
            ("grade_rank", pa.float64()),
            ("levels", pa.list_(pa.float64())),
            ("measured", pa.list_(pa.bool_())),
            ("record", pa.list_(pa.float64())),
            ("talent_box", pa.float64()),
            ("rating_last", pa.float64()),
            ("eligible_from", pa.string()),
            ("order", pa.int64()),
            ("region", pa.string()),
        ]
    )


def _read_pool(folder: Path) -> Pool:
    """A family's partition as arrays, in the country view's order."""
    files = sorted(folder.glob("*.parquet"))  # none: nobody is eligible for the family today
    schema = _people_arrow_schema()
    table = (
        pa.concat_tables(
            [pq.read_table(f, partitioning=None).select(schema.names).cast(schema) for f in files]
        )
        if files
        else schema.empty_table()
    )
    table = table.take(pc.sort_indices(table, [("order", "ascending")]))

    def matrix(name: str, width: int, dtype: type) -> np.ndarray:
        values = table.column(name)
        chunks = values.chunks or [pa.array([], values.type)]
        flat = pa.concat_arrays([c.flatten() for c in chunks]).to_numpy(zero_copy_only=False)
        return flat.astype(dtype).reshape(len(table), width)

    def column(name: str, dtype: Any = object) -> np.ndarray:
        return table.column(name).to_numpy(zero_copy_only=False).astype(dtype)

    competencies = len(competency_codes())
    people = People(
        ids=column("employee_id"),
        levels=matrix("levels", competencies, float),
        measured=matrix("measured", competencies, bool),
        record=matrix("record", len(RECORD_FEATURES), float),
        field=column("field"),
        family_rank=column("family_rank", float),
        grade_rank=column("grade_rank", float),
        agency=column("agency_id"),
    )
    return Pool(
        people,
        column("position_id"),
        column("region"),
        column("talent_box", float),
        column("rating_last", float),
        column("eligible_from"),
    )
