"""Signing in, throttled per account and per client address, and audited.

Both ways in (the API's ``POST /api/v1/auth/token`` and the pages' ``/masuk``) call
`throttled_sign_in`. Refused sign-ins are counted in the database (``sign_in_throttle``), so
every worker process sees the same counts:

- **account**: ``JENJANG_SIGN_IN_ACCOUNT_FAILURES`` (5) refused sign-ins of one existing account
  within ``JENJANG_SIGN_IN_WINDOW_MINUTES`` (15) lock it for ``JENJANG_SIGN_IN_LOCKOUT_MINUTES``
  (15). While locked even the right password is refused, with the same answer as a wrong one
  and after the same argon2 verification, so neither the answer nor its time tells that the
  account exists or is locked. Attempts on a locked account do not extend the lock: it ends by
  itself (or when an admin enables the account or resets its password). Names no account has
  are not counted per account (the address count covers them): their text is not kept.
- **address**: ``JENJANG_SIGN_IN_ADDRESS_FAILURES`` (20) refused sign-ins from one client
  address within the window refuse that address for the lockout time, before any password is
  hashed: `Throttled` (the API answers 429 with ``Retry-After``). A successful sign-in does not
  reset it (one valid account must not buy an attacker more guesses).

Every attempt is written to the accounts' audit log (`service.access.audit.AccountEvent`) with
the outcome and the client address, in the same transaction as the count it changes, and each
refusal counts in ``jenjang_sign_in_failures{reason}``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from features.store.database import sign_in_throttle, users
from service.access.accounts import Account, check_credentials
from service.access.audit import UNKNOWN_USER, AccountEvent, record_account_event
from service.observability.metrics import SIGN_IN_FAILURES
from service.settings import ServiceSettings


class SignInRefused(Exception):
    """A refused sign-in; `reason` is for the audit log and metrics only ("password",
    "unknown", "disabled", "locked"): the caller answers them all alike."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Throttled(SignInRefused):
    """The client address is refused for `retry_after` seconds more."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("throttled")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    """The throttle's numbers, from the settings."""

    account_failures: int
    address_failures: int
    window: dt.timedelta
    lockout: dt.timedelta

    @classmethod
    def of(cls, settings: ServiceSettings) -> Limits:
        return cls(
            settings.sign_in_account_failures,
            settings.sign_in_address_failures,
            dt.timedelta(minutes=settings.sign_in_window_minutes),
            dt.timedelta(minutes=settings.sign_in_lockout_minutes),
        )


def utc_now() -> dt.datetime:
    """Now, as the database keeps times (UTC without a zone)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


#: The throttle's clock (tests move it instead of waiting).
clock: Callable[[], dt.datetime] = utc_now


def throttled_sign_in(
    engine: sa.Engine,
    settings: ServiceSettings,
    username: str,
    password: str,
    address: str,
    via: str,
) -> Account:
    """The account, if the password is right and neither the account nor the address is
    blocked; `SignInRefused` (or `Throttled`) otherwise. `via` ("api", "pages") is audited."""
    now, limits = clock(), Limits.of(settings)
    blocked = _blocked(engine, username, address, now)
    if "address" in blocked:
        name = username if _exists(engine, username) else UNKNOWN_USER
        _refused(engine, limits, now, name, address, via, "throttled")
        raise Throttled(max(1, math.ceil((blocked["address"] - now).total_seconds())))
    credentials = check_credentials(engine, username, password)
    name = username if credentials.exists else UNKNOWN_USER
    if credentials.exists and "account" in blocked:
        reason = "locked"  # whatever the password: the lock ends by itself
    elif credentials.account is None:
        reason = credentials.refused or "password"
    else:
        _succeeded(engine, now, credentials.account.username, address, via)
        return credentials.account
    _refused(engine, limits, now, name, address, via, reason)
    raise SignInRefused(reason)


def _blocked(engine: sa.Engine, username: str, address: str, now: dt.datetime) -> dict[str, Any]:
    """Until when the account and the address are blocked, of those that are now."""
    t = sign_in_throttle
    mine = sa.and_(t.c.kind == "address", t.c.key == address)
    if "\x00" not in username:  # PostgreSQL refuses it in a query; no account has one
        mine = sa.or_(mine, sa.and_(t.c.kind == "account", t.c.key == username))
    query = sa.select(t.c.kind, t.c.blocked_until).where(mine, t.c.blocked_until > now)
    with engine.connect() as connection:
        return {kind: until for kind, until in connection.execute(query)}


def _exists(engine: sa.Engine, username: str) -> bool:
    if "\x00" in username:  # PostgreSQL refuses it in a query; no account has one
        return False
    query = sa.select(users.c.username).where(users.c.username == username)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def _succeeded(engine: sa.Engine, now: dt.datetime, username: str, address: str, via: str) -> None:
    """Start the account's count again, note the sign-in, audit it (address counts stay)."""
    with engine.begin() as connection:
        unlock(connection, username)
        connection.execute(
            users.update().where(users.c.username == username).values(last_sign_in_at=now)
        )
        record_account_event(connection, _event(username, "ok", address, via))


