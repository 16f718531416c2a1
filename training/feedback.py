"""The service's feedback as evaluation data for new models.

ASN mark recommended trainings "interested" or "not relevant" (with a reason) on their page or
through the API; each judgement names the suggestion it was about, so the audit log says who
it was for, on which date and from which model version. A new model is asked the same
question on the same dates: of the courses people were interested in, how many does it still
put in their top 10 (higher is better); of those they called not relevant, how many does it
still put there (lower is better).

Why evaluation data and not a training label yet: the judgements come only from people who
opened their page and judge only what an earlier model showed them, so they say little about
the courses it never showed. They are a check a new version should pass, logged with it,
until there are enough of them to weigh as labels.

HR planners accept or reject proposed candidates the same way; a new placement model is asked
whether the people planners accepted are still among its first five for that post on that
date, and the people they rejected (with a reason) too (lower is better). It ranks among
everyone eligible, not only the planner's agencies, so an accepted person may fall out of the
first five without any fault of the model: the figure is a comparison between versions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.asof.records import Records
from features.planning.ranking import Scorer as PlacementScorer
from features.planning.ranking import rank_candidates
from features.store.database import audit_log, feedback
from features.view import build_view, vacancy_post
from training.courses.batch import build_batch
from training.courses.evaluation import Scorer
from training.metrics import top_k

#: The list length the agreement is measured at.
TOP = 10


def training_judgements(engine: sa.Engine) -> pd.DataFrame:
    """Every judgement on a training suggestion: employee_id, course_id, decision, as_of."""
    return _judgements(engine, "training", subject="employee_id", item="course_id")


def placement_judgements(engine: sa.Engine) -> pd.DataFrame:
    """Every judgement on proposed candidates: position_id, employee_id, decision, as_of."""
    return _judgements(engine, "candidates", subject="position_id", item="employee_id")


def _judgements(engine: sa.Engine, kind: str, subject: str, item: str) -> pd.DataFrame:
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


def feedback_agreement(
    model: Scorer, records: Records, judgements: pd.DataFrame
) -> dict[str, float]:
    """How far `model` agrees with the judgements (see the module's docstring). People no
    longer active on the judgement's date, or courses no longer offered, are left out."""
    rows = []
    for as_of, group in judgements.groupby("as_of"):
        people = group[["employee_id"]].drop_duplicates().assign(as_of=as_of)
        batch = build_batch(records, people)
        if batch.frame.empty:
            continue
        top = top_k(model.scores(batch), batch.allowed, TOP)
        person_row = {p: i for i, p in enumerate(batch.employee_ids)}
        course_column = {c: j for j, c in enumerate(batch.catalogue.ids)}
        for judged in group.itertuples():
            i, j = person_row.get(judged.employee_id), course_column.get(judged.course_id)
            if i is not None and j is not None:
                rows.append({"decision": judged.decision, "in_top": bool(np.isin(j, top[i]))})
    table = pd.DataFrame(rows, columns=["decision", "in_top"])
    interested = table[table["decision"] == "interested"]["in_top"]
    refused = table[table["decision"] == "not_relevant"]["in_top"]
    return {
        "feedback.judged": float(len(table)),
        f"feedback.interested_in_top_{TOP}": float(interested.mean())
        if len(interested)
        else np.nan,
        f"feedback.not_relevant_in_top_{TOP}": float(refused.mean()) if len(refused) else np.nan,
    }


#: The list length the placement agreement is measured at.
FIRST_CANDIDATES = 5


def placement_agreement(
    scorer: PlacementScorer, records: Records, judgements: pd.DataFrame, birth_dates: pd.Series
) -> dict[str, float]:
    """How far a placement model agrees with the planners' judgements (module docstring)."""
    rows = []
    for _, group in judgements.groupby("as_of"):
        view = build_view(records, group["as_of"].iloc[0], birth_dates)
        for position_id, judged in group.groupby("position_id"):
            try:
                post = vacancy_post(records, str(position_id), view.standards)
            except (KeyError, ValueError):  # the post is gone or no longer filled by placement
                continue
            first = set(rank_candidates(view, post, scorer, k=FIRST_CANDIDATES)["employee_id"])
            rows += [
                {"decision": d, "in_top": e in first}
                for e, d in zip(judged["employee_id"], judged["decision"], strict=True)
            ]
    table = pd.DataFrame(rows, columns=["decision", "in_top"])
    accepted = table[table["decision"] == "accepted"]["in_top"]
    rejected = table[table["decision"] == "rejected"]["in_top"]
    top = FIRST_CANDIDATES
    return {
        "feedback.judged": float(len(table)),
        f"feedback.accepted_in_top_{top}": float(accepted.mean()) if len(accepted) else np.nan,
        f"feedback.rejected_in_top_{top}": float(rejected.mean()) if len(rejected) else np.nan,
    }
