"""The training recommender's fairness audit on hand-built people: who is offered a leadership
course, by sex and age band, and the smallest impact ratio among groups large enough to read."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from training.courses.evaluation import MIN_SLICE, offer_rates, smallest_impact_ratio


def _people(n: int) -> tuple[SimpleNamespace, pd.DataFrame]:
    ids = np.array([f"E{i:03d}" for i in range(4 * n)])
    protected = pd.DataFrame(
        {
            "sex": ["F"] * (2 * n) + ["M"] * (2 * n),
            "birth_date": pd.to_datetime(["1990-01-01", "1970-01-01"] * (2 * n)),
        },
        index=ids[::-1],  # another order than the batch's: rows are matched by id
    )
    return SimpleNamespace(employee_ids=ids), protected


def test_rates_and_impact_ratios_per_group() -> None:
    batch, protected = _people(MIN_SLICE)
    women = np.isin(batch.employee_ids, protected.index[protected["sex"] == "F"])
    offered = {"learned": np.where(women, np.arange(len(women)) % 2 == 0, True)}
    table = offer_rates(offered, batch, protected, 2025)  # type: ignore[arg-type]
    sex = table[table["attribute"] == "sex"].set_index("group")
    assert sex.loc["F", "rate"] == 0.5 and sex.loc["M", "rate"] == 1.0
    assert sex.loc["F", "impact_ratio"] == 0.5
    bands = table[table["attribute"] == "age_band"]
    assert set(bands["group"]) == {"<40", "50+"} and (bands["candidates"] == 2 * MIN_SLICE).all()
    assert smallest_impact_ratio(sex.reset_index()) == 0.5


def test_small_or_unknown_groups_are_not_read() -> None:
    table = pd.DataFrame(
        {
            "group": ["F", "M", "unknown"],
            "candidates": [MIN_SLICE - 1, 100, 100],
            "impact_ratio": [0.1, 1.0, 0.2],
        }
    )
    assert smallest_impact_ratio(table) == 1.0
    assert np.isnan(smallest_impact_ratio(table[:1]))
