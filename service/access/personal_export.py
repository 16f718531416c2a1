"""Everything Jenjang holds on one person, for them to download (UU 27/2022: the right to a
copy of one's personal data).

The document's sections:

- ``records``: their rows of the canonical tables as ingested: the employee row with NIP, name,
  sex and birth date, and their posts, grades, assessments (with the levels), SKP evaluations,
  disciplinary records, credit scores and trainings;
- ``profile``: what the service derives from those on its date (post, competencies against its
  standard at their current levels, ratings, talent box, JP), as ``GET /employees/{id}``
  answers; null when they are not active on that date;
- ``accounts``: their sign-in accounts (never a password hash);
- ``suggestions``: the suggestions about them in the audit log: the trainings and career paths
  shown (to them, or to a planner looking at them), and every candidate list, plan or
  succession pool they were on, with their own place in it only, never the others listed;
- ``feedback_given``: their own judgements of what they were shown;
- ``feedback_about_you``: planners' judgements of them as a candidate (decision, reason, date);
- ``activity``: the other rows about them or by their accounts: earlier exports, what they
  looked at that was not about them (the kind only), sign-ins and changes to their accounts.

Nothing of anyone else: who asked is said by role ("you" for their own accounts), and whatever
names another person (their id in a list, a subject, a reason typed about them) is left out.
The export is written to the audit log (kind ``personal_export``) before it is handed over.

Formats: JSON is the document as it is; CSV is a zip of one file per section (the records one
per table), nested values flattened into columns (``request.k``) and lists kept as JSON text,
with one row per item shown in ``suggestions.csv``: a spreadsheet opens each file as it is.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import pandas as pd
import sqlalchemy as sa

from features.store.database import account_events, audit_log, feedback, users
from features.store.personal import load_person
from service.access import audit
from service.access.accounts import Account
from service.access.scopes import forbidden
from service.state import serving
from service.state.model_store import Loaded
from service.state.snapshot import NotFound, Snapshot

Format = Literal["json", "csv"]
SUGGESTION_KINDS = ("training", "paths", "candidates", "plan", "succession")
#: Suggestions whose items are people: each person sees their own place in them only.
PEOPLE_KINDS = ("candidates", "plan", "succession")
#: The audit log's kind of an export's row.
EXPORT_KIND = "personal_export"
#: What a row written by one of the person's accounts says of who asked.
YOU = "you"
#: The account columns that are not the person's to read (nor anyone's).
SECRET_COLUMNS = ("password_hash", "token_version")


@dataclass(frozen=True)
class Download:
    """An export ready to hand over."""

    content: bytes
    media_type: str
    filename: str


def check_export(account: Account, employee_id: str) -> None:
    """Only the person (any account linked to their record) or an admin; 403 for anyone else,
    before anything is looked up, so the answer says nothing of whether the record exists."""
    if account.role != "admin" and account.employee_id != employee_id:
        raise forbidden("only the person themselves or an admin may download a person's data")


def export(
    account: Account,
    engine: sa.Engine,
    snapshot: Snapshot,
    model: Loaded | None,
    audit_log_writer: audit.AuditLog,
    employee_id: str,
    fmt: Format,
) -> Download:
    """The person's data in `fmt`, once its audit row is committed (403 or 404 first)."""
    check_export(account, employee_id)
    document = gather(engine, snapshot, model, employee_id)
    download = encode(document, fmt)
    sections = [
        {"id": name, "rows": len(document[name])}
        for name in ("accounts", "suggestions", "feedback_given", "feedback_about_you")
    ]
    levels = (document["profile"] or {}).get("levels_model") or {}  # whose estimate it holds
    audit_log_writer.record(
        account,
        audit.Suggestion(
            kind=EXPORT_KIND,
            subject=employee_id,
            model_name=levels.get("name"),
            model_version=levels.get("version"),
            data_snapshot=snapshot.snapshot_id,
            as_of=snapshot.as_of.date(),
            request={"format": fmt},
            returned=sections,
        ),
    )
    return download


