"""`build_feature_frame(spine, records)`: one row of point-in-time features per (employee, as_of).

The same function runs when a model is trained (a spine of many people at several dates) and
when it answers (one person, today). Only facts recorded before each row's `as_of` are used;
labels live in `training/` and never come through here. The employee features are the locked
list `EMPLOYEE_FEATURES`; the competency block (measured level, current and next-step required
level for every competency) feeds the employee × course pair features of
`features.asof.course_pairs` and the explanations.
"""

from __future__ import annotations

import hashlib
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from features import reference
from features.asof.competencies import measured_levels, potential
from features.asof.course_history import recorded, training_features
from features.asof.evaluations import evaluation_features, unit_ratings
from features.asof.positions import (
    competency_codes,
    current_grades,
    current_positions,
    next_step_required,
    standard_matrix,
)
from features.asof.records import Records
from features.asof.talent import discipline_excluded, performance_tier, talent_box

#: Bump when a feature is added, removed or changes meaning (models record it; the service
#: refuses a model built on another version).
FEATURE_SET_VERSION = "1"

CONTEXT_COLUMNS = [
    "employee_id",
    "as_of",
    "position_id",
    "family",
    "field",
    "occupation",
    "unit_id",
    "agency_id",
    "leadership_course",
]

EMPLOYEE_FEATURES = [
    "education_rank",
    "is_pppk",
    "grade_rank",
    "years_in_grade",
    "years_in_position",
    "assessed",
    "potential_score",
    "potential_tier",
    "years_since_assessment",
    "required_count",
    "measured_share",
    "gap_current_mean",
    "gap_current_max",
    "gap_next_mean",
    "rating_last",
    "rating_mean_2y",
    "rating_min_2y",
    "rating_vs_unit_2y",
    "rating_trend_3y",
    "years_rated",
    "unit_rating_last",
    "jp_12m",
    "jp_24m",
    "jp_shortfall_12m",
    "years_since_training",
    "courses_taken",
    "courses_technical",
    "courses_functional",
    "courses_managerial",
    "courses_socio_cultural",
    "courses_leadership",
    "leadership_owed",
    "leadership_overdue",
    "talent_box",
    "discipline_excluded",
]


@cache
def feature_code_version() -> str:
    """A digest of the code and reference data feature frames are built from: a frame kept on
    disk (`features.asof.records.FrameCache`) is found only by the code that built it, so a
    changed builder never reads an old frame."""
    root = Path(__file__).resolve().parent.parent  # features/
    files = [*(root / "asof").glob("*.py"), *(root / "reference").glob("*.csv"), root / "schema.py"]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def level_columns(prefix: str) -> list[str]:
    """Names of one competency block: ``level__M.01``, ``required__M.01``, …"""
    return [f"{prefix}__{code}" for code in competency_codes()]


