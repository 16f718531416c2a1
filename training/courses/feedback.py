"""What ASN said of earlier training suggestions, asked of a new training recommender: of the
courses people were interested in, how many does it still put in their top 10 (higher is
better); of those they called not relevant, how many (lower is better)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.asof.records import Records
from training.courses.batch import build_batch
from training.courses.evaluation import Scorer
from training.feedback import agreement, judgements
from training.metrics import top_k

#: The list length the agreement is measured at.
TOP = 10


def training_judgements(engine: sa.Engine) -> pd.DataFrame:
    """Every judgement on a training suggestion: employee_id, course_id, decision, as_of."""
    return judgements(engine, "training", subject="employee_id", item="course_id")


def feedback_agreement(model: Scorer, records: Records, judged: pd.DataFrame) -> dict[str, float]:
    """How far `model` agrees with the judgements. People no longer active on the judgement's
    date, or courses no longer offered, are left out."""
    rows = []
    for as_of, group in judged.groupby("as_of"):
        people = group[["employee_id"]].drop_duplicates().assign(as_of=as_of)
        batch = build_batch(records, people)
        if batch.frame.empty:
            continue
        top = top_k(model.scores(batch), batch.allowed, TOP)
        person_row = {p: i for i, p in enumerate(batch.employee_ids)}
        course_column = {c: j for j, c in enumerate(batch.catalogue.ids)}
        for one in group.itertuples():
            i, j = person_row.get(one.employee_id), course_column.get(one.course_id)
            if i is not None and j is not None:
                rows.append({"decision": one.decision, "in_top": bool(np.isin(j, top[i]))})
    table = pd.DataFrame(rows, columns=["decision", "in_top"])
    return agreement(table, "interested", "not_relevant", TOP)
