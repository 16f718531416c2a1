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
from features.records import Records, active_at
from features.trainings import recorded, taken_pairs
from training.batch import Batch
from training.explain import Explainer
from training.metrics import top_k
from training.recommender import TrainingRecommender, combine

log = logging.getLogger(__name__)

MAX_K = 50

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
        trainings = recorded(records, self.as_of)
        self.taken = taken_pairs(trainings).set_index("employee_id", drop=False).sort_index()
        self.trainings = trainings.set_index("employee_id", drop=False).sort_index()
        self.titles = records["positions"].set_index("position_id")["title"]
        self.share = recommender.effects_.for_catalogue(self.catalogue)
        everyone = Batch(
            self.as_of,
            self.frame.reset_index(drop=True),
            self.catalogue,
            self.uptake,
            np.zeros((len(self.frame), len(self.catalogue.ids)), dtype=bool),
            np.zeros((len(self.frame), len(self.catalogue.ids)), dtype=bool),
            records,
        )
        # levels depend on nothing the request changes: estimate everyone's once
        self.levels = recommender.estimate_levels(everyone)
        self.row = pd.Series(np.arange(len(self.frame)), index=self.frame.index)
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
        levels = self.levels[[int(self.row[request.employee_id])]]
        parts = self.recommender.components(batch, levels)
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


def recommend_everyone(
    engine: RecommendationEngine, k: int = 10, chunk: int = 2000
) -> pd.DataFrame:
    """Top-k courses of every person of the engine's date (batch scoring, without reasons).

    People are scored in chunks so memory stays bounded (a chunk is chunk × catalogue pairs).
    Returns employee_id, rank, course_id, score, expected_gain, uptake_probability.
    """
    frames = []
    everyone = engine.frame.reset_index(drop=True)
    taken = taken_matrix(everyone, engine.taken.reset_index(drop=True), engine.catalogue)
    for start in range(0, len(everyone), chunk):
        rows = slice(start, start + chunk)
        frame = everyone.iloc[rows].reset_index(drop=True)
        allowed = allowed_matrix(frame, taken[rows], engine.catalogue)
        batch = Batch(
            engine.as_of,
            frame,
            engine.catalogue,
            engine.uptake,
            taken[rows],
            allowed,
            engine.records,
        )
        parts = engine.recommender.components(batch, engine.levels[rows])
        scores = combine(parts, allowed, engine.recommender.config)
        top = top_k(scores, allowed, k)
        person, rank = np.nonzero(top >= 0)
        course = top[person, rank]
        frames.append(
            pd.DataFrame(
                {
                    "employee_id": frame["employee_id"].to_numpy()[person],
                    "rank": rank + 1,
                    "course_id": engine.catalogue.ids[course],
                    "score": scores[person, course],
                    "expected_gain": parts.gain_current[person, course],
                    "uptake_probability": parts.uptake[person, course],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