def gather(
    engine: sa.Engine, snapshot: Snapshot, model: Loaded | None, employee_id: str
) -> dict[str, Any]:
    """The document of everything held on `employee_id` (NotFound: no such person)."""
    records = load_person(engine, employee_id)
    if not records["employees"]:
        raise NotFound(f"no employee {employee_id!r}")
    accounts = _accounts(engine, employee_id)
    usernames = {str(a["username"]) for a in accounts}
    suggestions, activity = _audit_rows(engine, employee_id, usernames)
    return {
        "employee_id": employee_id,
        "exported_at": dt.datetime.now(dt.UTC),
        "data_snapshot": snapshot.snapshot_id,
        "as_of": snapshot.as_of.date(),
        "records": records,
        "profile": _profile(snapshot, model, employee_id),
        "accounts": accounts,
        "suggestions": suggestions,
        "feedback_given": _feedback_given(engine, employee_id, usernames),
        "feedback_about_you": _feedback_about(engine, employee_id),
        "activity": activity + _account_events(engine, usernames),
    }


def _profile(snapshot: Snapshot, model: Loaded | None, employee_id: str) -> dict[str, Any] | None:
    try:
        snapshot.row(employee_id)
    except NotFound:
        return None  # not active on the service's date: the records are all there is
    levels = serving.levels(model, snapshot, employee_id)
    by = {"name": levels.model.name, "version": levels.model.version} if levels.model else None
    return snapshot.profile(employee_id, levels.values) | {"levels_model": by}


