"""Where a person stands at a date: current position, grade, tenure, and the standards they face.

Everything here is point-in-time: a position or grade decree counts only if it was recorded
before `as_of` and took effect on or before it. The next career step of each position family is
reference data (`career_steps.csv`), so the "next step" a person is measured against is the
family above theirs, with the technical competencies of their own post.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from features import reference
from features.asof.records import Records, known

DAYS_PER_YEAR = 365.25


@cache
def competency_codes() -> tuple[str, ...]:
    """Every competency code, in the dictionary's order (the columns of level matrices)."""
    return tuple(reference.load("competencies")["code"])


@cache
def general_mask() -> np.ndarray:
    """True for the managerial and socio-cultural competencies (M.01–M.08, SK.01)."""
    kinds = reference.load("competencies")["kind"].to_numpy()
    return kinds != "technical"


def current_positions(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each employee's position at `as_of` with its family, field, unit, agency and tenure.

    The latest decree that took effect on or before `as_of` and was recorded before it wins.
    """
    history = known(records["position_history"], as_of)
    history = history[history["start_date"] <= as_of]
    latest = history.sort_values(["employee_id", "start_date"]).drop_duplicates(
        "employee_id", keep="last"
    )
    positions = records["positions"][["position_id", "unit_id", "family", "field", "occupation"]]
    units = records["units"][["unit_id", "agency_id"]]
    frame = latest[["employee_id", "position_id", "start_date"]].merge(
        positions, on="position_id", how="left"
    )
    frame = frame.merge(units, on="unit_id", how="left")
    frame["years_in_position"] = (as_of - frame["start_date"]).dt.days / DAYS_PER_YEAR
    return frame.drop(columns="start_date").set_index("employee_id")


def latest_grades(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each employee's latest grade decree at `as_of` (employee_id, grade, start_date): the
    latest that took effect on or before `as_of` and was recorded before it."""
    grades = known(records["grade_history"], as_of)
    grades = grades[grades["start_date"] <= as_of]
    return grades.sort_values(["employee_id", "start_date"]).drop_duplicates(
        "employee_id", keep="last"
    )


def current_grades(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each employee's grade rank (I/a = 1 … IV/e = 17) at `as_of` and years in that grade."""
    latest = latest_grades(records, as_of)
    frame = pd.DataFrame(
        {
            "grade_rank": latest["grade"].map(reference.grade_rank()).astype(float).to_numpy(),
            "years_in_grade": ((as_of - latest["start_date"]).dt.days / DAYS_PER_YEAR).to_numpy(),
        },
        index=pd.Index(latest["employee_id"].to_numpy(), name="employee_id"),
    )
    return frame


def standard_matrix(records: Records) -> pd.DataFrame:
    """Required level per position (rows) and competency (columns); 0 = not in the standard."""
    standards = records["position_standards"]
    wide = standards.pivot_table(
        index="position_id",
        columns="competency_code",
        values="required_level",
        aggfunc="max",
    )
    return wide.reindex(columns=list(competency_codes())).fillna(0).astype(float)


@cache
def next_family() -> dict[str, str]:
    """Position family → the family of its usual next career step."""
    steps = reference.load("career_steps")
    return dict(zip(steps["family"], steps["next_family"], strict=True))


def next_step_required(required: np.ndarray, families: np.ndarray) -> np.ndarray:
    """The standard of each person's next step, from their current standard and family.

    General competencies move to the next family's required level; the technical competencies
    of the current post move up to the next family's technical level (never down). People at
    the top of a ladder keep their current standard.
    """
    table = reference.load("position_families").set_index("family")
    following = pd.Series(families).map(next_family())
    general_level = following.map(table["required_level"].astype(float)).to_numpy()
    technical_level = following.map(table["technical_level"].astype(float)).to_numpy()
    out = required.copy()
    has_next = ~np.isnan(general_level)
    general = general_mask()
    out[np.ix_(has_next, general)] = np.maximum(
        out[np.ix_(has_next, general)], general_level[has_next, None]
    )
    technical = (~general)[None, :] & (required > 0) & has_next[:, None]
    out = np.where(technical, np.maximum(out, technical_level[:, None]), out)
    return out
