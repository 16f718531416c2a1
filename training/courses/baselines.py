"""The baselines the learned recommender must beat, on the same split and candidates.

- `Popularity`: what most people took in the training cycles.
- `FamilyPopularity`: what people of the same position family took (backed off to overall).
- `GapRule`: what a careful HR officer does by hand: the owed leadership training first, then
  the courses whose level band and promised gain cover most of the person's measured gaps to
  the current post's standard (family means where never assessed), the next step's gaps next.
- `ImplicitALS`: collaborative filtering (`implicit`'s alternating least squares) on who took
  what, the peer a user might pick instead of Jenjang; people with no history fall back to
  popularity.

Each has `fit(records, split)` and `scores(batch)` (people × courses; higher is better).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from features.asof.course_history import taken_pairs
from features.asof.positions import current_positions
from features.asof.records import Records, known
from training.courses.batch import Batch
from training.split import TemporalSplit, cycle_start, labels

#: Bonus that puts an owed leadership training above every other course.
OWED_FIRST = 1e6


def _train_labels(records: Records, split: TemporalSplit) -> pd.DataFrame:
    """(employee, course, year) started in the training cycles, known before the cutoff."""
    frames = [
        labels(records, year, known_before=split.cutoff).assign(year=year)
        for year in split.train_years
    ]
    return pd.concat(frames, ignore_index=True)


class Popularity:
    """Courses ranked by how many people started them in the training cycles."""

    name = "popularity"

    def fit(self, records: Records, split: TemporalSplit) -> Popularity:
        self.counts_ = _train_labels(records, split)["course_id"].value_counts()
        return self

    def scores(self, batch: Batch) -> np.ndarray:
        counts = self.counts_.reindex(batch.catalogue.ids).fillna(0).to_numpy(dtype=float)
        return np.broadcast_to(counts, batch.allowed.shape).copy()


class FamilyPopularity:
    """Courses ranked by uptake among people of the same position family."""

    name = "family_popularity"

    def fit(self, records: Records, split: TemporalSplit) -> FamilyPopularity:
        taken = _train_labels(records, split)
        parts = []
        for year in split.train_years:
            positions = current_positions(records, cycle_start(year))["family"]
            rows = taken[taken["year"] == year]
            parts.append(rows.assign(family=rows["employee_id"].map(positions)))
        taken = pd.concat(parts)
        self.by_family_ = taken.groupby(["family", "course_id"]).size()
        self.overall_ = taken["course_id"].value_counts()
        return self

    def scores(self, batch: Batch) -> np.ndarray:
        ids = batch.catalogue.ids
        overall = self.overall_.reindex(ids).fillna(0).to_numpy(dtype=float)
        overall = overall / max(overall.sum(), 1.0)
        out = np.broadcast_to(overall * 1e-3, batch.allowed.shape).copy()
        families = batch.frame["family"].fillna("").to_numpy()
        for family in np.unique(families):
            if family not in self.by_family_.index.get_level_values(0):
                continue
            counts = self.by_family_.loc[family].reindex(ids).fillna(0).to_numpy(dtype=float)
            out[families == family] += counts / max(counts.sum(), 1.0)
        return out


class GapRule:
    """Owed leadership training, then coverage of the current post's gaps, then the next step's."""

    name = "gap_rule"

    def fit(self, records: Records, split: TemporalSplit) -> GapRule:
        return self

    def scores(self, batch: Batch) -> np.ndarray:
        cover = batch.coverage()
        owed, current, following = (
            cover[name] for name in ("leadership_owed_course", "cover_current", "cover_next")
        )
        return OWED_FIRST * owed + current + 1e-3 * following


class ImplicitALS:
    """Matrix factorisation of the person × course history with implicit's ALS."""

    name = "implicit_als"

    def __init__(self, factors: int = 32, regularization: float = 0.05, iterations: int = 20):
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations

    def fit(self, records: Records, split: TemporalSplit) -> ImplicitALS:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        history = taken_pairs(known(records["training_records"], split.cutoff))
        self.users_ = pd.Index(history["employee_id"].unique())
        self.items_ = pd.Index(sorted(records["courses"]["course_id"]))
        history = history[history["course_id"].isin(self.items_)]
        matrix = sparse.csr_matrix(
            (
                np.ones(len(history), dtype=np.float32),
                (
                    self.users_.get_indexer(history["employee_id"]),
                    self.items_.get_indexer(history["course_id"]),
                ),
            ),
            shape=(len(self.users_), len(self.items_)),
        )
        with threadpool_limits(1, "blas"):  # implicit's advice: its own threads, not BLAS's
            self.model_ = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                iterations=self.iterations,
                random_state=0,
            )
            self.model_.fit(matrix, show_progress=False)
        self.popularity_ = np.asarray(matrix.sum(axis=0)).ravel()
        return self

    def scores(self, batch: Batch) -> np.ndarray:
        items = self.items_.get_indexer(batch.catalogue.ids)
        rows = self.users_.get_indexer(batch.employee_ids)
        item_factors = np.asarray(self.model_.item_factors)[items]
        user_factors = np.asarray(self.model_.user_factors)
        known_user = rows >= 0
        out = np.zeros(batch.allowed.shape)
        out[known_user] = user_factors[rows[known_user]] @ item_factors.T
        popularity = self.popularity_[items] / max(self.popularity_.max(), 1.0)
        out[~known_user] = popularity
        out[known_user] += 1e-6 * popularity
        return out


BASELINES = (Popularity, FamilyPopularity, GapRule, ImplicitALS)
