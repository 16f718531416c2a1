"""Answering "which trainings for this person, and why" from a fitted recommender.

`RecommendationEngine` prepares, once per `as_of`, everything that does not depend on the
person asking (the feature frame of everyone active, recent uptake, who took what); a request
then only scores one person's candidates, so an answer takes milliseconds. The MLflow pyfunc
(`training.pyfunc`) holds one engine; the service holds no feature logic.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.frame import build_feature_frame
from features.pairs import Catalogue, allowed_matrix, course_uptake, taken_matrix
from features.records import Records
from features.trainings import completed, taken_pairs
from training.batch import Batch
from training.explain import Explainer
from training.recommender import TrainingRecommender, combine
from training.split import active_at

log = logging.getLogger(__name__)

MAX_K = 50

OUTPUT_COLUMNS = [
    "employee_id",
    "rank",
    "course_id",
    "title_id",
    "title_en",
    "kind",
    "delivery",
    "jp",
    "score",
    "expected_gain",
    "uptake_probability",
    "reasons",
    "as_of",
]


class UnknownEmployee(LookupError):
    """The employee is not active (or not known) at the engine's date."""


@dataclass
class Request:
    employee_id: str
    k: int = 10
    kinds: tuple[str, ...] = ()


class RecommendationEngine:
    """A fitted recommender plus the records of one date, ready to answer per person."""

    def __init__(
        self, recommender: TrainingRecommender, records: Records, as_of: pd.Timestamp | None = None
    ) -> None:
        self.recommender = recommender
        self.records = records
        self.as_of = pd.Timestamp(as_of or pd.Timestamp.now().normalize())
        self.catalogue = Catalogue.from_records(records)
        people = active_at(records, self.as_of)
        frame = build_feature_frame(people, records)
        self.frame = frame[frame["position_id"].notna()].set_index("employee_id", drop=False)
        self.uptake = course_uptake(records, self.catalogue, self.as_of)
        trainings = completed(records, self.as_of)
        self.taken = taken_pairs(trainings).set_index("employee_id", drop=False).sort_index()
        self.trainings = trainings.set_index("employee_id", drop=False).sort_index()
        self.titles = records["positions"].set_index("position_id")["title"]
        self.share = recommender.effects_.for_catalogue(self.catalogue)
        log.info("recommendation engine ready for %d people at %s", len(self.frame), self.as_of)

    def recommend(self, request: Request) -> pd.DataFrame:
        """The top-k courses for one person with scores and reasons (OUTPUT_COLUMNS)."""
        if request.employee_id not in self.frame.index:
            raise UnknownEmployee(
                f"employee {request.employee_id!r} is not active with a known position "
                f"on {self.as_of.date()}"
            )
        k = max(1, min(int(request.k), MAX_K))
        batch = self._batch(request.employee_id, request.kinds)
        parts = self.recommender.components(batch)
        scores = combine(parts, batch.allowed, self.recommender.config)
        order = np.argsort(-np.where(batch.allowed[0], scores[0], -np.inf), kind="stable")
        order = order[batch.allowed[0, order]][:k]
        person = batch.frame.iloc[0]
        title = str(self.titles.get(person["position_id"], person["position_id"]))
        explainer = Explainer(
            batch.frame,
            parts.levels[0],
            self.catalogue,
            self.share,
            title,
            self.uptake.by_family.get(str(person["family"])),
        )
        rows = []
        for rank, course in enumerate(order, start=1):
            info = self.catalogue.courses.iloc[course]
            reasons = explainer.reasons(int(course))
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
                    "score": round(float(scores[0, course]), 6),
                    "expected_gain": round(float(parts.gain_current[0, course]), 6),
                    "uptake_probability": round(float(parts.uptake[0, course]), 6),
                    "reasons": json.dumps(reasons, ensure_ascii=False),
                    "as_of": self.as_of.date().isoformat(),
                }
            )
        return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)

    def _batch(self, employee_id: str, kinds: tuple[str, ...]) -> Batch:
        frame = self.frame.loc[[employee_id]].reset_index(drop=True)
        taken = taken_matrix(frame, _rows_of(self.taken, employee_id), self.catalogue)
        allowed = allowed_matrix(frame, taken, self.catalogue)
        if kinds:
            allowed &= self.catalogue.courses["kind"].isin(kinds).to_numpy()[None, :]
        own = _rows_of(self.trainings, employee_id)
        records = Records({"training_records": own}, self.records.snapshot_id)
        return Batch(self.as_of, frame, self.catalogue, self.uptake, taken, allowed, records)


def _rows_of(frame: pd.DataFrame, employee_id: str) -> pd.DataFrame:
    """Rows of a frame indexed (sorted) by employee_id for one person (binary search)."""
    start, stop = (
        frame.index.searchsorted(employee_id, "left"),
        frame.index.searchsorted(employee_id, "right"),
    )
    return frame.iloc[start:stop].reset_index(drop=True)
