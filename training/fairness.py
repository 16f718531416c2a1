"""Selection rates by group and impact ratios (the four-fifths rule of adverse impact).

For a set of selections — the top-k suggestions per vacancy, or the people actually chosen —
the selection rate of a group is how many of its candidates were selected over how many it
had; the impact ratio divides each group's rate by the highest group's. A ratio below 0.8 (the
"four-fifths rule" of the US Uniform Guidelines, a convention, not Indonesian regulation) flags
adverse impact. The groups come from `features.store.personal` and are used here only, never as
features.
"""

from __future__ import annotations

import pandas as pd

#: Impact ratio below which a group is flagged (four-fifths rule).
FOUR_FIFTHS = 0.8


def selection_rates(
    candidates: pd.DataFrame, selected: pd.Series, attributes: list[str]
) -> pd.DataFrame:
    """Per attribute and group: candidates, selected, rate, impact ratio, flag.

    `candidates` has one row per (vacancy, candidate) with the attribute columns; `selected`
    (same index) marks the rows selected.
    """
    rows = []
    for attribute in attributes:
        groups = candidates[attribute].fillna("unknown")
        table = (
            pd.DataFrame({"group": groups, "selected": selected.astype(int)})
            .groupby("group")["selected"]
            .agg(candidates="size", selected="sum")
            .reset_index()
        )
        table["rate"] = table["selected"] / table["candidates"]
        best = table["rate"].max()
        table["impact_ratio"] = table["rate"] / best if best > 0 else float("nan")
        table["adverse_impact"] = table["impact_ratio"] < FOUR_FIFTHS
        rows.append(table.assign(attribute=attribute))
    columns = ["attribute", "group", "candidates", "selected", "rate", "impact_ratio"]
    return pd.concat(rows, ignore_index=True)[[*columns, "adverse_impact"]]
