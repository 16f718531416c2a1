"""The talent box (kotak manajemen talenta, 1–9) from kinerja × potensial, as known at a date.

PermenPANRB 3/2020 jo 20/2025: kinerja in three tiers from the SKP of the last two years,
potensial in three tiers from assessments; the 9-box numbering is `talent_boxes.csv`. How the
two-year ratings become a tier is not written down anywhere we found: the cut-offs are the
heuristic constants ``performance_tier_high_mean`` and ``performance_tier_low_min``. Anyone
with a medium or heavy disciplinary penalty in the lookback window is excluded from the
succession group (flag ``discipline_excluded``), whatever their box.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from features import reference
from features.asof.calendar import shift
from features.asof.records import Records, known

PERFORMANCE_TIERS = ("di_bawah", "sesuai", "di_atas")
POTENTIAL_TIER_NAMES = {1.0: "rendah", 2.0: "menengah", 3.0: "tinggi"}


def performance_tier(mean_2y: pd.Series, min_2y: pd.Series) -> pd.Series:
    """Kinerja tier from the last two years' ordinals (missing when never rated)."""
    high = float(reference.constant("performance_tier_high_mean"))
    low = float(reference.constant("performance_tier_low_min"))
    tier = np.select(
        [min_2y <= low, mean_2y >= high, mean_2y.notna()],
        ["di_bawah", "di_atas", "sesuai"],
        default="",
    )
    return pd.Series(tier, mean_2y.index).replace("", None)


@cache
def _boxes() -> dict[tuple[str, str], int]:
    table = reference.load("talent_boxes")
    return {
        (p, q): int(b)
        for p, q, b in zip(
            table["performance_tier"], table["potential_tier"], table["box"], strict=True
        )
    }


def talent_box(performance: pd.Series, potential_tier: pd.Series) -> pd.Series:
    """Box 1–9 from tier names (float, NaN when either tier is unknown)."""
    potential_names = potential_tier.map(POTENTIAL_TIER_NAMES)
    keys = zip(performance.fillna(""), potential_names.fillna(""), strict=True)
    return pd.Series([_boxes().get(k, np.nan) for k in keys], performance.index, dtype=float)


def discipline_excluded(records: Records, as_of: pd.Timestamp) -> pd.Series:
    """True for people with a medium/heavy penalty decided in the lookback window."""
    years = float(reference.constant("discipline_lookback_years"))
    penalties = known(records["disciplinary_records"], as_of)
    heavy = penalties[penalties["severity"].isin(["sedang", "berat"])]
    clear = shift(pd.to_datetime(heavy["decided_on"]), years, "years")  # as eligibility's DISC
    recent = heavy[(heavy["decided_on"] <= as_of) & (clear > as_of)]
    return pd.Series(True, index=pd.Index(recent["employee_id"].unique(), name="employee_id"))