def _refused(
    engine: sa.Engine,
    limits: Limits,
    now: dt.datetime,
    name: str,
    address: str,
    via: str,
    reason: str,
) -> None:
    """Count a refusal (not one of a blocked address or a locked account's lock) and audit it,
    in one transaction; forget counts that ended."""
    with engine.begin() as connection:
        if reason != "throttled":
            _count(connection, "address", address, limits.address_failures, limits, now)
        if reason in ("password", "disabled"):
            _count(connection, "account", name, limits.account_failures, limits, now)
        _forget_ended(connection, limits, now)
        record_account_event(connection, _event(name, reason, address, via))
    SIGN_IN_FAILURES.labels(reason=reason).inc()


def _event(name: str, outcome: str, address: str, via: str) -> AccountEvent:
    return AccountEvent(
        username=name,
        event="sign_in",
        actor=name,
        outcome=outcome,
        address=address,
        detail={"via": via},
    )


def _count(
    connection: sa.Connection, kind: str, key: str, limit: int, limits: Limits, now: dt.datetime
) -> None:
    """One more refusal for `key`, atomically (concurrent workers lose no count): a count
    lives one window from its first refusal; reaching `limit` blocks the key for the lockout
    and starts the count again."""
    t = sign_in_throttle
    at = sa.literal(now, sa.DateTime())
    until = sa.literal(now + limits.lockout, sa.DateTime())
    in_window = t.c.window_start > now - limits.window
    counted = sa.case((in_window, t.c.failures + 1), else_=1)
    reached = counted >= limit
    first = {"failures": 1, "window_start": now, "blocked_until": None}
    if limit <= 1:
        first = {"failures": 0, "window_start": None, "blocked_until": now + limits.lockout}
    statement = _insert(connection)(t).values(kind=kind, key=key, **first)
    statement = statement.on_conflict_do_update(
        index_elements=[t.c.kind, t.c.key],
        set_={
            "failures": sa.case((reached, 0), else_=counted),
            "window_start": sa.case((reached, sa.null()), (in_window, t.c.window_start), else_=at),
            "blocked_until": sa.case((reached, until), else_=t.c.blocked_until),
        },
    )
    connection.execute(statement)


def _forget_ended(connection: sa.Connection, limits: Limits, now: dt.datetime) -> None:
    """Drop counts whose window and block are both over (the table stays small)."""
    t = sign_in_throttle
    window_over = sa.or_(t.c.window_start.is_(None), t.c.window_start <= now - limits.window)
    block_over = sa.or_(t.c.blocked_until.is_(None), t.c.blocked_until <= now)
    connection.execute(t.delete().where(window_over, block_over))


def _insert(connection: sa.Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL share its form)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        return insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def locks(engine: sa.Engine, now: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """Until when each locked account is locked (for `jenjang users list` and the admin's page)."""
    t = sign_in_throttle
    query = sa.select(t.c.key, t.c.blocked_until).where(
        t.c.kind == "account", t.c.blocked_until > (now or clock())
    )
    with engine.connect() as connection:
        return {key: until for key, until in connection.execute(query)}


def unlock(connection: sa.Connection, username: str) -> None:
    """End an account's lock and count (an admin enabled it or gave it a new password)."""
    connection.execute(
        sign_in_throttle.delete().where(
            sign_in_throttle.c.kind == "account", sign_in_throttle.c.key == username
        )
    )
