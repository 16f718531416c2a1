"""The service's accounts: who may sign in, with which role and scope.

Roles (`ROLES`): ``asn`` sees only their own employee record and suggestions; ``hr_planner``
the agencies in their scope; ``analyst`` aggregates and model operations, and individual records
only of the agencies the account was granted (its agencies); ``admin`` everything
(`service.access.scopes`).
Passwords are kept only as argon2 hashes (pwdlib); `check_credentials` spends the same hashing
time whether or not the account exists, so timing does not tell which usernames are real.
An account's ``token_version`` is carried by its tokens; what changes who the account is or may
see bumps it (`service.access.account_admin`), which refuses its earlier tokens at once
(`service.access.revocation`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from pwdlib import PasswordHash

from features.store.database import migrate, users

ROLES = ("asn", "hr_planner", "analyst", "admin")
MIN_PASSWORD_LENGTH = 10
#: The longest password kept or checked: argon2 over a huge one is a denial of service.
MAX_PASSWORD_LENGTH = 256
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
#: A NIP is 18 digits: never part of a username (usernames reach the logs, NIPs must not).
NIP_LIKE = re.compile(r"\d{18}")

_hasher = PasswordHash.recommended()
#: Verified against when the username is unknown (same cost as a real check).
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    employee_id: str | None
    agencies: tuple[str, ...]
    #: The account's token version when it was read (not part of who the account is).
    version: int = field(default=0, compare=False)


class AccountRefused(ValueError):
    """A refused account change: the message (English) for the command line, and `key` with
    `values` for the pages, which say it in their own language (``refused_<key>`` texts)."""

    def __init__(self, message: str, key: str, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Credentials:
    """What a username and password came to: the account when both are right and it is
    active; else why not ("unknown", "password" or "disabled"), and whether the name exists."""

    account: Account | None
    exists: bool
    refused: str | None


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
    if NIP_LIKE.search(username):
        raise ValueError(
            "username must not hold a NIP (18 digits in a row): usernames appear in the audit "
            "log and in the addresses of the admin's pages, which the access log records"
        )
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    check_password(password)
    check_scope(role, employee_id, agencies)
    migrate(engine)
    with engine.begin() as connection:
        if employee_id is not None and not employee_exists(connection, employee_id):
            raise unknown_employee(employee_id)
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


def check_password(password: str) -> None:
    """Refuse a password too short to keep, or too long to hash cheaply (ValueError)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            "password_short",
            n=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountRefused(
            f"password must have at most {MAX_PASSWORD_LENGTH} characters",
            "password_long",
            n=MAX_PASSWORD_LENGTH,
        )


def check_scope(role: str, employee_id: str | None, agencies: tuple[str, ...]) -> None:
    """Refuse a scope that does not fit the role (ValueError): an asn is bound to their own
    record, an hr_planner to agencies; an analyst may be granted agencies; an admin has no
    scope (sees everything)."""
    if role != "asn" and employee_id:
        raise AccountRefused(
            f"only an asn account is bound to an --employee-id, not {role}", "employee_only_asn"
        )
    if role == "asn" and agencies:
        raise AccountRefused(
            "an asn account sees their own record only: no --agency", "asn_no_agency"
        )
    if role == "admin" and agencies:
        raise AccountRefused("an admin account sees every agency: no --agency", "admin_no_scope")
    if role == "asn" and not employee_id:
        raise AccountRefused(
            "an asn account needs --employee-id (their own record)", "asn_needs_employee"
        )
    if role == "hr_planner" and not agencies:
        raise AccountRefused(
            "an hr_planner account needs at least one --agency in scope", "planner_needs_agency"
        )


def authenticate(engine: sa.Engine, username: str, password: str) -> Account | None:
    """The active account with this username and password, or None."""
    return check_credentials(engine, username, password).account


