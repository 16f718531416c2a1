"""Who may see what: the scope of each role, checked before any record is read.

- ``asn``: their own record and suggestions only;
- ``hr_planner``: people, posts and pools of the agencies in their scope;
- ``analyst``: aggregates and model operations; individual records only of the agencies they
  were granted (an analyst account's agencies). Elsewhere their aggregates withhold small
  cells (`service.access.disclosure`);
- ``admin``: everything.

A record outside the caller's scope answers 404 with the same message as a missing one, so ids
cannot be probed; a route the role may never use answers 403.
"""

from __future__ import annotations

from fastapi import HTTPException, status

from service.access.accounts import Account
from service.state.snapshot import NotFound, Snapshot


def forbidden(message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, message)


def individual_agencies(account: Account) -> tuple[str, ...] | None:
    """The agencies whose people `account` may see one by one (None: all)."""
    if account.role == "admin":
        return None
    if account.role in ("hr_planner", "analyst"):
        return account.agencies
    return ()


def check_employee(account: Account, snapshot: Snapshot, employee_id: str) -> None:
    """Raise unless `account` may read this person's record and suggestions."""
    agencies = _individuals_or_forbidden(account)
    missing = NotFound(
        f"no active employee {employee_id!r} in your scope on {snapshot.as_of.date()}"
    )
    if account.role == "asn" and employee_id != account.employee_id:
        raise missing
    try:
        agency = snapshot.agency_of(employee_id)
    except NotFound:
        raise missing from None
    if agencies is not None and account.role != "asn" and agency not in agencies:
        raise missing


def check_agency(account: Account, snapshot: Snapshot, agency_id: str, individuals: bool) -> None:
    """Raise unless `account` may read this agency's aggregates (or, with `individuals`, the
    people in it)."""
    if account.role == "asn":
        raise forbidden("the asn role sees only their own record")
    aggregates_only = account.role == "analyst" and not individuals
    agencies = None if aggregates_only else _individuals_or_forbidden(account)
    if agency_id not in snapshot.agencies.index or (
        agencies is not None and agency_id not in agencies
    ):
        raise NotFound(f"no agency {agency_id!r} in your scope")


def check_position(account: Account, snapshot: Snapshot, position_id: str) -> None:
    """Raise unless `account` may see this post and rank people for it."""
    if account.role == "asn":
        raise forbidden("the asn role sees only their own record")
    agencies = _individuals_or_forbidden(account)
    missing = NotFound(f"no position {position_id!r} in your scope")
    try:
        position = snapshot.position(position_id)
    except NotFound:
        raise missing from None
    if agencies is not None and position["agency_id"] not in agencies:
        raise missing


def _individuals_or_forbidden(account: Account) -> tuple[str, ...] | None:
    """The caller's agencies for individual records (None: all); 403 for a role without any.
    Checked before any lookup, so whether a record exists never shows through."""
    agencies = individual_agencies(account)
    if agencies == () and account.role != "asn":
        raise forbidden(f"the {account.role} role sees no individual records without a grant")
    return agencies
