"""The service's feedback as evaluation data for new models.

ASN mark recommended trainings "interested" or "not relevant" (with a reason) on their page or
through the API; HR planners accept or reject proposed candidates the same way. Each judgement
names the suggestion it was about, so the audit log says who it was for, on which date and from
which model version. A new model is asked the same question on the same dates (each model
package asks its own: `training.courses.feedback`, `training.placement.feedback`), and the
share of the judged items it still puts near the top is logged with its run.

Why evaluation data and not a training label yet: the judgements come only from people who
opened their page and judge only what an earlier model showed them, so they say little about
the items it never showed. They are a check a new version should pass, logged with it, until
there are enough of them to weigh as labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.store.database import audit_log, feedback


def judgements(engine: sa.Engine, kind: str, subject: str, item: str) -> pd.DataFrame:
    """Every judgement on suggestions of `kind`: `subject`, `item`, decision, as_of."""
    query = (
        sa.select(
            audit_log.c.subject.label(subject),
            feedback.c.item_id.label(item),
            feedback.c.decision,
            audit_log.c.as_of,
        )
        .join(audit_log, audit_log.c.suggestion_id == feedback.c.suggestion_id)
        .where(audit_log.c.kind == kind)
    )
    with engine.connect() as connection:
        found = pd.read_sql(query, connection)
    found["as_of"] = pd.to_datetime(found["as_of"])
    return found


def agreement(table: pd.DataFrame, welcomed: str, refused: str, top: int) -> dict[str, float]:
    """From one row per judged item (``decision``, ``in_top``): how many judged, and the share
    of the `welcomed` and the `refused` ones the new model still puts in its first `top`."""
    shares = {}
    for decision in (welcomed, refused):
        chosen = table[table["decision"] == decision]["in_top"]
        shares[f"feedback.{decision}_in_top_{top}"] = (
            float(chosen.mean()) if len(chosen) else np.nan
        )
    return {"feedback.judged": float(len(table))} | shares
