"""Vacancy search across the country: a post's candidates among everyone, without a country's
view in memory.

The province ranks a post's candidates from a `View` held in memory. A country's view does not
fit, and most of it is never a candidate: a structural post is filled from the people the
regulation lets into its family. So a Spark job (`index_country`, ``jenjang batch index``)
computes, once per day, everyone's eligibility for each structural family and what ranking
reads of them (competency levels with the unmeasured ones estimated from the country's means,
the record features), and keeps the people eligible for some family, once each, with the date
from which they are eligible for each family (`from_<family>`: null where they are not) and the
professions they hold (`professions`: a post bound to one, such as a hospital director's, is
searched among its holders only, as the province's eligibility does)::

    OUT/vacancy-index/version=f<FEATURE_SET_VERSION>-l3/as_of=D/snapshot=S/people/part-….parquet
                                                                          /posts/part-….parquet
                                                                          /_manifest.json

A search (`VacancyIndex.search`) reads the whole index into memory once, in the compact shape
of `training.national.eligible`, drops the post's holder (and people outside the agencies
asked for), computes the candidate features against the post (`candidate_features`, the
province's code) and ranks them with the placement champion, the province's ranking: the same
first stage (the eligible of the family) and the same ranker, so the top k is
`features.planning.ranking.rank_candidates` over the whole country's view (tested: same people,
order, reasons and dates; scores to the last bit or so).
"""

from __future__ import annotations

import json
import operator
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.asof.fit import competency_fit
from features.asof.frame import FEATURE_SET_VERSION, build_feature_frame
from features.asof.positions import competency_codes, standard_matrix
from features.asof.post_pairs import RECORD_FEATURES, Post, candidate_features
from features.asof.records import active_at
from features.asof.transformers import LevelSums, level_sums
from features.planning.ranking import Scorer
from features.rules.professions import holds, post_requirements, requirements
from features.store.reads import FEATURE_TABLES
from features.store.regions import folder_snapshot_id, region_records, regions_of
from features.view import STRUCTURAL_FAMILIES, post_of
from training import registry
from training.answers import AnswerKey, Written, partial_folder, publish
from training.contract import PLACEMENT_SUCCESS, Data, Population, check_contract, served
from training.national.eligible import (
    Eligible,
    Family,
    Rows,
    from_column,
    held_competencies,
    read_eligible,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INDEX = "vacancy-index"
#: The layout of an index's files: 3 holds each eligible person once, with a date column per
#: family and the professions they hold, and each post's profession (2 had no professions, 1 a
#: row per person and family). A search reads only its own layout.
INDEX_LAYOUT = 3
#: An index depends on the feature code, not on a model: it is versioned by the feature set
#: (and by its layout).
INDEX_VERSION = f"f{FEATURE_SET_VERSION}-l{INDEX_LAYOUT}"
#: People ranked at a time in a search: the temporaries of a chunk (its candidate features)
#: stay a few tens of MB whatever the family's size.
SEARCH_CHUNK = 16_384
#: Rows of a region are ordered as the whole country's view orders them: region, then row.
ORDER_STRIDE = 10_000_000

PEOPLE_SCHEMA = (
    "employee_id string, agency_id string, position_id string, field string, "
    "family_rank double, grade_rank double, levels array<double>, measured array<boolean>, "
    "record array<double>, order bigint, region string, professions string, "
    + ", ".join(f"{from_column(f)} string" for f in STRUCTURAL_FAMILIES)
)
POSTS_SCHEMA = (
    "position_id string, family string, field string, agency_id string, "
    "required array<double>, region string, profession string"
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
        eligible.write.option("compression", "zstd").parquet(str(partial / "people"))
        posts = codes.mapInPandas(_posts(job), POSTS_SCHEMA)
        posts.coalesce(1).write.option("compression", "zstd").parquet(str(partial / "posts"))
        indexed, rows = _counted(partial / "people")
        publish(partial, key, out, "employee_id", 0, (), indexed, rows)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Written(key.folder(out), indexed, rows, time.perf_counter() - start)


def _counted(folder: Path) -> tuple[int, int]:
    """The people indexed and their candidacies (a person eligible for two families is two)."""
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return 0, 0
    dates = [from_column(f) for f in STRUCTURAL_FAMILIES]
    table = pq.ParquetDataset(files, partitioning=None).read(columns=dates)
    return table.num_rows, sum(len(table.column(d)) - table.column(d).null_count for d in dates)


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
    """One region's people eligible for some structural family, once each, with the date from
    which they are eligible for each family (null where they are not)."""
    records, births = region_records(Path(job.data), region, FEATURE_TABLES, job.snapshot_id)
    view = Data(records, births, population={job.as_of: Population(levels=sums)}).view(job.as_of)
    people, frame = view.people, view.frame
    dates: dict[str, list[str | None]] = {}
    anyone = np.zeros(len(frame), dtype=bool)
    for family in STRUCTURAL_FAMILIES:
        result = view.eligibility(family)
        eligible = result.eligible.to_numpy(dtype=bool)
        anyone |= eligible
        dates[from_column(family)] = [
            None if not ok else "" if pd.isna(d) else pd.Timestamp(d).date().isoformat()
            for ok, d in zip(eligible, result.eligible_from, strict=True)
        ]
    rows = np.flatnonzero(anyone)
    if not len(rows):
        return
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
            "order": job.regions.index(region) * ORDER_STRIDE + rows,
            "region": region,
            "professions": held_professions(view.facts).to_numpy(dtype=object)[rows],
        }
        | {name: [values[r] for r in rows] for name, values in dates.items()}
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
            "profession": post_requirements(records).reindex(structural).fillna("").to_numpy(),
        }
    )


