"""Signed tokens and who is asking: OAuth2 password flow, JWT (PyJWT, HS256), role guards.

A token names the account and carries its role and expiry; every request re-reads nothing but
the token. `CurrentAccount` answers 401 (with ``WWW-Authenticate: Bearer``) for a missing,
forged or expired token; `require_roles(...)` answers 403 for a role that may not call a route.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

import jwt
from cachetools import LRUCache
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from service.access.accounts import Account
from service.settings import ServiceSettings

ALGORITHM = "HS256"
TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL)


def issue_token(account: Account, settings: ServiceSettings) -> str:
    """A token for `account` that expires after ``settings.token_minutes``."""
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": account.username,
        "role": account.role,
        "employee_id": account.employee_id,
        "agencies": list(account.agencies),
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.token_minutes),
    }
    return jwt.encode(claims, _secret(settings), algorithm=ALGORITHM)


class VerifiedTokens:
    """Tokens whose signature was already checked, with the account each names and its expiry.

    A client sends the same token with every request of a session, and checking its signature
    costs about as much as serving a precomputed answer; so a token is verified once and then
    recognised by its exact text until it expires (checked on every use). Bounded: the least
    recently used tokens are verified again when they come back. Thread-safe (the pages' worker
    threads and the event loop share it)."""

    def __init__(self, settings: ServiceSettings, size: int = 4096) -> None:
        self.settings = settings
        self._seen: LRUCache[str, tuple[Account, float]] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def account(self, token: str) -> Account:
        """The account `token` names; 401 for a forged or expired one."""
        with self._lock:
            seen = self._seen.get(token)
        if seen is not None:
            if time.time() >= seen[1]:
                raise _unauthorised("the token has expired: sign in again")
            return seen[0]
        account, expires = _verified(token, self.settings)
        with self._lock:
            self._seen[token] = (account, expires)
        return account


def _verified(token: str, settings: ServiceSettings) -> tuple[Account, float]:
    """The account a valid token names and when the token expires (epoch seconds)."""
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
    account = Account(
        claims["sub"],
        claims["role"],
        claims.get("employee_id"),
        tuple(claims.get("agencies") or ()),
    )
    return account, float(claims["exp"])


async def current_account(
    request: Request, token: Annotated[str, Depends(oauth2_scheme)]
) -> Account:
    return request.app.state.tokens.account(token)  # type: ignore[no-any-return]


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
