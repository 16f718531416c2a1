"""What HR planners said of earlier proposed candidates, asked of a new placement model: are
the people planners accepted still among its first five for that post on that date, and the
people they rejected (with a reason) too (lower is better)? It ranks among everyone eligible,
not only the planner's agencies, so an accepted person may fall out of the first five without
any fault of the model: the figure is a comparison between versions."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from features.asof.records import Records
from features.planning.ranking import Scorer, rank_candidates
from features.view import build_view, vacancy_post
from training.feedback import agreement, judgements

#: The list length the agreement is measured at.
FIRST_CANDIDATES = 5


def placement_judgements(engine: sa.Engine) -> pd.DataFrame:
    """Every judgement on proposed candidates: position_id, employee_id, decision, as_of."""
    return judgements(engine, "candidates", subject="position_id", item="employee_id")


def placement_agreement(
    scorer: Scorer, records: Records, judged: pd.DataFrame, birth_dates: pd.Series
) -> dict[str, float]:
    """How far a placement model agrees with the planners' judgements."""
    rows = []
    for _, group in judged.groupby("as_of"):
        view = build_view(records, group["as_of"].iloc[0], birth_dates)
        for position_id, on_post in group.groupby("position_id"):
            try:
                post = vacancy_post(records, str(position_id), view.standards)
            except (KeyError, ValueError):  # the post is gone or no longer filled by placement
                continue
            first = set(rank_candidates(view, post, scorer, k=FIRST_CANDIDATES)["employee_id"])
            rows += [
                {"decision": d, "in_top": e in first}
                for e, d in zip(on_post["employee_id"], on_post["decision"], strict=True)
            ]
    table = pd.DataFrame(rows, columns=["decision", "in_top"])
    return agreement(table, "accepted", "rejected", FIRST_CANDIDATES)
