"""Succession pools (Kelompok Rencana Suksesi) for JPT and administrator positions.

PermenPANRB 3/2020 jo 20/2025: people in talent boxes 7–9 feed the succession group; anyone with
a medium or heavy disciplinary penalty in the last two years is excluded. A pool for a position
family lists, among the people given, those in a succession box who are eligible now ("ready
now") or whom time alone makes eligible within the horizon ("ready in 1–2 years"), with the
date, so an HR planner sees the bench and when it fills.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from features import reference
from features.rules.eligibility import evaluate

#: Families whose posts get succession pools.
POOL_FAMILIES = ("jpt_utama", "jpt_madya", "jpt_pratama", "administrator")
HORIZON_YEARS = 2


@cache
def succession_boxes() -> frozenset[int]:
    table = reference.load("talent_boxes")
    return frozenset(table.loc[table["succession"] == "true", "box"].astype(int))


def succession_pool(
    facts: pd.DataFrame,
    features: pd.DataFrame,
    family: str,
    as_of: pd.Timestamp,
    horizon_years: int = HORIZON_YEARS,
) -> pd.DataFrame:
    """The pool for posts of `family` among the people of `facts` (eligibility facts) with
    their feature-frame rows `features` (indexed by employee_id: talent box, exclusion)."""
    if family not in POOL_FAMILIES:
        raise ValueError(f"succession pools are for {', '.join(POOL_FAMILIES)}, not {family!r}")
    result = evaluate(facts, family, as_of)
    box = features["talent_box"].reindex(facts.index)
    excluded = features["discipline_excluded"].reindex(facts.index).fillna(0).astype(bool)
    in_box = box.isin(succession_boxes()) & ~excluded
    horizon = as_of + pd.DateOffset(years=horizon_years)
    ready_now = in_box & result.eligible
    ready_later = in_box & ~result.eligible & (result.eligible_from <= horizon)
    pool = pd.DataFrame(
        {
            "talent_box": box,
            "readiness": pd.Series(None, index=facts.index, dtype=object)
            .mask(ready_later, "1-2 tahun")
            .mask(ready_now, "siap sekarang"),
            "eligible_from": result.eligible_from,
            "failed_rules": result.failed.sum(axis=1),
        }
    )
    pool = pool[ready_now | ready_later]
    order = pool["readiness"].eq("siap sekarang")
    return (
        pool.assign(_now=order)
        .sort_values(["_now", "talent_box", "eligible_from"], ascending=[False, False, True])
        .drop(columns="_now")
    )
