"""How long the audit logs keep their rows, and the pruning that holds them to it (UU 27/2022:
personal data is kept no longer than its purpose needs).

``JENJANG_AUDIT_RETENTION_DAYS`` (730 by default: two SKP cycles, time enough for a person to
object to a decision and for it to be reviewed) sets the cutoff; ``jenjang audit prune`` deletes,
in one transaction, what is older:

- the rows of `audit_log` (suggestions shown, exports of personal data) of any kind but two;
- the accounts' events (`account_events`: sign-ins with the client's address, sign-outs,
  admins' changes).

Two kinds of old audit rows are kept:

- the suggestions that feedback judged: with their feedback they are the evaluation data every
  new model is checked against (`training.feedback` joins them for the subject, the date and the
  version judged), and the feedback's foreign key needs them. They hold ids only, and go when
  their feedback goes, which is a decision about the models' data, not about the log;
- the prunings' own rows (kind ``audit_prune``): when the log was pruned, by whom, up to which
  date and how much, which must outlive what they removed.

The pruning is recorded in the same transaction as the deletion, so the log never lacks a
pruning that happened nor holds one that did not. A dry run counts and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from features.store.database import account_events, audit_log, feedback

#: The audit log's kind of a pruning's own row.
PRUNE_KIND = "audit_prune"


@dataclass(frozen=True)
class Pruned:
    """What a pruning removed (or, in a dry run, would remove) and what it kept."""

    cutoff: dt.datetime  # rows strictly older went
    audit_rows: int
    account_events: int
    kept_judged: int  # older suggestions kept because feedback judged them
    dry_run: bool


def cutoff(retention_days: int, before: dt.date | None, today: dt.date) -> dt.datetime | None:
    """The instant before which rows go: midnight (UTC, as the log's times) of `before` when
    given, else `retention_days` before `today`; None when nothing is to go (retention 0 and
    no date). A date after today is refused: it would take today's rows too."""
    if before is not None:
        if before > today:
            raise ValueError(f"{before} is after today ({today}): it would take today's rows too")
        return dt.datetime.combine(before, dt.time())
    if retention_days == 0:
        return None
    return dt.datetime.combine(today - dt.timedelta(days=retention_days), dt.time())


def prune(
    engine: sa.Engine,
    before: dt.datetime,
    by: str,
    dry_run: bool = False,
    request: dict[str, Any] | None = None,
) -> Pruned:
    """Delete the audit rows and account events older than `before` (but those kept, see the
    module), and record the pruning as an audit row by `by`, all in one transaction; with
    `dry_run`, count only. `request`: what to record of how it was asked (the command's
    options)."""
    old = sa.and_(audit_log.c.at < before, audit_log.c.kind != PRUNE_KIND)
    judged = audit_log.c.suggestion_id.in_(sa.select(feedback.c.suggestion_id))
    events = account_events.c.at < before
    with engine.begin() as connection:
        pruned = Pruned(
            cutoff=before,
            audit_rows=_count(connection, audit_log, sa.and_(old, sa.not_(judged))),
            account_events=_count(connection, account_events, events),
            kept_judged=_count(connection, audit_log, sa.and_(old, judged)),
            dry_run=dry_run,
        )
        if dry_run:
            return pruned
        connection.execute(audit_log.delete().where(sa.and_(old, sa.not_(judged))))
        connection.execute(account_events.delete().where(events))
        connection.execute(audit_log.insert().values(**_record(pruned, by, request or {})))
    return pruned


def operator() -> str:
    """Who runs a command, as the audit logs name them: ``cli:<system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli:unknown"


def _count(connection: sa.Connection, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(where)
    return int(connection.execute(query).scalar_one())


def _record(pruned: Pruned, by: str, request: dict[str, Any]) -> dict[str, Any]:
    """The pruning's own audit row: who, the cutoff, and how many rows of each table went."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return {
        "suggestion_id": uuid.uuid4().hex,
        "at": now,
        "username": by,
        "role": "cli",
        "kind": PRUNE_KIND,
        "subject": "audit_log",
        "model_name": None,
        "model_version": None,
        "data_snapshot": "-",  # about the log, not the records
        "as_of": now.date(),
        "request": {
            "command": "jenjang audit prune",
            **request,
            "cutoff": pruned.cutoff.isoformat(),
        },
        "returned": [
            {"id": "audit_log", "deleted": pruned.audit_rows},
            {"id": "account_events", "deleted": pruned.account_events},
            {"id": "audit_log_judged", "kept": pruned.kept_judged},
        ],
    }
