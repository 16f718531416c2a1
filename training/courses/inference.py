"""Answering "which trainings for this person, and why" from a fitted recommender.

`RecommendationEngine` prepares, once per `as_of`, everything that does not depend on the
person asking (the feature frame of everyone active, recent uptake, who took what); a request
then only scores one person's candidates, so an answer takes milliseconds. The MLflow pyfunc
(`training.courses.pyfunc`) holds one engine; the service holds no feature logic.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from features.asof.course_history import recorded, taken_pairs
from features.asof.course_pairs import Catalogue, Uptake, allowed_matrix, course_uptake
from features.asof.frame import block, build_feature_frame
from features.asof.positions import competency_codes
from features.asof.records import Records, active_at
from training.contract import MAX_K, UnknownEmployee
from training.courses.batch import CHUNK_PEOPLE, Batch
from training.courses.model import TrainingRecommender, combine
from training.courses.reasons import Explainer
from training.metrics import top_k

log = logging.getLogger(__name__)


#: The columns of an answer and their MLflow schema types (the pyfunc's output signature).
OUTPUT_TYPES = {
    "employee_id": "string",
    "rank": "long",
    "course_id": "string",
    "title_id": "string",
    "title_en": "string",
    "kind": "string",
    "delivery": "string",
    "jp": "long",
    "score": "double",
    "expected_gain": "double",
    "uptake_probability": "double",
    "reasons": "string",
    "as_of": "string",
}
OUTPUT_COLUMNS = list(OUTPUT_TYPES)


#: The columns of a person's feature row that the reasons read.
EXPLAINED = [
    "position_id",
    "family",
    "leadership_course",
    "leadership_overdue",
    "years_in_position",
    "jp_12m",
    "jp_shortfall_12m",
]


@dataclass
class Request:
    employee_id: str
    k: int = 10
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scored:
    """Some people's scored candidates at one date (people × catalogue) and their estimated
    levels (people × competencies), row `i` being the `i`-th person asked for."""

    scores: np.ndarray
    gain: np.ndarray
    uptake: np.ndarray
    allowed: np.ndarray
    levels: np.ndarray


class RecommendationEngine:
    """A fitted recommender plus the records of one date, ready to answer per person.

    Building one only gathers what every answer shares (everyone's features on the date,
    recent uptake, who took what): seconds, not the minute that scoring everyone costs. A
    person is scored when first asked (milliseconds) and kept, up to `kept` people; a batch
    job scores everyone chunk by chunk (`score`, `answers`) in bounded memory. Scores are scaled
    within each person's row, so an answer does not depend on who else was scored with it.
    """

    def __init__(
        self,
        recommender: TrainingRecommender,
        records: Records,
        as_of: pd.Timestamp | None = None,
        frame: pd.DataFrame | None = None,
        kept: int = 4096,
        uptake: Uptake | None = None,
    ) -> None:
        """`frame`: everyone's features on `as_of` when already built (a `View`'s frame),
        else they are built here. `uptake`: the recent uptake of courses when `records` hold
        only part of the population (a region of a national batch job), else counted here."""
        self.recommender = recommender
        self.records = records
        self.as_of = pd.Timestamp(as_of or pd.Timestamp.now().normalize())
        self.catalogue = Catalogue.from_records(records)
        if frame is None:
            frame = build_feature_frame(active_at(records, self.as_of), records)
        frame = frame[frame["position_id"].notna()]
        self.frame = frame.set_index("employee_id", drop=False)
        self.uptake = uptake or course_uptake(records, self.catalogue, self.as_of)
        self.row = {person: i for i, person in enumerate(self.frame.index)}
        self.taken = _taken_by_row(
            taken_pairs(recorded(records, self.as_of)), self.row, self.catalogue
        )
        self.titles = records["positions"].set_index("position_id")["title"]
        self.share = recommender.effects_.for_catalogue(self.catalogue)
        # what the reasons read of each person, as plain dicts (a frame row costs milliseconds)
        self.people: list[dict[str, Any]] = self.frame[EXPLAINED].to_dict("records")  # type: ignore[assignment]
        self.blocks = {
            prefix: block(self.frame, prefix) for prefix in ("required", "next_required", "level")
        }
        self.kept = kept
        self._scored: OrderedDict[int, Scored] = OrderedDict()
        self._levels: OrderedDict[int, np.ndarray] = OrderedDict()
        log.info("recommendation engine ready for %d people at %s", len(self.frame), self.as_of)

    def score(self, rows: np.ndarray) -> Scored:
        """Score the people at frame positions `rows` together (a chunk of a batch job)."""
        frame = self.frame.iloc[rows].reset_index(drop=True)
        taken = self.taken[rows].toarray().astype(bool)
        allowed = allowed_matrix(frame, taken, self.catalogue)
        batch = Batch(self.as_of, frame, self.catalogue, self.uptake, taken, allowed, self.records)
        levels = self.recommender.estimate_levels(batch)
        parts = self.recommender.components(batch, levels)
        scores = combine(parts, allowed, self.recommender.config)
        return Scored(scores, parts.gain_current, parts.uptake, allowed, levels)

    def scored(self, row: int) -> Scored:
        """One person's scores (computed on first use and kept)."""
        if row in self._scored:
            self._scored.move_to_end(row)
            return self._scored[row]
        one = self.score(np.array([row]))
        self._scored[row] = one
        while len(self._scored) > self.kept:
            self._scored.popitem(last=False)
        return one

    def levels(self, employee_ids: Sequence[str]) -> np.ndarray:
        """People × competencies: each person's current levels on the engine's date, the very
        levels their scores and reasons are computed from (a row of NaN for someone not active
        with a known position). The service shows these on the profile, the chart and the
        career paths, so a level reads the same wherever it is quoted. Estimated on first use
        (milliseconds a person) and kept, up to `kept` people."""
        out = np.full((len(employee_ids), len(competency_codes())), np.nan)
        rows = [self.row.get(person, -1) for person in employee_ids]
        known = {r: v for r in set(rows) if r >= 0 and (v := self._levels.get(r)) is not None}
        for r in set(rows) - known.keys():  # people already scored carry their levels
            if r >= 0 and (one := self._scored.get(r)) is not None:
                known[r] = one.levels[0]
        missing = sorted({r for r in rows if r >= 0} - known.keys())
        if missing:
            frame = self.frame.iloc[missing].reset_index(drop=True)
            found = self.recommender.current_levels(frame, self.records, self.catalogue)
            known.update(zip(missing, found, strict=True))
            self._levels.update(zip(missing, found, strict=True))
            try:  # the first kept go first (another request's thread may be at it too)
                while len(self._levels) > self.kept:
                    self._levels.popitem(last=False)
            except KeyError:
                pass
        for i, row in enumerate(rows):
            if row >= 0:
                out[i] = known[row]
        return out

    def chunks(self, size: int = CHUNK_PEOPLE) -> Iterator[tuple[np.ndarray, Scored]]:
        """Everyone's scores, `size` people at a time (frame positions and their scores)."""
        for start in range(0, len(self.frame), size):
            rows = np.arange(start, min(start + size, len(self.frame)))
            yield rows, self.score(rows)

    def recommend(self, request: Request) -> pd.DataFrame:
        """The top-k courses for one person with scores and reasons (OUTPUT_COLUMNS)."""
        return pd.DataFrame(self.recommend_rows(request), columns=OUTPUT_COLUMNS)

    def recommend_rows(self, request: Request) -> list[dict[str, object]]:
        """The same answer as plain rows, reasons as a list of dicts (no DataFrame: a service
        answering one person at a time spends more on building a small DataFrame than on
        choosing the courses)."""
        if request.employee_id not in self.row:
            raise UnknownEmployee(
                f"employee {request.employee_id!r} is not active with a known position "
                f"on {self.as_of.date()}"
            )
        row = self.row[request.employee_id]
        return self.answer(row, self.scored(row), 0, request.k, request.kinds)

    def answer(
        self, row: int, scored: Scored, i: int, k: int, kinds: tuple[str, ...] = ()
    ) -> list[dict[str, object]]:
        """The answer rows of the person at frame position `row`, whose scores are row `i` of
        `scored`."""
        k = max(1, min(int(k), MAX_K))
        allowed = scored.allowed[i]
        if kinds:
            allowed = allowed & self.catalogue.courses["kind"].isin(kinds).to_numpy()
        scores = scored.scores[i]
        order = np.argsort(-np.where(allowed, scores, -np.inf), kind="stable")
        order = order[allowed[order]][:k]
        explainer = self._explainer(row, scored.levels[i])
        as_of = self.as_of.date().isoformat()
        employee_id = str(self.frame.index[row])
        rows = []
        for rank, course in enumerate(order, start=1):
            info = self.catalogue.rows[course]
            rows.append(
                {
                    "employee_id": employee_id,
                    "rank": rank,
                    "course_id": info["course_id"],
                    "title_id": info["title_id"],
                    "title_en": info["title_en"],
                    "kind": info["kind"],
                    "delivery": info["delivery"],
                    "jp": int(info["jp"]),
                    "score": round(float(scores[course]), 6),
                    "expected_gain": round(float(scored.gain[i, course]), 6),
                    "uptake_probability": round(float(scored.uptake[i, course]), 6),
                    "reasons": explainer.reasons(int(course)),
                    "as_of": as_of,
                }
            )
        return rows

    def answers(self, k: int, size: int = CHUNK_PEOPLE) -> Iterator[list[dict[str, object]]]:
        """Every person's top-k answer with reasons, one chunk of people at a time (what
        `jenjang score` writes)."""
        for rows, scored in self.chunks(size):
            yield [
                answer
                for i, row in enumerate(rows)
                for answer in self.answer(int(row), scored, i, k)
            ]

    def _explainer(self, row: int, levels: np.ndarray) -> Explainer:
        person = self.people[row]
        title = str(self.titles.get(person["position_id"], person["position_id"]))
        return Explainer(
            person,
            self.blocks["required"][row],
            self.blocks["next_required"][row],
            self.blocks["level"][row],
            levels,
            self.catalogue,
            self.share,
            title,
            self.uptake.by_family.get(str(person["family"])),
        )


