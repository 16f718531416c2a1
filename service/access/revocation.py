"""Tokens that stop working before they expire.

A signed token proves who it was issued to, not that the account may still use it. So every
request also reads the account's row (`live_account`: one primary-key read, which also probes
the sign-out list by its primary key) and refuses the token when:

- the account no longer exists (deleted), or is disabled;
- the account's ``token_version`` moved past the token's: disabling, re-scoping and a new
  password bump it (`service.access.account_admin`), ending every token issued before;
- the token was signed out of the pages (`revoke`): its id (``jti``) is kept in
  ``revoked_tokens`` until it would have expired, so signing out ends that session only.

The role and scope a request runs with are the row's, never the token's copy. Nothing here is
cached: a change is seen by the very next request, in every worker process.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from features.store.database import revoked_tokens, users
from service.access.accounts import Account, account_of
from service.access.audit import AccountEvent, record_account_event


class Revoked(Exception):
    """The token was valid when issued and is no longer; the message says why."""


#: The message of a token that the account's changes or a sign-out ended.
ENDED = "the token was revoked (signed out, or the account was changed): sign in again"


#: The account's row and whether the token was signed out, in one statement built once (its
#: construction cost as much as its execution; SQLAlchemy caches its compiled form).
_LIVE = sa.select(
    users.c.username,
    users.c.role,
    users.c.employee_id,
    users.c.agencies,
    users.c.active,
    users.c.token_version,
    sa.exists().where(revoked_tokens.c.token_id == sa.bindparam("token_id")).label("signed_out"),
).where(users.c.username == sa.bindparam("username"))


def live_account(engine: sa.Engine, username: str, version: int, token_id: str) -> Account:
    """The account as it is now, if a token with this version and id may still act for it;
    `Revoked` otherwise."""
    with engine.connect() as connection:
        row = connection.execute(_LIVE, {"username": username, "token_id": token_id}).first()
    if row is None:
        raise Revoked("the account no longer exists")
    if not row.active:
        raise Revoked("the account is disabled")
    if row.token_version != version or row.signed_out:
        raise Revoked(ENDED)
    return account_of(row)


def revoke(
    engine: sa.Engine, token_id: str, username: str, expires: float, address: str | None
) -> None:
    """Sign one token out until it expires (`expires`: epoch seconds), and say so in the
    accounts' audit log. Entries of tokens that expired meanwhile are dropped."""
    now = _now()
    until = dt.datetime.fromtimestamp(expires, dt.UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(revoked_tokens.delete().where(revoked_tokens.c.expires_at < now))
        known = connection.execute(
            sa.select(revoked_tokens.c.token_id).where(revoked_tokens.c.token_id == token_id)
        ).first()
        if known is None:
            connection.execute(
                revoked_tokens.insert().values(
                    token_id=token_id, username=username, expires_at=until
                )
            )
        event = AccountEvent(username=username, event="sign_out", actor=username, address=address)
        record_account_event(connection, event)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
