"""A scoring batch: everyone to recommend for at one date, with the candidates they may get.

Every recommender (baseline or learned) scores the same `Batch`, so the comparison is on the
same people, the same candidate courses and the same exclusions (already taken, prerequisites
missing, mandated for another position).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.asof.course_history import recorded, taken_pairs
from features.asof.course_pairs import (
    Catalogue,
    Uptake,
    allowed_matrix,
    course_uptake,
    gap_coverage,
    taken_matrix,
)
from features.asof.frame import build_feature_frame
from features.asof.records import Records
from features.asof.transformers import LevelImputer

#: People whose pair features are computed together (people × catalogue rows: 2,000 × 232 is
#: about half a million), so memory stays bounded whatever the size of the batch.
CHUNK_PEOPLE = 2000


@dataclass
class Batch:
    """People at one `as_of` × the catalogue, with features and the candidate mask."""

    as_of: pd.Timestamp
    frame: pd.DataFrame  # build_feature_frame output (measured levels, NaN when unknown)
    catalogue: Catalogue
    uptake: Uptake
    taken: np.ndarray
    allowed: np.ndarray
    records: Records
    _imputed: pd.DataFrame | None = field(default=None, repr=False)
    #: results computed once per batch by whoever needs them (the truth's gains, say)
    memo: dict[object, object] = field(default_factory=dict, repr=False)

    @property
    def employee_ids(self) -> np.ndarray:
        return self.frame["employee_id"].to_numpy()

    def imputed(self) -> pd.DataFrame:
        """The frame with unmeasured levels filled by family means (fitted on this batch)."""
        if self._imputed is None:
            self._imputed = LevelImputer().fit(self.frame).transform(self.frame)
        return self._imputed

    def coverage(self) -> dict[str, np.ndarray]:
        """`gap_coverage` of everyone on the family-mean imputed levels, people × courses,
        `CHUNK_PEOPLE` people at a time (their people × course-entry views stay small)."""
        imputed = self.imputed()
        parts = [
            gap_coverage(imputed.iloc[start : start + CHUNK_PEOPLE], self.catalogue)
            for start in range(0, len(imputed), CHUNK_PEOPLE)
        ]
        if not parts:
            return gap_coverage(imputed, self.catalogue)
        return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}

    def subset(self, mask: np.ndarray | slice) -> Batch:
        """The batch restricted to the rows where `mask` is True (or to a slice of rows)."""
        return Batch(
            self.as_of,
            self.frame[mask].reset_index(drop=True),
            self.catalogue,
            self.uptake,
            self.taken[mask],
            self.allowed[mask],
            self.records,
        )


def build_batch(
    records: Records,
    spine: pd.DataFrame,
    catalogue: Catalogue | None = None,
) -> Batch:
    """Features and candidates for a spine that shares one `as_of` (people without a known
    position are dropped: nothing can be said about them)."""
    as_of = pd.Timestamp(spine["as_of"].iloc[0])
    if (pd.to_datetime(spine["as_of"]) != as_of).any():
        raise ValueError("a batch is for one as_of date; split the spine by date")
    catalogue = catalogue or Catalogue.from_records(records)
    frame = build_feature_frame(spine, records)
    frame = frame[frame["position_id"].notna()].reset_index(drop=True)
    taken = taken_matrix(frame, taken_pairs(recorded(records, as_of)), catalogue)
    allowed = allowed_matrix(frame, taken, catalogue)
    return Batch(
        as_of, frame, catalogue, course_uptake(records, catalogue, as_of), taken, allowed, records
    )