def _accounts(engine: sa.Engine, employee_id: str) -> list[dict[str, Any]]:
    shown = [column for column in users.c if column.name not in SECRET_COLUMNS]
    query = sa.select(*shown).where(users.c.employee_id == employee_id).order_by(users.c.username)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def _audit_rows(
    engine: sa.Engine, employee_id: str, usernames: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The audit rows about the person or by their accounts, as (suggestions, activity). A
    list of people is found by its text first, then checked item by item."""
    listed = sa.cast(audit_log.c.returned, sa.Text).contains(f'"{employee_id}"', autoescape=True)
    query = (
        sa.select(audit_log)
        .where(
            sa.or_(
                audit_log.c.subject == employee_id,
                audit_log.c.username.in_(usernames),
                sa.and_(audit_log.c.kind.in_(PEOPLE_KINDS), listed),
            )
        )
        .order_by(audit_log.c.at, audit_log.c.suggestion_id)
    )
    suggestions: list[dict[str, Any]] = []
    activity: list[dict[str, Any]] = []
    with engine.connect() as connection:
        for row in connection.execute(query):
            entry = _entry(row._mapping, employee_id, usernames)
            mine = entry["subject"] == employee_id and row.kind not in PEOPLE_KINDS
            shown = row.kind in SUGGESTION_KINDS and (mine or bool(entry["items"]))
            (suggestions if shown else activity).append(entry)
    return suggestions, activity


def _entry(row: Any, employee_id: str, usernames: set[str]) -> dict[str, Any]:
    """One audit row as the person may read it: their own items of a list of people (with
    their rank in it); a row about someone else keeps its kind and time only."""
    people = row["kind"] in PEOPLE_KINDS
    mine = row["subject"] == employee_id
    items = [dict(item, rank=rank) for rank, item in enumerate(row["returned"] or [], 1)]
    if people:
        items = [item for item in items if item.get("id") == employee_id]
    elif not mine:
        items = []
    telling = mine or bool(items)
    return {
        "suggestion_id": row["suggestion_id"],
        "at": row["at"],
        "asked_by": YOU if row["username"] in usernames else row["role"],
        "kind": row["kind"],
        "subject": row["subject"] if telling else None,
        "model_name": row["model_name"],
        "model_version": row["model_version"],
        "data_snapshot": row["data_snapshot"],
        "as_of": row["as_of"],
        "request": row["request"] if telling else None,
        "items": items,
    }


def _judgements(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(
            feedback.c.feedback_id,
            feedback.c.at,
            feedback.c.suggestion_id,
            audit_log.c.kind,
            audit_log.c.subject,
            feedback.c.item_id,
            feedback.c.decision,
            feedback.c.reason,
        )
        .join(audit_log, audit_log.c.suggestion_id == feedback.c.suggestion_id)
        .where(where)
        .order_by(feedback.c.at, feedback.c.feedback_id)
    )


def _feedback_given(
    engine: sa.Engine, employee_id: str, usernames: set[str]
) -> list[dict[str, Any]]:
    """Their judgements; one of someone else (a planner's account judging a candidate, or a
    colleague's trainings) keeps its decision, without whom it was about or why."""
    given = []
    with engine.connect() as connection:
        for row in connection.execute(_judgements(feedback.c.username.in_(usernames))):
            entry = dict(row._mapping)
            if entry["kind"] in PEOPLE_KINDS and entry["item_id"] != employee_id:
                entry |= {"item_id": None, "reason": None}
            elif entry["kind"] not in PEOPLE_KINDS and entry["subject"] != employee_id:
                entry |= {"subject": None, "reason": None}
            given.append(entry)
    return given


def _feedback_about(engine: sa.Engine, employee_id: str) -> list[dict[str, Any]]:
    """Planners' judgements of the person as a candidate (not who judged)."""
    about = sa.and_(audit_log.c.kind.in_(PEOPLE_KINDS), feedback.c.item_id == employee_id)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(_judgements(about))]


def _account_events(engine: sa.Engine, usernames: set[str]) -> list[dict[str, Any]]:
    """Sign-ins, sign-outs and changes of their accounts; who changed one is said by role."""
    query = (
        sa.select(account_events)
        .where(account_events.c.username.in_(usernames))
        .order_by(account_events.c.at, account_events.c.event_id)
    )
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["kind"] = "account_" + str(row.pop("event"))
        row["asked_by"] = YOU if row.pop("actor") in usernames else "admin"
    return rows


# --- formats --------------------------------------------------------------------------------


def encode(document: dict[str, Any], fmt: Format) -> Download:
    """The document as JSON, or as a zip of CSV files (module docstring)."""
    person = document["employee_id"]
    if fmt == "json":
        return Download(_json(document), "application/json", f"jenjang-{person}.json")
    return Download(_zip(_tables(document)), "application/zip", f"jenjang-{person}-csv.zip")


def _json(value: Any, indent: bool = True) -> bytes:
    options = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(value, option=options | (orjson.OPT_INDENT_2 if indent else 0))


def _tables(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The document's sections as flat tables, named after their CSV files."""
    about = ("employee_id", "exported_at", "data_snapshot", "as_of")
    tables = {"export": [{key: document[key] for key in about}]}
    tables |= {f"records_{name}": rows for name, rows in document["records"].items()}
    profile = document["profile"]
    if profile is not None:
        lists = ("competencies", "ratings")
        tables["profile"] = [{k: v for k, v in profile.items() if k not in lists}]
        tables |= {f"profile_{name}": profile[name] for name in lists}
    tables["accounts"] = document["accounts"]
    tables["suggestions"] = [
        {k: v for k, v in row.items() if k != "items"} | {f"item_{k}": v for k, v in item.items()}
        for row in document["suggestions"]
        for item in row["items"] or [{}]
    ]
    for name in ("feedback_given", "feedback_about_you", "activity"):
        tables[name] = document[name]
    return tables


def _zip(tables: dict[str, list[dict[str, Any]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()


def _csv(rows: list[dict[str, Any]]) -> str:
    """Nested objects as dotted columns; lists (and what is left nested) as JSON text."""
    if not rows:
        return ""
    frame = pd.json_normalize(rows)
    frame = frame.map(
        lambda v: _json(v, indent=False).decode() if isinstance(v, list | dict) else v
    )
    return str(frame.to_csv(index=False))
