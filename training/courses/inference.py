"""Answering "which trainings for this person, and why" from a fitted recommender.

`RecommendationEngine` prepares, once per `as_of`, everything that does not depend on the
person asking (the feature frame of everyone active, recent uptake, who took what); a request
then only scores one person's candidates, so an answer takes milliseconds. The MLflow pyfunc
(`training.courses.pyfunc`) holds one engine; the service holds no feature logic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.asof.course_history import recorded, taken_pairs
from features.asof.course_pairs import Catalogue, allowed_matrix, course_uptake, taken_matrix
from features.asof.frame import block, build_feature_frame
from features.asof.records import Records, active_at
from training.contract import MAX_K, UnknownEmployee
from training.courses.batch import Batch
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
    """Everyone's scored candidates at one date (people × catalogue), for answering by row."""

    scores: np.ndarray
    gain: np.ndarray
    uptake: np.ndarray
    allowed: np.ndarray


class RecommendationEngine:
    """A fitted recommender plus the records of one date, ready to answer per person.

    Everyone active is scored once when the engine is built (in chunks, so memory stays
    bounded while scoring); a request then only picks the person's row, filters it and explains
    the top k: a few milliseconds, which a service under load needs. Scores are scaled within
    each person's row, so an answer does not depend on who else was scored.
    """

    def __init__(
        self,
        recommender: TrainingRecommender,
        records: Records,
        as_of: pd.Timestamp | None = None,
        chunk: int = 2000,
        frame: pd.DataFrame | None = None,
    ) -> None:
        """`frame`: everyone's features on `as_of` when already built (a `View`'s frame),
        else they are built here."""
        self.recommender = recommender
        self.records = records
        self.as_of = pd.Timestamp(as_of or pd.Timestamp.now().normalize())
        self.catalogue = Catalogue.from_records(records)
        if frame is None:
            frame = build_feature_frame(active_at(records, self.as_of), records)
        frame = frame[frame["position_id"].notna()]
        self.frame = frame.set_index("employee_id", drop=False)
        self.uptake = course_uptake(records, self.catalogue, self.as_of)
        taken = taken_pairs(recorded(records, self.as_of))
        self.taken = taken.set_index("employee_id", drop=False).sort_index()
        self.titles = records["positions"].set_index("position_id")["title"]
        self.share = recommender.effects_.for_catalogue(self.catalogue)
        # levels depend on nothing the request changes: estimate everyone's once
        self.levels = recommender.estimate_levels(self._batch(slice(None), with_taken=False))
        self.scored = self._score_everyone(chunk)
        self.row = {person: i for i, person in enumerate(self.frame.index)}
        # what the reasons read of each person, as plain dicts (a frame row costs milliseconds)
        self.people: list[dict[str, Any]] = self.frame[EXPLAINED].to_dict("records")  # type: ignore[assignment]
        self.blocks = {
            prefix: block(self.frame, prefix) for prefix in ("required", "next_required", "level")
        }
        log.info("recommendation engine ready for %d people at %s", len(self.frame), self.as_of)

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
        k = max(1, min(int(request.k), MAX_K))
        row = self.row[request.employee_id]
        allowed = self.scored.allowed[row]
        if request.kinds:
            allowed = allowed & self.catalogue.courses["kind"].isin(request.kinds).to_numpy()
        scores = self.scored.scores[row]
        order = np.argsort(-np.where(allowed, scores, -np.inf), kind="stable")
        order = order[allowed[order]][:k]
        explainer = self._explainer(row)
        as_of = self.as_of.date().isoformat()
        rows = []
        for rank, course in enumerate(order, start=1):
            info = self.catalogue.rows[course]
            rows.append(
                {
                    "employee_id": request.employee_id,
                    "rank": rank,
                    "course_id": info["course_id"],
                    "title_id": info["title_id"],
                    "title_en": info["title_en"],
                    "kind": info["kind"],
                    "delivery": info["delivery"],
                    "jp": int(info["jp"]),
                    "score": round(float(scores[course]), 6),
                    "expected_gain": round(float(self.scored.gain[row, course]), 6),
                    "uptake_probability": round(float(self.scored.uptake[row, course]), 6),
                    "reasons": explainer.reasons(int(course)),
                    "as_of": as_of,
                }
            )
        return rows

    def _explainer(self, row: int) -> Explainer:
        person = self.people[row]
        title = str(self.titles.get(person["position_id"], person["position_id"]))
        return Explainer(
            person,
            self.blocks["required"][row],
            self.blocks["next_required"][row],
            self.blocks["level"][row],
            self.levels[row],
            self.catalogue,
            self.share,
            title,
            self.uptake.by_family.get(str(person["family"])),
        )

    def _batch(self, rows: slice, with_taken: bool = True) -> Batch:
        """A scoring batch of some of the engine's people, with what each may still take."""
        frame = self.frame.iloc[rows].reset_index(drop=True)
        shape = (len(frame), len(self.catalogue.ids))
        taken = (
            taken_matrix(frame, self.taken.reset_index(drop=True), self.catalogue)
            if with_taken
            else np.zeros(shape, dtype=bool)
        )
        allowed = allowed_matrix(frame, taken, self.catalogue) if with_taken else taken
        return Batch(self.as_of, frame, self.catalogue, self.uptake, taken, allowed, self.records)

    def _score_everyone(self, chunk: int) -> Scored:
        parts = []
        for start in range(0, len(self.frame), chunk):
            rows = slice(start, start + chunk)
            batch = self._batch(rows)
            components = self.recommender.components(batch, self.levels[rows])
            scores = combine(components, batch.allowed, self.recommender.config)
            parts.append((scores, components.gain_current, components.uptake, batch.allowed))
        if not parts:
            empty = np.zeros((0, len(self.catalogue.ids)))
            return Scored(empty, empty, empty, empty.astype(bool))
        return Scored(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def recommend_everyone(engine: RecommendationEngine, k: int = 10) -> pd.DataFrame:
    """Top-k courses of every person of the engine's date (batch scoring, without reasons).

    Returns employee_id, rank, course_id, score, expected_gain, uptake_probability.
    """
    scored = engine.scored
    top = top_k(scored.scores, scored.allowed, k)
    person, rank = np.nonzero(top >= 0)
    course = top[person, rank]
    return pd.DataFrame(
        {
            "employee_id": engine.frame["employee_id"].to_numpy()[person],
            "rank": rank + 1,
            "course_id": engine.catalogue.ids[course],
            "score": scored.scores[person, course],
            "expected_gain": scored.gain[person, course],
            "uptake_probability": scored.uptake[person, course],
        }
    )
