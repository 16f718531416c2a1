"""Candidate × position features: how one person stands against one post's standard.

For one position (a vacancy an HR planner opens) and everyone in an employee feature frame
(`features.asof.frame.build_feature_frame`), one row per person: the competency fit to the post's
standard level by level (`features.asof.fit`), how large a step the move is, and the person's own
record (ratings, potential, tenure, training). Vectorised over people, so ranking a whole
province for a vacancy is a few array operations.

Protected attributes (sex, age, religion, anything from the NIP) are not in the frame and so
cannot be here. ``same_agency`` is kept apart (`PROXIMITY_FEATURES`): the imitation baseline
uses it because past decisions favoured insiders; the placement-success model does not, because
staying close to the post is not merit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache, partial

import numpy as np
import pandas as pd

from features import reference
from features.asof.fit import competency_fit
from features.asof.frame import block

#: The person's own record, copied from the employee feature frame.
RECORD_FEATURES = [
    "education_rank",
    "grade_rank",
    "years_in_grade",
    "years_in_position",
    "assessed",
    "potential_score",
    "years_since_assessment",
    "rating_last",
    "rating_mean_2y",
    "rating_min_2y",
    "rating_vs_unit_2y",
    "rating_trend_3y",
    "years_rated",
    "jp_24m",
    "courses_managerial",
    "courses_leadership",
    "leadership_owed",
    "talent_box",
    "discipline_excluded",
]

#: The person against this post.
FIT_FEATURES = [
    "fit_score",
    "shortfall_mean",
    "shortfall_max",
    "surplus_mean",
    "field_match",
    "measured_share_target",
    "target_rank",
    "rank_step",
    "grade_over_minimum",
]

PROXIMITY_FEATURES = ["same_agency"]

CANDIDATE_FEATURES = FIT_FEATURES + RECORD_FEATURES

#: What the placement-success model reads: the fit to the post and the performance record.
SUCCESS_FEATURES = [
    "fit_score",
    "shortfall_mean",
    "surplus_mean",
    "field_match",
    "rank_step",
    "target_rank",
    "rating_last",
    "rating_mean_2y",
    "rating_min_2y",
    "rating_vs_unit_2y",
    "potential_score",
]


@dataclass(frozen=True)
class Post:
    """A position as the candidate features need it."""

    position_id: str
    family: str
    field: str | None
    agency_id: str | None
    required: np.ndarray  # competencies; 0 = not in the standard


@cache
def family_ranks() -> dict[str, float]:
    table = reference.load("position_families")
    return dict(zip(table["family"], table["rank"].astype(float), strict=True))


@dataclass(frozen=True)
class People:
    """What candidate features read about people, as arrays (one row per person), so that a
    vacancy's candidates are a row selection rather than a slice of the wide feature frame."""

    ids: np.ndarray
    levels: np.ndarray  # people × competencies, unmeasured ones estimated
    measured: np.ndarray  # people × competencies, True where really measured
    record: np.ndarray  # people × record_names
    field: np.ndarray
    family_rank: np.ndarray
    grade_rank: np.ndarray
    agency: np.ndarray
    #: The record features `record` holds: all of them, unless the people were read for a
    #: scorer that needs fewer (a national search reads only what its ranker reads).
    record_names: tuple[str, ...] = tuple(RECORD_FEATURES)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, levels: np.ndarray) -> People:
        """From an employee feature frame and the levels with the unmeasured ones estimated
        (`features.asof.transformers.LevelImputer.fill`); the frame says which were measured."""
        return cls(
            ids=frame.index.to_numpy(),
            levels=np.asarray(levels, dtype=float),
            measured=~np.isnan(block(frame, "level")),
            record=frame[RECORD_FEATURES].to_numpy(dtype=float),
            field=frame["field"].to_numpy(dtype=object),
            family_rank=frame["family"].map(family_ranks()).to_numpy(dtype=float),
            grade_rank=frame["grade_rank"].to_numpy(dtype=float),
            agency=frame["agency_id"].to_numpy(dtype=object),
        )

    def take(self, rows: np.ndarray) -> People:
        arrays = {
            f.name: getattr(self, f.name)[rows] for f in fields(self) if f.name != "record_names"
        }
        return replace(self, **arrays)


def candidate_features(
    people: People, post: Post, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per person of `people` (same order, indexed by id) against `post`: every
    candidate feature, or only `columns` (what a scorer reads: a national search ranks two
    million people a post and builds no column its ranker ignores)."""
    inside = post.required > 0
    # only the standard's competencies count: fit on them alone is the same and far cheaper
    fit = competency_fit(people.levels[:, inside], post.required[inside], people.field, post.field)
    count = max(int(inside.sum()), 1)
    target_rank = family_ranks().get(post.family, np.nan)
    record = dict(zip(people.record_names, people.record.T, strict=True))
    makers: dict[str, Callable[[], np.ndarray]] = {
        "fit_score": lambda: fit.score,
        "shortfall_mean": lambda: fit.shortfall.sum(axis=1) / count,
        "shortfall_max": lambda: fit.shortfall.max(axis=1, initial=0.0),
        "surplus_mean": lambda: fit.surplus.sum(axis=1) / count,
        "field_match": lambda: fit.field_match,
        "measured_share_target": lambda: people.measured[:, inside].sum(axis=1) / count,
        "target_rank": lambda: np.full(len(people.ids), target_rank),
        "rank_step": lambda: target_rank - people.family_rank,
        "grade_over_minimum": lambda: (
            people.grade_rank
            - reference.grade_ranks_by("position_families", "family", "min_grade").get(
                post.family, np.nan
            )
        ),
        "same_agency": lambda: (people.agency == post.agency_id).astype(float),
    }
    makers |= {name: partial(record.__getitem__, name) for name in RECORD_FEATURES}
    wanted = CANDIDATE_FEATURES + PROXIMITY_FEATURES if columns is None else columns
    return pd.DataFrame({name: makers[name]() for name in wanted}, index=pd.Index(people.ids))
