"""Who the proposed people are: name, current post and unit, for a planner deciding a placement,
as the BKD's staff see them in their HR system.

Only people the caller may see one by one (`service.access.scopes`) are named; anyone else keeps
their id alone. Names are personal data: they are read from the database per answer, for the
few people shown (`features.store.personal.load_names`), never held with the records a model
reads, never written to the audit log (which keeps ids) or to a log line.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from features.store.personal import load_names
from service.access.accounts import Account
from service.access.scopes import individual_agencies
from service.api.schemas import Person
from service.state.snapshot import NotFound, Snapshot


def people(
    account: Account, snapshot: Snapshot, engine: sa.Engine, employee_ids: Iterable[str]
) -> dict[str, Person]:
    """Employee id → who they are, for those of `employee_ids` active on the snapshot's date
    within the caller's scope (an ASN's scope holds no one else's name)."""
    scope = individual_agencies(account)
    if scope == ():
        return {}
    shown = [p for p in dict.fromkeys(employee_ids) if _in_scope(snapshot, p, scope)]
    names = load_names(engine, shown)
    return {p: _person(snapshot, p, names[p]) for p in shown if p in names}


def _in_scope(snapshot: Snapshot, employee_id: str, scope: tuple[str, ...] | None) -> bool:
    try:
        agency = snapshot.agency_of(employee_id)
    except NotFound:  # not active on the date: nothing to say about them
        return False
    return scope is None or agency in scope


def _person(snapshot: Snapshot, employee_id: str, name: str) -> Person:
    """One person's post and unit on the snapshot's date. Every value is text already, so
    building it cannot fail with a message quoting the name."""
    row = snapshot.view.frame.iloc[snapshot.row(employee_id)]
    position_id, unit_id = str(row["position_id"]), str(row["unit_id"])
    return Person(
        name=name,
        position_id=position_id,
        position_title=str(snapshot.position(position_id)["title"]),
        unit_id=unit_id,
        unit_name=snapshot.unit_names.get(unit_id, unit_id),
    )
