"""Signed tokens and who is asking: OAuth2 password flow, JWT (PyJWT, HS256), role guards.

A token names the account and carries its role, scope, expiry, the account's token version and
an id of its own (``jti``). Its signature is checked once (`VerifiedTokens`); the account it
names is read on every request (`service.access.revocation`), so a disabled, re-scoped, deleted
or signed-out account's token is refused on its next request. `CurrentAccount` answers 401
(with ``WWW-Authenticate: Bearer``) for a missing, forged, expired or revoked token;
`require_roles(...)` answers 403 for a role that may not call a route.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import jwt
import sqlalchemy as sa
from cachetools import LRUCache
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from service.access.accounts import Account
from service.access.revocation import Revoked, live_account
from service.settings import ServiceSettings

ALGORITHM = "HS256"
TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL)


def issue_token(account: Account, settings: ServiceSettings) -> str:
    """A token for `account` that expires after ``settings.token_minutes``, carrying the
    account's token version (``ver``) and an id of its own (``jti``, for signing it out)."""
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": account.username,
        "role": account.role,
        "employee_id": account.employee_id,
        "agencies": list(account.agencies),
        "ver": account.version,
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.token_minutes),
    }
    return jwt.encode(claims, _secret(settings), algorithm=ALGORITHM)


@dataclass(frozen=True)
class Claims:
    """What a verified token says: the account as it was at issue, the account's token
    version then (None in a token issued before versions), its id, its expiry (epoch s)."""

    account: Account
    version: int | None
    token_id: str | None
    expires: float


class VerifiedTokens:
    """Tokens whose signature was already checked, with what each says and its expiry.

    A client sends the same token with every request of a session, and checking its signature
    costs about as much as serving a precomputed answer; so a token is verified once and then
    recognised by its exact text until it expires (checked on every use). Bounded: the least
    recently used tokens are verified again when they come back. Thread-safe (the pages' worker
    threads and the event loop share it). Only the signature is remembered: whether the account
    may still use the token is read from the database on every request (`current`)."""

    def __init__(self, settings: ServiceSettings, size: int = 4096) -> None:
        self.settings = settings
        self._seen: LRUCache[str, Claims] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def claims(self, token: str) -> Claims:
        """What `token` says; 401 for a forged or expired one."""
        with self._lock:
            seen = self._seen.get(token)
        if seen is not None:
            if time.time() >= seen.expires:
                raise _unauthorised("the token has expired: sign in again")
            return seen
        claims = _verified(token, self.settings)
        with self._lock:
            self._seen[token] = claims
        return claims

    def account(self, token: str) -> Account:
        """The account `token` names as it was issued (signature and expiry checked, not
        revocation: use `current` to let a request act)."""
        return self.claims(token).account

    def current(self, token: str, engine: sa.Engine) -> Account:
        """The account `token` may act for now, with its role and scope as they are now; 401
        for a forged, expired or revoked token (one primary-key read per call, never cached)."""
        claims = self.claims(token)
        if claims.version is None or claims.token_id is None:
            raise _unauthorised("the token is not valid: sign in again")
        try:
            return live_account(engine, claims.account.username, claims.version, claims.token_id)
        except Revoked as revoked:
            raise _unauthorised(str(revoked)) from None


def _verified(token: str, settings: ServiceSettings) -> Claims:
    """What a valid token says (its expiry in epoch seconds)."""
    try:
        claims = jwt.decode(
            token,
            _secret(settings),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorised("the token has expired: sign in again") from None
    except jwt.InvalidTokenError:
        raise _unauthorised("the token is not valid") from None
    version = claims.get("ver")
    account = Account(
        claims["sub"],
        claims["role"],
        claims.get("employee_id"),
        tuple(claims.get("agencies") or ()),
        version if isinstance(version, int) else 0,
    )
    token_id = claims.get("jti")
    return Claims(
        account,
        version if isinstance(version, int) else None,
        token_id if isinstance(token_id, str) else None,
        float(claims["exp"]),
    )


async def current_account(
    request: Request, token: Annotated[str, Depends(oauth2_scheme)]
) -> Account:
    """The caller's account, checked against the database on every request. On the event loop:
    the read is one primary-key lookup, cheaper than a hop to a worker thread."""
    tokens: VerifiedTokens = request.app.state.tokens
    return tokens.current(token, request.app.state.engine)


CurrentAccount = Annotated[Account, Depends(current_account)]


def require_roles(*roles: str) -> Callable[[Account], Awaitable[Account]]:
    """A dependency that lets only `roles` through (403 otherwise)."""

    async def guard(account: CurrentAccount) -> Account:
        if account.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the {account.role} role may not do this; allowed: {', '.join(roles)}",
            )
        return account

    return guard


def _secret(settings: ServiceSettings) -> str:
    if not settings.secret_key:
        raise RuntimeError("no secret key: settings must pass check_for_start() first")
    return settings.secret_key


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"}
    )