def block(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    """One competency block (``level``, ``required``, ``next_required``) as a float array.

    Fast path for frames from `build_feature_frame`, whose blocks are contiguous columns; any
    other frame is read by label.
    """
    names = level_columns(prefix)
    start = frame.columns.get_indexer(pd.Index([names[0]]))[0]
    stop = start + len(names)
    if start >= 0 and stop <= frame.shape[1] and frame.columns[stop - 1] == names[-1]:
        return frame.iloc[:, start:stop].to_numpy(dtype=float)
    return frame[names].to_numpy(dtype=float)


def build_feature_frame(spine: pd.DataFrame, records: Records) -> pd.DataFrame:
    """Features for each row of `spine` (columns ``employee_id``, ``as_of``), in spine order.

    People unknown at their `as_of` (no position recorded yet) keep their row with missing
    values, so a caller can see who could not be described.
    """
    spine = spine[["employee_id", "as_of"]].reset_index(drop=True)
    spine["as_of"] = pd.to_datetime(spine["as_of"]).astype("datetime64[us]")
    repeated = spine.duplicated()
    if repeated.any():
        first = spine[repeated].iloc[0]
        raise ValueError(
            f"the spine repeats ({first['employee_id']}, {first['as_of'].date()}) "
            f"({int(repeated.sum())} repeated rows): one row per employee and date"
        )
    parts = []
    for as_of in sorted(spine["as_of"].unique()):
        rows = spine[spine["as_of"] == as_of]
        part = _frame_at(pd.Timestamp(as_of), rows["employee_id"], records)
        parts.append(part.set_index(rows.index))
    frame = pd.concat(parts).sort_index() if parts else _frame_at(pd.Timestamp(0), [], records)
    columns = CONTEXT_COLUMNS + EMPLOYEE_FEATURES + _block_columns()
    return frame.reindex(columns=columns)


def _block_columns() -> list[str]:
    return level_columns("level") + level_columns("required") + level_columns("next_required")


def _frame_at(
    as_of: pd.Timestamp, employee_ids: pd.Series | list, records: Records
) -> pd.DataFrame:
    """Features of the given people at one date (rows in the order of `employee_ids`).

    Every builder works on whole tables, so describing a few people costs nearly as much as
    describing everyone: the frame of everyone on the employees table is built once per date
    and kept with the records (`Records.frames`), and each call takes its rows. People not on
    the employees table at all are described directly.
    """
    ids = pd.Index(pd.Series(employee_ids, dtype=object), name="employee_id")
    known_ids = records["employees"]["employee_id"]
    if not ids.isin(known_ids).all():
        return _describe_at(as_of, ids, records)
    everyone = records.frames.get(as_of)
    if everyone is None:
        everyone = _describe_at(as_of, pd.Index(known_ids, name="employee_id"), records)
        everyone = everyone.set_index(pd.Index(everyone["employee_id"], name=None))
        records.frames.put(as_of, everyone)
    return everyone.reindex(ids).reset_index(drop=True)


def _describe_at(as_of: pd.Timestamp, ids: pd.Index, records: Records) -> pd.DataFrame:
    """Features of the people `ids` at one date, computed from the records."""
    positions = current_positions(records, as_of).reindex(ids)
    frame = positions.copy()
    frame["employee_id"] = ids
    frame["as_of"] = as_of
    frame = frame.join(_static(records), how="left").join(current_grades(records, as_of))
    frame = frame.join(potential(records, as_of))
    frame["assessed"] = frame["potential_score"].notna().astype(float)
    frame = frame.join(evaluation_features(records, as_of))
    frame["unit_rating_last"] = frame["unit_id"].map(unit_ratings(records, as_of))
    trainings = recorded(records, as_of)
    frame = frame.join(training_features(records, as_of, positions, trainings))
    tier = performance_tier(frame["rating_mean_2y"], frame["rating_min_2y"])
    frame["talent_box"] = talent_box(tier, frame["potential_tier"])
    excluded = discipline_excluded(records, as_of)
    frame["discipline_excluded"] = frame.index.isin(excluded.index).astype(float)
    block = _competency_block(records, as_of, frame)
    return pd.concat([frame.reset_index(drop=True), block], axis=1)


def _static(records: Records) -> pd.DataFrame:
    """Education rank and employment type (PPPK or PNS) per employee."""
    employees = records["employees"].set_index("employee_id")
    return pd.DataFrame(
        {
            "education_rank": employees["education"].map(reference.education_rank()).astype(float),
            "is_pppk": (employees["employment_type"] == "PPPK").astype(float),
        }
    )


def _competency_block(records: Records, as_of: pd.Timestamp, frame: pd.DataFrame) -> pd.DataFrame:
    """Measured levels, current and next-step standards, and gap summaries (sets them on frame)."""
    levels = measured_levels(records, as_of).reindex(frame.index).to_numpy()
    standards = standard_matrix(records)
    required = standards.reindex(frame["position_id"]).fillna(0.0).to_numpy()
    following = next_step_required(required, frame["family"].fillna("").to_numpy())
    in_standard = required > 0
    count = in_standard.sum(axis=1)
    measured = in_standard & ~np.isnan(levels)
    gap = np.where(measured, np.clip(required - np.nan_to_num(levels), 0, None), np.nan)
    next_measured = (following > 0) & ~np.isnan(levels)
    next_gap = np.where(next_measured, np.clip(following - np.nan_to_num(levels), 0, None), np.nan)
    with warnings.catch_warnings():  # "mean of empty slice" for people never assessed
        warnings.simplefilter("ignore", RuntimeWarning)
        frame["required_count"] = count.astype(float)
        frame["measured_share"] = measured.sum(axis=1) / np.maximum(count, 1)
        frame["gap_current_mean"] = np.nanmean(gap, axis=1)
        frame["gap_current_max"] = np.nanmax(np.where(measured, gap, -np.inf), axis=1)
        frame["gap_next_mean"] = np.nanmean(next_gap, axis=1)
    frame.loc[frame["measured_share"] == 0, "gap_current_max"] = np.nan
    return pd.DataFrame(np.hstack([levels, required, following]), columns=_block_columns())
