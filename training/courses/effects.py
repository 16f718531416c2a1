"""How much each course really raises the competencies it targets, learned from re-assessments.

The catalogue promises a nominal gain per competency; courses differ in how much of it they
deliver. People assessed twice show it: between two assessments, a competency rises with
experience and with the courses taken in between. A ridge regression of the change in measured
level on the courses taken (each course's column is its nominal gain for that competency when
the learner was in its band) and on the experience terms estimates, per course, the share of the
nominal gain it delivers. Ridge shrinks courses with few re-assessed takers towards the common
share, so a rarely taken course is neither praised nor blamed on thin evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import RidgeCV

from features.asof.course_pairs import BAND_SLACK, Catalogue
from features.asof.positions import DAYS_PER_YEAR, competency_codes, standard_matrix
from features.asof.records import Records, known

#: Ridge penalties tried; the one with the smallest leave-one-out error on the re-assessments
#: is used (scikit-learn's RidgeCV), so the choice rests on observable data only.
ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0)
#: The estimated delivered share is kept within these bounds.
SHARE_BOUNDS = (0.1, 3.0)


@dataclass(frozen=True)
class CourseEffects:
    """Estimated delivered share of the nominal gain per course (1.0 = as promised)."""

    share: pd.Series  # indexed by course_id
    common: float
    rows: int
    courses_with_evidence: int

    def for_catalogue(self, catalogue: Catalogue) -> np.ndarray:
        return self.share.reindex(catalogue.ids).fillna(self.common).to_numpy()


def reassessment_rows(records: Records, cutoff: pd.Timestamp) -> pd.DataFrame:
    """(employee, competency) pairs measured twice before `cutoff`, with the two levels."""
    assessments = known(records["assessments"], cutoff)
    levels = records["assessment_levels"].merge(
        assessments[["assessment_id", "employee_id", "assessed_on"]], on="assessment_id"
    )
    levels = levels.sort_values(["employee_id", "competency_code", "assessed_on"])
    previous = levels.groupby(["employee_id", "competency_code"]).shift(1)
    rows = levels.assign(
        level_before=previous["level"], assessed_before=previous["assessed_on"]
    ).dropna(subset=["level_before"])
    return rows.reset_index(drop=True)


def fit_course_effects(
    records: Records,
    catalogue: Catalogue,
    cutoff: pd.Timestamp,
    alphas: tuple[float, ...] = ALPHAS,
) -> CourseEffects:
    """Fit the delivered share of each course from re-assessments known before `cutoff`."""
    rows = reassessment_rows(records, cutoff)
    if rows.empty:
        return CourseEffects(pd.Series(dtype=float), 1.0, 0, 0)
    design, _ = _design(records, catalogue, rows, cutoff)
    change = (rows["level"] - rows["level_before"]).to_numpy(dtype=float)
    model = RidgeCV(alphas=alphas).fit(design, change)
    k = len(catalogue.ids)
    common_coef = float(model.coef_[k])
    common = float(np.clip(common_coef, *SHARE_BOUNDS))
    share = np.clip(common_coef + model.coef_[:k], *SHARE_BOUNDS)
    evidence = np.asarray(abs(design[:, :k]).sum(axis=0)).ravel() > 0
    return CourseEffects(
        share=pd.Series(np.where(evidence, share, common), index=catalogue.ids),
        common=common,
        rows=len(rows),
        courses_with_evidence=int(evidence.sum()),
    )


def _design(
    records: Records, catalogue: Catalogue, rows: pd.DataFrame, cutoff: pd.Timestamp
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Per row: each course's banded nominal gain taken between the two assessments, the
    common total, and the experience terms (years between, in the standard, distance to it)."""
    trainings = known(records["training_records"], cutoff).dropna(subset=["course_id"])
    course_index = pd.Series(np.arange(len(catalogue.ids)), index=catalogue.ids)
    code_index = pd.Series(np.arange(len(competency_codes())), index=list(competency_codes()))
    entries = pd.DataFrame(
        {
            "course": catalogue.entry_course,
            "competency": catalogue.entry_competency,
            "lo": catalogue.entry_min,
            "hi": catalogue.entry_max,
            "gain": catalogue.entry_gain,
        }
    )
    takes = trainings.assign(course=trainings["course_id"].map(course_index))[
        ["employee_id", "course", "start_date"]
    ].merge(entries, on="course")
    frame = rows.assign(
        row=np.arange(len(rows)), competency=rows["competency_code"].map(code_index)
    )
    hits = frame[
        ["row", "employee_id", "competency", "level_before", "assessed_before", "assessed_on"]
    ]
    hits = hits.merge(takes, on=["employee_id", "competency"])
    hits = hits[
        (hits["start_date"] >= hits["assessed_before"]) & (hits["start_date"] < hits["assessed_on"])
    ]
    in_band = (hits["level_before"] >= hits["lo"] - BAND_SLACK) & (
        hits["level_before"] <= hits["hi"] + BAND_SLACK
    )
    value = (hits["gain"] * in_band).to_numpy(dtype=float)
    k = len(catalogue.ids)
    courses = sparse.csr_matrix(
        (value, (hits["row"].to_numpy(), hits["course"].to_numpy(dtype=int))), shape=(len(rows), k)
    )
    common = np.asarray(courses.sum(axis=1)).ravel()
    years = (rows["assessed_on"] - rows["assessed_before"]).dt.days.to_numpy() / DAYS_PER_YEAR
    required = required_at(records, rows, cutoff)
    inside = (required > 0).astype(float)
    room = np.clip(required - rows["level_before"].to_numpy(dtype=float), 0, None)
    experience = np.column_stack(
        [years, years * inside, room, rows["level_before"].to_numpy(dtype=float), inside]
    )
    design = sparse.hstack([courses, common[:, None], experience]).tocsr()
    return design, common


def required_at(records: Records, rows: pd.DataFrame, cutoff: pd.Timestamp) -> np.ndarray:
    """Required level of the competency in the post held at the first assessment (0 if none)."""
    history = known(records["position_history"], cutoff)
    history = history[["employee_id", "position_id", "start_date"]]
    history = history.sort_values("start_date")
    probe = rows[["employee_id", "assessed_before", "competency_code"]].copy()
    probe["order"] = np.arange(len(probe))
    probe = probe.sort_values("assessed_before")
    merged = pd.merge_asof(
        probe,
        history,
        left_on="assessed_before",
        right_on="start_date",
        by="employee_id",
        direction="backward",
    )
    standards = standard_matrix(records)
    stacked = standards.stack()
    keys = pd.MultiIndex.from_arrays([merged["position_id"], merged["competency_code"]])
    required = stacked.reindex(keys).fillna(0.0).to_numpy()
    out = np.empty(len(rows))
    out[merged["order"].to_numpy()] = required
    return out