def _taken_by_row(
    pairs: pd.DataFrame, row: dict[str, int], catalogue: Catalogue
) -> sparse.csr_matrix:
    """Who took what, as a sparse people (engine rows) × courses matrix: a chunk's rows are a
    slice, not a search through every record."""
    column = {course: j for j, course in enumerate(catalogue.ids)}
    people = pairs["employee_id"].map(row)
    courses = pairs["course_id"].map(column)
    keep = people.notna() & courses.notna()
    shape = (len(row), len(catalogue.ids))
    ones = np.ones(int(keep.sum()), dtype=np.int8)
    matrix = sparse.coo_matrix(
        (ones, (people[keep].astype(int), courses[keep].astype(int))), shape=shape
    )
    return matrix.tocsr()


def recommend_everyone(engine: RecommendationEngine, k: int = 10) -> pd.DataFrame:
    """Top-k courses of every person of the engine's date (batch scoring, without reasons),
    chunk by chunk.

    Returns employee_id, rank, course_id, score, expected_gain, uptake_probability.
    """
    parts = []
    for rows, scored in engine.chunks():
        top = top_k(scored.scores, scored.allowed, k)
        person, rank = np.nonzero(top >= 0)
        course = top[person, rank]
        parts.append(
            pd.DataFrame(
                {
                    "employee_id": engine.frame["employee_id"].to_numpy()[rows[person]],
                    "rank": rank + 1,
                    "course_id": engine.catalogue.ids[course],
                    "score": scored.scores[person, course],
                    "expected_gain": scored.gain[person, course],
                    "uptake_probability": scored.uptake[person, course],
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