def held_professions(facts: pd.DataFrame) -> pd.Series:
    """Each person's professions as the index holds them: the requirement ids they meet
    (`features.rules.professions`), joined by ``|`` ("" for none)."""
    held = [
        np.where(holds(facts, r.requirement_id).to_numpy(), r.requirement_id, "")
        for r in requirements()
    ]
    joined = ["|".join(filter(None, row)) for row in zip(*held, strict=True)] if held else []
    return pd.Series(joined or [""] * len(facts), index=facts.index, dtype=object)


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


class VacancyIndex:
    """A day's vacancy index, opened once and searched many times."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        manifest = self.folder / "_manifest.json"
        if not manifest.is_file():
            raise FileNotFoundError(f"{self.folder} holds no complete vacancy index")
        self.manifest = json.loads(manifest.read_text())
        self.as_of = str(self.manifest["as_of"])
        posts = pq.read_table(self.folder / "posts").to_pandas()
        self.posts = posts.set_index("position_id")
        self._eligible: Eligible | None = None

    @classmethod
    def latest(cls, root: Path, as_of: pd.Timestamp | None = None) -> VacancyIndex:
        """The newest complete index under `root` built by this feature code and layout (of
        `as_of` when given): an index of other feature code describes people in other terms."""
        day = as_of.date().isoformat() if as_of is not None else "*"
        pattern = f"{INDEX}/version={INDEX_VERSION}/as_of={day}/snapshot=*"
        found = sorted(
            (p for p in Path(root).glob(pattern) if (p / "_manifest.json").is_file()),
            key=lambda p: (p.parent.name, (p / "_manifest.json").stat().st_mtime),
        )
        if not found:
            which = f"of {day}" if as_of is not None else "of any day"
            raise FileNotFoundError(
                f"no vacancy index {which} under {root} for feature set {FEATURE_SET_VERSION} "
                f"(layout {INDEX_LAYOUT}): build one with `jenjang batch index`"
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

    @property
    def eligible(self) -> Eligible:
        """Everyone the index holds (read on first use: `load`)."""
        return self.load()

    def load(self) -> Eligible:
        """Read the index into memory, once (about 13 s and 3 GB for a country: a service
        does it at start, not on a request)."""
        if self._eligible is None:
            self._eligible = read_eligible(
                self.folder / "people",
                held_competencies(self.posts),
                set(self.posts["family"]),
            )
        return self._eligible

    def pool(self, family: str) -> Family:
        """The eligible of `family`, as the index holds them in memory."""
        return self.eligible.families[family]

    def search(
        self,
        position_id: str,
        scorer: Scorer,
        k: int = 10,
        agencies: tuple[str, ...] | None = None,
    ) -> list[dict[str, Any]]:
        """The post's `k` best eligible candidates in the country (or in `agencies`), each with
        the fit per competency of the post's standard, the reasons of its score, and the date.

        The family's eligible are ranked a chunk at a time, against the post narrowed to its
        standard's competencies (what `candidate_features` reads of a post), so a search costs
        the standard's columns of the family, not the whole of everyone's levels."""
        post = self.post(position_id)
        eligible, family = self.eligible, self.pool(post.family)
        keep = family.position.codes != family.position.code(post.position_id)  # not the holder
        keep &= family.holding(str(self.posts.loc[position_id, "profession"]))
        if agencies is None:  # the whole family, read in place, chunk by chunk
            at = np.arange(len(family))
            parts: list[Rows] = [
                slice(i, min(i + SEARCH_CHUNK, len(family)))
                for i in range(0, len(family), SEARCH_CHUNK)
            ]
        else:
            keep &= np.isin(family.agency.codes, [family.agency.code(a) for a in agencies])
            at, keep = np.flatnonzero(keep), np.ones(int(keep.sum()), dtype=bool)
            parts = [at[i : i + SEARCH_CHUNK] for i in range(0, len(at), SEARCH_CHUNK)]
        inside = np.flatnonzero(post.required > 0)
        columns = eligible.columns_of(inside)
        narrow = Post(
            post.position_id, post.family, post.field, post.agency_id, post.required[inside]
        )
        needs: list[str] | None = getattr(scorer, "features", None)  # what the ranker reads

        def scored(part: Rows) -> np.ndarray:
            people = family.candidates(part, columns, needs)
            return scorer.score(candidate_features(people, narrow, needs))

        # one thread: two threads over chunks measured slower (numpy's and the GIL's overheads
        # on a chunk outweigh the second core)
        scores = np.concatenate([np.zeros(0), *map(scored, parts)])  # zeros: no chunks at all
        order = _best(scores, keep, k)
        top = at[order]
        people = family.candidates(top, columns)
        pairs = candidate_features(people, narrow)
        explain = getattr(scorer, "reasons", None)
        reasons = explain(pairs) if explain and len(top) else [[]] * len(top)
        fit = _fit(people.levels, post.required[inside], inside)
        top_rows = family.person_rows[top]  # rows into `eligible`: their ids and regions
        ids = eligible.ids.take(pa.array(top_rows, type=pa.int64())).to_pylist()
        agency, region = family.agency.decode(top), eligible.region.decode(top_rows)
        dates = family.eligible_from.decode(top)
        talent = RECORD_FEATURES.index("talent_box")
        rating = RECORD_FEATURES.index("rating_last")
        return [
            {
                "position_id": post.position_id,
                "rank": n + 1,
                "employee_id": ids[n],
                "agency_id": agency[n],
                "region": str(region[n]),
                "score": float(scores[i]),
                "fit_score": float(pairs["fit_score"].iloc[n]),
                "eligible": True,
                "failed_rules": [],
                "eligible_from": str(dates[n]),
                "fit": fit[n],
                "talent_box": float(people.record[n, talent]),
                "rating_last": float(people.record[n, rating]),
                "reasons": reasons[n],
                "as_of": self.as_of,
            }
            for n, i in enumerate(order)
        ]


def _best(scores: np.ndarray, keep: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` highest scores where `keep`, best first, ties in position order:
    exactly the first `k` of a stable sort of the kept scores, without sorting them all."""
    kept = np.flatnonzero(keep)
    if len(kept) > k:
        threshold = np.partition(scores[kept], len(kept) - k)[len(kept) - k]
        kept = kept[scores[kept] >= threshold]
    return kept[np.argsort(-scores[kept], kind="stable")][:k]


def _fit(
    levels: np.ndarray, required: np.ndarray, inside: np.ndarray
) -> list[list[dict[str, Any]]]:
    """Fit per competency of the post's standard (`required` at competencies `inside`; `levels`
    of those competencies), for each candidate."""
    fit = competency_fit(levels, required)
    codes = competency_codes()
    return [
        [
            {
                "competency_code": codes[c],
                "required_level": float(required[j]),
                "level": round(float(levels[i, j]), 3),
                "shortfall": round(float(fit.shortfall[i, j]), 3),
                "surplus": round(float(fit.surplus[i, j]), 3),
            }
            for j, c in enumerate(inside)
        ]
        for i in range(len(levels))
    ]
