"""The audit log of suggestions and the feedback on them (tables in `features.store.database`).

Every answer that carries suggestions is written here before it is returned: who asked, when,
for which record, what was returned (ids and scores, in order) and by which model version on
which data. Its random id is the suggestion id the answer carries; feedback must name one and
one of its items, so feedback always knows the model version and data it judges. These rows hold
ids only (no names, NIPs or birth dates), and nothing of them goes to the application log.

The accounts have an audit log of their own (`AccountEvent`, table ``account_events``): every
sign-in, succeeded or refused and why, with the client's address; every sign-out; every change
an admin makes. Never a password; a username no account has is written as `UNKNOWN_USER`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from features.store.database import account_events, audit_log, feedback
from service.access.accounts import Account
from service.observability import metrics

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


class AuditLog:
    """Writes suggestions to the audit log by group commit.

    An answer is returned only once its row is committed, so no answered suggestion is ever
    missing from the log, even if the process is killed the next instant. Rows of answers
    given at the same moment share one transaction: a writer thread takes every row waiting,
    inserts them together and commits, then releases their requests. Concurrent answers thus
    wait for one commit, not for each other's (on SQLite, one writer at a time, whose busy wait
    sleeps in steps long enough to dominate a loaded service's tail latency). If the commit
    fails, every request of the group gets the error and none of their rows is written.
    """

    def __init__(self, engine: sa.Engine, window_seconds: float = 0.0) -> None:
        """`window_seconds`: how long the writer waits for more rows once one has come. By
        default it waits for none: the rows that queue while a commit runs form the next
        group, so a lone answer never waits for a timer and a busy service groups by itself."""
        self.engine = engine
        self.window = window_seconds
        self.commits = 0  # transactions so far (the tests read it)
        self._waiting: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name="audit-writer", daemon=True)
        self._writer.start()

    def record(self, account: Account, suggestion: Suggestion) -> str:
        """Write one answer to the audit log; returns its suggestion id once it is committed
        (blocks the calling thread until then: for the pages' worker threads)."""
        done = threading.Event()
        failure: list[Exception] = []

        def settle(error: Exception | None) -> None:
            failure.extend([error] if error is not None else [])
            done.set()

        suggestion_id = self._enqueue(account, suggestion, settle)
        done.wait()
        if failure:
            raise failure[0]
        return suggestion_id

    async def record_async(self, account: Account, suggestion: Suggestion) -> str:
        """`record` for a route on the event loop: waits for the commit without holding a
        thread, so answers served from precomputed sets never leave the loop."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()

        def settle(error: Exception | None) -> None:  # on the writer thread
            loop.call_soon_threadsafe(_settle, committed, error)

        suggestion_id = self._enqueue(account, suggestion, settle)
        await committed
        return suggestion_id

    def _enqueue(
        self, account: Account, suggestion: Suggestion, settle: Callable[[Exception | None], None]
    ) -> str:
        suggestion_id = uuid.uuid4().hex
        row = {
            "suggestion_id": suggestion_id,
            "at": _now(),
            "username": account.username,
            "role": account.role,
            **{name: getattr(suggestion, name) for name in SUGGESTION_COLUMNS},
        }
        self._waiting.put(_Pending(row, settle))
        metrics.AUDIT_QUEUE.inc()
        return suggestion_id

    def close(self) -> None:
        """Write what is waiting, then stop the writer."""
        self._waiting.put(None)
        self._writer.join(timeout=10)

    def _write(self) -> None:
        while True:
            first = self._waiting.get()
            if first is None:
                return
            group, stop = [first], False
            deadline = time.monotonic() + self.window
            while True:
                left = deadline - time.monotonic()
                try:
                    more = (
                        self._waiting.get(timeout=left) if left > 0 else self._waiting.get_nowait()
                    )
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Pending]) -> None:
        error: Exception | None = None
        try:
            with self.engine.begin() as connection:
                connection.execute(audit_log.insert(), [pending.row for pending in group])
            self.commits += 1
        except Exception as failure:  # noqa: BLE001 — handed to every waiting request
            error = failure
        metrics.AUDIT_QUEUE.dec(len(group))
        metrics.AUDIT_ROWS.labels("written" if error is None else "failed").inc(len(group))
        for pending in group:
            pending.settle(error)


@dataclass(frozen=True)
class _Pending:
    """One answer's audit row, waiting for its group's commit; `settle` tells its request
    (with the error, if the commit failed)."""

    row: dict[str, Any]
    settle: Callable[[Exception | None], None]


def _settle(committed: asyncio.Future[None], error: Exception | None) -> None:
    """On the event loop: release the request (unless it was cancelled meanwhile)."""
    if committed.done():
        return
    if error is None:
        committed.set_result(None)
    else:
        committed.set_exception(error)


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


# --- the accounts' audit log ------------------------------------------------------------------

#: What `account_events` records: sign-ins (outcome "ok", or why one was refused: "password",
#: "unknown", "disabled", "locked", "throttled"), sign-outs, and each change an admin makes.
ACCOUNT_EVENTS = ("sign_in", "sign_out", "disabled", "enabled", "password_reset", "scope_changed")
#: Written instead of a username no account has: what was typed there may be a password.
UNKNOWN_USER = "(unknown)"


@dataclass(frozen=True, kw_only=True)
class AccountEvent:
    """One row of the accounts' audit log. `actor` is who did it: the account itself for a
    sign-in or sign-out, the admin (or ``cli:<system user>``) for a change."""

    username: str
    event: str
    actor: str
    outcome: str = "ok"
    address: str | None = None
    detail: dict[str, Any] | None = None


def record_account_event(connection: sa.Connection, event: AccountEvent) -> None:
    """Write `event` in the caller's transaction: it is written exactly when what it records
    is (a change of the account, a counted failure), never one without the other."""
    if event.event not in ACCOUNT_EVENTS:
        raise ValueError(f"unknown account event {event.event!r}")
    connection.execute(account_events.insert().values(at=_now(), **asdict(event)))


def account_history(
    engine: sa.Engine, username: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest account events, newest first; of one account when `username` is given."""
    query = sa.select(account_events).order_by(account_events.c.event_id.desc()).limit(limit)
    if username is not None:
        query = query.where(account_events.c.username == username)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]
