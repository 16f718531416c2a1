"""The service's accounts: who may sign in, with which role and scope.

Roles (`ROLES`): ``asn`` sees only their own employee record and suggestions; ``hr_planner``
the agencies in their scope; ``analyst`` aggregates and model operations, and individual records
only of the agencies the account was granted (its agencies); ``admin`` everything
(`service.scopes`).
Passwords are kept only as argon2 hashes (pwdlib); `authenticate` spends the same hashing time
whether or not the account exists, so timing does not tell which usernames are real.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from pwdlib import PasswordHash

from features.database import migrate, users

ROLES = ("asn", "hr_planner", "analyst", "admin")
MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

_hasher = PasswordHash.recommended()
#: Verified against when the username is unknown (same cost as a real check).
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    employee_id: str | None
    agencies: tuple[str, ...]


def create_user(
    engine: sa.Engine,
    username: str,
    password: str,
    role: str,
    employee_id: str | None = None,
    agencies: tuple[str, ...] = (),
) -> Account:
    """Add an account; a clear ValueError names what is wrong, and nothing is written then."""
    if not USERNAME.match(username):
        raise ValueError(
            "username must be 3–64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role == "asn" and not employee_id:
        raise ValueError("an asn account needs --employee-id (their own record)")
    if role == "hr_planner" and not agencies:
        raise ValueError("an hr_planner account needs at least one --agency in scope")
    migrate(engine)
    with engine.begin() as connection:
        if employee_id is not None and not _employee_exists(connection, employee_id):
            raise ValueError(f"no employee {employee_id!r} in the database")
        taken = connection.execute(sa.select(users.c.username).where(users.c.username == username))
        if taken.first() is not None:
            raise ValueError(f"username {username!r} is taken")
        connection.execute(
            users.insert().values(
                username=username,
                password_hash=_hasher.hash(password),
                role=role,
                employee_id=employee_id,
                agencies=list(agencies) or None,
                active=True,
                created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
        )
    return Account(username, role, employee_id, tuple(agencies))


def authenticate(engine: sa.Engine, username: str, password: str) -> Account | None:
    """The active account with this username and password, or None."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None:
        _hasher.verify(password, _DUMMY_HASH)
        return None
    if not _hasher.verify(password, row.password_hash) or not row.active:
        return None
    return Account(row.username, row.role, row.employee_id, tuple(row.agencies or ()))


def _employee_exists(connection: sa.Connection, employee_id: str) -> bool:
    query = sa.text("SELECT 1 FROM employees WHERE employee_id = :id")
    return connection.execute(query, {"id": employee_id}).first() is not None