def check_credentials(engine: sa.Engine, username: str, password: str) -> Credentials:
    """Check a username and password, spending one argon2 verification whatever the outcome
    (an unknown name is verified against a dummy hash), so timing tells no names."""
    if "\x00" in username:  # no account has one, and PostgreSQL refuses it in a query
        _hasher.verify(password, _DUMMY_HASH)  # the same time as any unknown name
        return Credentials(None, False, "unknown")
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None:
        _hasher.verify(password, _DUMMY_HASH)
        return Credentials(None, False, "unknown")
    if not _hasher.verify(password, row.password_hash):
        return Credentials(None, True, "password")
    if not row.active:
        return Credentials(None, True, "disabled")
    return Credentials(account_of(row), True, None)


def account_of(row: sa.Row) -> Account:  # type: ignore[type-arg]
    """The account a row of `users` describes, with its token version."""
    agencies = tuple(row.agencies or ())
    return Account(row.username, row.role, row.employee_id, agencies, row.token_version)


def hash_password(password: str) -> str:
    """The argon2 hash kept instead of `password`."""
    return _hasher.hash(password)


def employee_exists(connection: sa.Connection, employee_id: str) -> bool:
    query = sa.text("SELECT 1 FROM employees WHERE employee_id = :id")
    return connection.execute(query, {"id": employee_id}).first() is not None


def unknown_employee(employee_id: str) -> AccountRefused:
    return AccountRefused(
        f"no employee {employee_id!r} in the database", "unknown_employee", employee_id=employee_id
    )


def agency_exists(connection: sa.Connection, agency_id: str) -> bool:
    query = sa.text("SELECT 1 FROM agencies WHERE agency_id = :id")
    return connection.execute(query, {"id": agency_id}).first() is not None


def set_password(engine: sa.Engine, username: str, password: str) -> None:
    """Replace an account's password (the demo resets its accounts on every start); its
    earlier tokens are refused from then on."""
    check_password(password)
    with engine.begin() as connection:
        changed = connection.execute(
            users.update()
            .where(users.c.username == username)
            .values(password_hash=hash_password(password), token_version=users.c.token_version + 1)
        )
        if changed.rowcount != 1:
            raise ValueError(f"no account {username!r}")


def demo_accounts(engine: sa.Engine, as_of: dt.date) -> list[tuple[Account, str]]:
    """One account per role for the embedded demo, with fresh random passwords: an ASN of the
    largest agency, a planner of that agency, an analyst, an admin. Existing demo accounts get
    new passwords; returns each account with its password (for printing, never logging)."""
    migrate(engine)
    employee, agency = _demo_employee(engine, as_of)
    wanted = [
        ("demo-asn", "asn", employee, ()),
        ("demo-planner", "hr_planner", None, (agency,)),
        ("demo-analyst", "analyst", None, ()),
        ("demo-admin", "admin", None, ()),
    ]
    out = []
    for username, role, employee_id, agencies in wanted:
        password = secrets.token_urlsafe(12)
        with engine.connect() as connection:
            exists = connection.execute(
                sa.select(users.c.username).where(users.c.username == username)
            ).first()
        if exists is None:
            account = create_user(engine, username, password, role, employee_id, agencies)
        else:
            with engine.begin() as connection:
                connection.execute(
                    users.update()
                    .where(users.c.username == username)
                    .values(employee_id=employee_id, agencies=list(agencies) or None)
                )
            set_password(engine, username, password)
            account = Account(username, role, employee_id, agencies)
        out.append((account, password))
    return out


def _demo_employee(engine: sa.Engine, as_of: dt.date) -> tuple[str, str]:
    """The first active employee (by id) of the agency with the most people in posts."""
    query = sa.text(
        """
        SELECT h.employee_id, u.agency_id
        FROM position_history h
        JOIN positions p ON p.position_id = h.position_id
        JOIN units u ON u.unit_id = p.unit_id
        JOIN employees e ON e.employee_id = h.employee_id
        WHERE h.start_date <= :day AND (h.end_date IS NULL OR h.end_date > :day)
          AND (e.exit_date IS NULL OR e.exit_date > :day)
        """
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"day": as_of}).all()
    if not rows:
        raise ValueError(f"nobody holds a post on {as_of}: ingest data first (jenjang data ingest)")
    sizes: dict[str, int] = {}
    for _, agency in rows:
        sizes[agency] = sizes.get(agency, 0) + 1
    largest = max(sorted(sizes), key=lambda a: sizes[a])
    return min(e for e, a in rows if a == largest), largest
