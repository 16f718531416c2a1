"""Candidate × position features: how one person stands against one post's standard.

For one position (a vacancy an HR planner opens) and everyone in an employee feature frame
(`features.frame.build_feature_frame`), one row per person: the competency fit to the post's
standard level by level (`features.fit`), how large a step the move is, and the person's own
record (ratings, potential, tenure, training). Vectorised over people, so ranking a whole
province for a vacancy is a few array operations.

Protected attributes (sex, age, religion, anything from the NIP) are not in the frame and so
cannot be here. ``same_agency`` is kept apart (`PROXIMITY_FEATURES`): the imitation baseline
uses it because past decisions favoured insiders; the placement-success model does not, because
staying close to the post is not merit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from features import reference
from features.fit import competency_fit
from features.frame import block

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


@cache
def minimum_grades() -> dict[str, float]:
    """Family → rank of its lowest grade (NaN where the family sets none)."""
    table = reference.load("position_families")
    ranks = reference.grade_rank()
    return {
        family: float(ranks[grade]) if isinstance(grade, str) and grade else float("nan")
        for family, grade in zip(table["family"], table["min_grade"], strict=True)
    }


def candidate_features(frame: pd.DataFrame, levels: np.ndarray, post: Post) -> pd.DataFrame:
    """One row per person of `frame` (same order) against `post`.

    `levels` are the people's competency levels with the unmeasured ones estimated
    (`features.transformers.LevelImputer.fill`); `frame` gives which were really measured.
    """
    fit = competency_fit(levels, post.required, frame["field"].to_numpy(), post.field)
    inside = post.required > 0
    measured = ~np.isnan(block(frame, "level")[:, inside])
    count = max(int(inside.sum()), 1)
    current_rank = frame["family"].map(family_ranks()).to_numpy(dtype=float)
    target_rank = family_ranks().get(post.family, np.nan)
    out = pd.DataFrame(
        {
            "fit_score": fit.score,
            "shortfall_mean": fit.shortfall[:, inside].sum(axis=1) / count,
            "shortfall_max": fit.shortfall[:, inside].max(axis=1, initial=0.0),
            "surplus_mean": fit.surplus[:, inside].sum(axis=1) / count,
            "field_match": fit.field_match,
            "measured_share_target": measured.sum(axis=1) / count,
            "target_rank": np.full(len(frame), target_rank),
            "rank_step": target_rank - current_rank,
            "grade_over_minimum": frame["grade_rank"].to_numpy(dtype=float)
            - minimum_grades().get(post.family, np.nan),
        },
        index=frame.index,
    )
    out[RECORD_FEATURES] = frame[RECORD_FEATURES].to_numpy(dtype=float)
    out["same_agency"] = (frame["agency_id"].to_numpy() == post.agency_id).astype(float)
    return out
