"""The audit log of suggestions and the feedback on them (tables in `features.store.database`).

Every answer that carries suggestions is written here before it is returned: who asked, when,
for which record, what was returned (ids and scores, in order) and by which model version on
which data. Its random id is the suggestion id the answer carries; feedback must name one and
one of its items, so feedback always knows the model version and data it judges. These rows hold
ids only (no names, NIPs or birth dates), and nothing of them goes to the application log.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from features.store.database import audit_log, feedback
from service.access.accounts import Account

#: Feedback decisions, and those that must say why.
DECISIONS = ("accepted", "rejected", "not_relevant", "interested")
NEED_REASON = ("rejected", "not_relevant")


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    """What one answer suggested, for the audit log."""

    kind: str  # training | candidates | plan | paths | succession
    subject: str  # the employee, post or agency it is about
    model_name: str | None
    model_version: str | None
    data_snapshot: str
    as_of: dt.date
    request: dict[str, Any]
    returned: list[dict[str, Any]]  # item id (and score) in the order shown


@dataclass
class AuditLog:
    """Writes suggestions to the audit log. On SQLite the service's own threads take turns
    through a lock: SQLite lets one writer at a time, and its busy wait sleeps in steps long
    enough to dominate a loaded service's tail latency."""

    engine: sa.Engine
    _turns: threading.Lock = field(default_factory=threading.Lock)

    def record(self, account: Account, suggestion: Suggestion) -> str:
        """Write one answer to the audit log; returns its suggestion id."""
        suggestion_id = uuid.uuid4().hex
        row = {
            "suggestion_id": suggestion_id,
            "at": _now(),
            "username": account.username,
            "role": account.role,
            **{name: getattr(suggestion, name) for name in SUGGESTION_COLUMNS},
        }
        turns = self._turns if self.engine.dialect.name == "sqlite" else nullcontext()
        with turns, self.engine.begin() as connection:
            connection.execute(audit_log.insert().values(**row))
        return suggestion_id


SUGGESTION_COLUMNS = (
    "kind",
    "subject",
    "model_name",
    "model_version",
    "data_snapshot",
    "as_of",
    "request",
    "returned",
)


def find(engine: sa.Engine, suggestion_id: str) -> sa.Row[Any] | None:
    with engine.connect() as connection:
        query = sa.select(audit_log).where(audit_log.c.suggestion_id == suggestion_id)
        return connection.execute(query).first()


def add_feedback(
    engine: sa.Engine,
    account: Account,
    suggestion_id: str,
    item_id: str,
    decision: str,
    reason: str | None,
) -> int:
    """Store one judgement; the caller has checked the suggestion and the item exist."""
    reason = (reason or "").strip() or None
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
    if decision in NEED_REASON and reason is None:
        raise ValueError(f"a {decision} decision needs a reason")
    with engine.begin() as connection:
        result = connection.execute(
            feedback.insert().values(
                suggestion_id=suggestion_id,
                item_id=item_id,
                decision=decision,
                reason=reason,
                username=account.username,
                at=_now(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def export(engine: sa.Engine, since: dt.datetime | None = None) -> pd.DataFrame:
    """Every judgement with what it judged (kind, subject, model version, data, date): the
    retraining input. Ordered by time."""
    query = (
        sa.select(
            feedback.c.feedback_id,
            feedback.c.at,
            feedback.c.username,
            audit_log.c.kind,
            audit_log.c.subject,
            feedback.c.item_id,
            feedback.c.decision,
            feedback.c.reason,
            audit_log.c.model_name,
            audit_log.c.model_version,
            audit_log.c.data_snapshot,
            audit_log.c.as_of,
            feedback.c.suggestion_id,
        )
        .join(audit_log, audit_log.c.suggestion_id == feedback.c.suggestion_id)
        .order_by(feedback.c.at, feedback.c.feedback_id)
    )
    if since is not None:
        query = query.where(feedback.c.at >= since)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
