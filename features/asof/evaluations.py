"""Performance history (SKP) harmonised across the 2011 and 2022 schemes, as known at a date.

Before 2022 an SKP was a score 0–100 with five categories (PP 46/2011); from 2022 it is a
predikat from the hasil × perilaku matrix (PermenPANRB 6/2022). Both map to the ordinal scale of
`ratings.csv` (1 = Buruk/Sangat Kurang … 5 = Sangat Baik). Because the 2022 forced distribution
caps a unit's ratings by the unit's own predikat, a person's rating is also given relative to the
peers rated in the same unit and year, so a strict unit does not make its staff look weak.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from features import reference
from features.asof.records import Records, known

#: A unit-year needs this many rated people for the peer-relative rating to mean anything.
MIN_PEERS = 3

UNIT_RATING_ORDINAL = {
    "istimewa": 5.0,
    "baik": 4.0,
    "butuh_perbaikan": 3.0,
    "kurang": 2.0,
    "sangat_kurang": 1.0,
}


@cache
def _ordinals() -> dict[tuple[str, str], float]:
    ratings = reference.load("ratings")
    return {
        (s, r): float(o)
        for s, r, o in zip(ratings["scheme"], ratings["rating"], ratings["ordinal"], strict=True)
    }


def score_ordinal(score: pd.Series) -> pd.Series:
    """Ordinal of a PP 46/2011 SKP score (91+ = 5, 76–90 = 4, 61–75 = 3, 51–60 = 2, else 1)."""
    bands = reference.load("ratings").query("scheme == 'numeric_2011'")
    edges = np.sort(bands["score_min"].astype(float).to_numpy())[1:]
    return pd.Series(np.searchsorted(edges, score.to_numpy(), side="right") + 1.0, score.index)


def harmonised(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Annual evaluations known before `as_of`, one ordinal per (employee, year)."""
    evaluations = known(records["evaluations"], as_of)
    evaluations = evaluations[evaluations["period"] == "annual"]
    keys = zip(evaluations["scheme"], evaluations["rating"].fillna(""), strict=True)
    ordinal = pd.Series([_ordinals().get(k, np.nan) for k in keys], evaluations.index)
    from_score = score_ordinal(evaluations["score"].fillna(-1.0)).where(
        evaluations["score"].notna()
    )
    ordinal = ordinal.fillna(from_score)
    frame = evaluations[["employee_id", "year", "unit_id"]].assign(ordinal=ordinal)
    return frame.dropna(subset=["ordinal"]).drop_duplicates(["employee_id", "year"], keep="last")


def evaluation_features(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per employee: last rating, 2-year mean, 3-year trend, rating relative to unit peers."""
    frame = harmonised(records, as_of)
    group = frame.groupby(["unit_id", "year"])["ordinal"]
    peers = group.transform("size")
    frame["vs_unit"] = (frame["ordinal"] - group.transform("mean")).where(peers >= MIN_PEERS)
    frame = frame.sort_values(["employee_id", "year"])
    frame["recency"] = frame.groupby("employee_id").cumcount(ascending=False)
    last2 = frame[frame["recency"] < 2].groupby("employee_id")
    last3 = frame[frame["recency"] < 3]
    out = pd.DataFrame(
        {
            "rating_last": frame[frame["recency"] == 0].set_index("employee_id")["ordinal"],
            "rating_mean_2y": last2["ordinal"].mean(),
            "rating_min_2y": last2["ordinal"].min(),
            "rating_vs_unit_2y": last2["vs_unit"].mean(),
            "rating_trend_3y": _slope(last3),
            "years_rated": frame.groupby("employee_id").size().astype(float),
        }
    )
    out.index.name = "employee_id"
    return out


def _slope(frame: pd.DataFrame) -> pd.Series:
    """Least-squares slope of ordinal on year per employee (NaN with fewer than 2 years)."""
    grouped = frame.groupby("employee_id")
    year_mean = grouped["year"].transform("mean")
    ordinal_mean = grouped["ordinal"].transform("mean")
    dx = frame["year"].astype(float) - year_mean
    cov = (dx * (frame["ordinal"] - ordinal_mean)).groupby(frame["employee_id"]).sum()
    var = (dx * dx).groupby(frame["employee_id"]).sum()
    return (cov / var.where(var > 0)).astype(float)


def unit_ratings(records: Records, as_of: pd.Timestamp) -> pd.Series:
    """The latest known predikat of each unit, as an ordinal (Istimewa = 5 … Sangat Kurang = 1)."""
    units = known(records["unit_evaluations"], as_of).sort_values("year")
    latest = units.drop_duplicates("unit_id", keep="last").set_index("unit_id")["rating"]
    return latest.map(UNIT_RATING_ORDINAL).astype(float)
