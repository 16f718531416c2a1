"""What an admin does to accounts: list, disable, enable, reset a password, change a scope.

The `jenjang users` commands and the admin's page (`service.web.accounts`) both call these, so
they check and record the same way. Each change is one transaction with its row in the
accounts' audit log (`service.access.audit.AccountEvent`): a refused change (a ValueError that
names what is wrong) writes nothing. Disabling, a new password and a new scope bump the
account's token version, so its earlier tokens are refused on their next request
(`service.access.revocation`); enabling and a new password also end a sign-in lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from features.store.database import users
from service.access.accounts import (
    AccountRefused,
    agency_exists,
    check_password,
    check_scope,
    employee_exists,
    hash_password,
    unknown_employee,
)
from service.access.audit import AccountEvent, record_account_event
from service.access.sign_in import locks, unlock


@dataclass(frozen=True)
class AccountView:
    """One account as an admin sees it (never its password hash)."""

    username: str
    role: str
    employee_id: str | None
    agencies: tuple[str, ...]
    active: bool
    locked_until: dt.datetime | None
    last_sign_in_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def scope(self) -> str:
        """The scope in a few words: the ASN's record, the agencies, or "all"."""
        if self.employee_id:
            return self.employee_id
        if self.agencies:
            return ", ".join(self.agencies)
        return "aggregates only" if self.role == "analyst" else "all"


#: The columns an admin sees.
_SHOWN = (
    users.c.username,
    users.c.role,
    users.c.employee_id,
    users.c.agencies,
    users.c.active,
    users.c.last_sign_in_at,
    users.c.created_at,
)


def list_accounts(engine: sa.Engine) -> list[AccountView]:
    """Every account by username, with the lock of those locked now."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*_SHOWN).order_by(users.c.username)).all()
    locked = locks(engine)
    return [_view(row, locked.get(row.username)) for row in rows]


def find_account(engine: sa.Engine, username: str) -> AccountView:
    """One account; ValueError when there is none."""
    with engine.connect() as connection:
        row = _row(connection, username)
    return _view(row, locks(engine).get(username))


def disable(engine: sa.Engine, username: str, actor: str, address: str | None = None) -> None:
    """Refuse the account's sign-ins and every token it holds, from the next request on."""
    with engine.begin() as connection:
        _row(connection, username)
        _update(connection, username, active=False, token_version=users.c.token_version + 1)
        _record(connection, username, "disabled", actor, address)


def enable(engine: sa.Engine, username: str, actor: str, address: str | None = None) -> None:
    """Let the account sign in again (and end a sign-in lock); old tokens stay refused."""
    with engine.begin() as connection:
        _row(connection, username)
        _update(connection, username, active=True)
        unlock(connection, username)
        _record(connection, username, "enabled", actor, address)


def reset_password(
    engine: sa.Engine, username: str, password: str, actor: str, address: str | None = None
) -> None:
    """Give the account a new password: its tokens are refused, its sign-in lock ends."""
    check_password(password)
    with engine.begin() as connection:
        _row(connection, username)
        _update(
            connection,
            username,
            password_hash=hash_password(password),
            token_version=users.c.token_version + 1,
        )
        unlock(connection, username)
        _record(connection, username, "password_reset", actor, address)


def set_scope(
    engine: sa.Engine,
    username: str,
    employee_id: str | None,
    agencies: tuple[str, ...],
    actor: str,
    address: str | None = None,
) -> AccountView:
    """Bind an asn to another record, or give an hr_planner or analyst other agencies (an
    analyst none: aggregates only). Checked as when created, and every record and agency must
    exist. The account's tokens are refused from the next request on (they carry the old
    scope); it signs in again with the new one."""
    agencies = tuple(dict.fromkeys(agencies))  # once each, in the order given
    with engine.begin() as connection:
        row = _row(connection, username)
        if row.role == "admin":
            raise AccountRefused(
                f"{username!r} is an admin, who sees everything: no scope to set",
                "admin_no_scope",
            )
        check_scope(row.role, employee_id, agencies)
        if employee_id is not None and not employee_exists(connection, employee_id):
            raise unknown_employee(employee_id)
        unknown = ", ".join(repr(a) for a in agencies if not agency_exists(connection, a))
        if unknown:
            raise AccountRefused(
                f"no agency {unknown} in the database", "unknown_agency", agencies=unknown
            )
        _update(
            connection,
            username,
            employee_id=employee_id,
            agencies=list(agencies) or None,
            token_version=users.c.token_version + 1,
        )
        scope = {"employee_id": employee_id, "agencies": list(agencies)}
        _record(connection, username, "scope_changed", actor, address, scope)
    return find_account(engine, username)


def _row(connection: sa.Connection, username: str) -> Any:
    row = None
    if "\x00" not in username:  # PostgreSQL refuses it in a query; no account has one
        row = connection.execute(sa.select(*_SHOWN).where(users.c.username == username)).first()
    if row is None:
        raise AccountRefused(f"no account {username!r}", "no_account", username=username)
    return row


def _update(connection: sa.Connection, username: str, **values: Any) -> None:
    connection.execute(users.update().where(users.c.username == username).values(**values))


def _record(
    connection: sa.Connection,
    username: str,
    event: str,
    actor: str,
    address: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    change = AccountEvent(
        username=username, event=event, actor=actor, address=address, detail=detail
    )
    record_account_event(connection, change)


def _view(row: Any, locked_until: dt.datetime | None) -> AccountView:
    return AccountView(
        row.username,
        row.role,
        row.employee_id,
        tuple(row.agencies or ()),
        bool(row.active),
        locked_until,
        row.last_sign_in_at,
        row.created_at,
    )
