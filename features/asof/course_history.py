"""Training history as known at a date: JP against the 20 JP/year right, recency, kinds, and the
leadership training a position makes mandatory.

Every PNS has the right and the duty to at least 20 JP of competency development a year
(PP 11/2017 jo PP 17/2020); the shortfall over the last 12 months is a feature and a reason
shown to the person. Holding a managerial post obliges its leadership training (PKP, PKA,
PKN II, PKN I) within a year of appointment: owed and overdue are features and reasons too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import reference
from features.asof.positions import DAYS_PER_YEAR
from features.asof.records import Records, known

COURSE_KINDS = ("technical", "functional", "managerial", "socio_cultural", "leadership")


def recorded(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Training records known before `as_of`, kind attached (a course under way included:
    it is not suggested again)."""
    trainings = known(records["training_records"], as_of)
    kinds = records["courses"][["course_id", "kind"]]
    return trainings.merge(kinds, on="course_id", how="left")


def completed(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Recorded trainings that had ended before `as_of` (they count towards JP and kinds)."""
    trainings = recorded(records, as_of)
    ended = trainings["end_date"].fillna(trainings["start_date"])
    return trainings[ended < as_of]


def jp_this_year(records: Records, as_of: pd.Timestamp) -> pd.Series:
    """JP of competency development completed since 1 January of `as_of`'s year, per
    employee (the 20 JP a year right is counted against it)."""
    done = completed(records, as_of)
    ended = done["end_date"].fillna(done["start_date"])
    this_year = done[ended >= pd.Timestamp(year=as_of.year, month=1, day=1)]
    return this_year.groupby("employee_id")["jp"].sum()


def taken_pairs(trainings: pd.DataFrame) -> pd.DataFrame:
    """Distinct (employee_id, course_id) already taken (records matched to the catalogue)."""
    pairs = trainings.dropna(subset=["course_id"])[["employee_id", "course_id"]]
    return pairs.drop_duplicates().reset_index(drop=True)


def mandatory_courses(records: Records) -> dict[str, str]:
    """Position family (or ``cpns``/``pppk``) → the course it makes mandatory."""
    courses = records["courses"].dropna(subset=["mandatory_for"])
    return dict(zip(courses["mandatory_for"], courses["course_id"], strict=False))


def training_features(
    records: Records,
    as_of: pd.Timestamp,
    positions: pd.DataFrame,
    trainings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per employee in `positions` (indexed by employee_id): JP, recency, kinds, leadership.

    `trainings` are the records known at `as_of` (`recorded`); JP, recency and kinds count the
    finished ones, while a leadership training under way is no longer owed.
    """
    everything = recorded(records, as_of) if trainings is None else trainings
    ended_all = everything["end_date"].fillna(everything["start_date"])
    trainings = everything[ended_all < as_of]
    right = float(reference.constant("annual_development_jp"))
    ended = trainings["end_date"].fillna(trainings["start_date"])
    age_days = (as_of - ended).dt.days
    by_person = trainings.groupby("employee_id")
    out = pd.DataFrame(index=positions.index)
    for months in (12, 24):
        recent = trainings[age_days < months / 12 * DAYS_PER_YEAR]
        out[f"jp_{months}m"] = recent.groupby("employee_id")["jp"].sum().astype(float)
    out = out.fillna({"jp_12m": 0.0, "jp_24m": 0.0})
    out["jp_shortfall_12m"] = np.clip(right - out["jp_12m"], 0.0, None)
    last = ended.groupby(trainings["employee_id"]).max()
    out["years_since_training"] = (as_of - last).dt.days / DAYS_PER_YEAR
    out["courses_taken"] = by_person.size().astype(float)
    out["courses_taken"] = out["courses_taken"].fillna(0.0)
    # a group-by, not pd.crosstab: crosstab aggregates id strings in Python (a second a call)
    kinds = trainings.groupby(["employee_id", "kind"]).size().unstack(fill_value=0)
    for kind in COURSE_KINDS:
        column = kinds[kind] if kind in kinds else pd.Series(dtype=float)
        out[f"courses_{kind}"] = column.reindex(out.index).fillna(0.0).astype(float)
    out = out.join(_leadership(records, positions, everything))
    return out


def _leadership(records: Records, positions: pd.DataFrame, trainings: pd.DataFrame) -> pd.DataFrame:
    """Whether the post's leadership training is owed, and overdue (held > the deadline)."""
    mandated = mandatory_courses(records)
    course = positions["family"].map(mandated)
    taken = taken_pairs(trainings)
    done = pd.MultiIndex.from_frame(taken).isin(
        list(zip(course.index, course.fillna(""), strict=True))
    )
    done_people = set(taken.loc[done, "employee_id"])
    owed = course.notna() & ~positions.index.isin(done_people)
    deadline = float(reference.constant("leadership_training_deadline_years"))
    return pd.DataFrame(
        {
            "leadership_owed": owed.astype(float),
            "leadership_overdue": (owed & (positions["years_in_position"] > deadline)).astype(
                float
            ),
            "leadership_course": course.where(owed),
        },
        index=positions.index,
    )
