"""Measured competency levels and potential, as known at a date.

A competency is measured by an assessment (assessment centre, uji kompetensi, CAT, SJT); the
latest measurement known before `as_of` is the person's level for it. Many people have never
been assessed, or not on every competency: those levels stay missing here and are imputed by
`features.asof.transformers.LevelImputer`, which learns what people in the same position family
usually measure.
"""

from __future__ import annotations

import pandas as pd

from features.asof.positions import DAYS_PER_YEAR, competency_codes
from features.asof.records import Records, known

POTENTIAL_TIERS = {"rendah": 1.0, "menengah": 2.0, "tinggi": 3.0}


def measured_levels(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest measured level per employee (rows) and competency (columns); NaN if never."""
    assessments = known(records["assessments"], as_of)
    assessments = assessments[assessments["assessed_on"] < as_of]
    levels = records["assessment_levels"].merge(
        assessments[["assessment_id", "employee_id", "assessed_on"]], on="assessment_id"
    )
    latest = levels.sort_values(["assessed_on", "assessment_id"], kind="stable").drop_duplicates(
        ["employee_id", "competency_code"], keep="last"
    )
    wide = latest.pivot(index="employee_id", columns="competency_code", values="level")
    return wide.reindex(columns=list(competency_codes())).astype(float)


def potential(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest potential score and tier, and years since the last assessment."""
    assessments = known(records["assessments"], as_of)
    assessments = assessments[assessments["assessed_on"] < as_of]
    latest = assessments.sort_values(["assessed_on", "assessment_id"], kind="stable")
    latest = latest.drop_duplicates("employee_id", keep="last")
    return pd.DataFrame(
        {
            "potential_score": latest["potential_score"].to_numpy(),
            "potential_tier": latest["potential_tier"].map(POTENTIAL_TIERS).to_numpy(),
            "years_since_assessment": (
                (as_of - latest["assessed_on"]).dt.days / DAYS_PER_YEAR
            ).to_numpy(),
        },
        index=pd.Index(latest["employee_id"].to_numpy(), name="employee_id"),
    )
