"""Posts and vacancies, ranked candidates for a post, and placement plans (HR planners)."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query

from features.view import STRUCTURAL_FAMILIES
from service.access.accounts import Account
from service.access.scopes import check_position, forbidden, individual_agencies
from service.access.security import CurrentAccount
from service.api.schemas import (
    AGENCY_ID,
    POSITION_ID,
    CandidateSuggestions,
    PlanRequest,
    PlanSuggestions,
    Position,
    PositionPage,
    Problem,
)
from service.api.suggestions import answer_candidates, placement_plan
from service.dependencies import AuditDep, EngineDep, PlacementModelDep, SnapshotDep
from training.contract import MAX_K

router = APIRouter(tags=["positions"])

PositionId = Annotated[str, Path(pattern=POSITION_ID, examples=["PROV-U0172-P00021"])]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The role may not see posts and candidates."},
    404: {"model": Problem, "description": "No such post in the caller's scope."},
}
MAX_PAGE = 500


async def planner(account: CurrentAccount) -> Account:
    """HR planners, admins and analysts granted agencies; never ASN."""
    if account.role == "asn" or individual_agencies(account) == ():
        raise forbidden(f"the {account.role} role may not see posts and candidates")
    return account


Planner = Annotated[Account, Depends(planner)]


@router.get("/positions", responses=ERRORS)
def positions(
    account: Planner,
    snapshot: SnapshotDep,
    agency: Annotated[str | None, Query(pattern=AGENCY_ID)] = None,
    family: Annotated[str | None, Query(max_length=40)] = None,
    vacant: Annotated[bool, Query(description="Only posts with an open seat.")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PositionPage:
    """Posts in the caller's scope with holders and open seats, filtered and paged."""
    table = snapshot.positions
    scope = individual_agencies(account)
    keep = np.ones(len(table), dtype=bool)
    if scope is not None:
        keep &= table["agency_id"].isin(scope).to_numpy()
    if agency is not None:
        keep &= (table["agency_id"] == agency).to_numpy()
    if family is not None:
        keep &= (table["family"] == family).to_numpy()
    if vacant:
        keep &= (table["open_seats"] > 0).to_numpy()
    chosen = table[keep]
    page = chosen.iloc[offset : offset + limit]
    return PositionPage(total=len(chosen), items=[_position(row) for _, row in page.iterrows()])


@router.get("/positions/{position_id}", responses=ERRORS)
def position(position_id: PositionId, account: Planner, snapshot: SnapshotDep) -> Position:
    check_position(account, snapshot, position_id)
    return _position(snapshot.position(position_id))


#: A schema-valid request the post itself refuses is a 422 too: its message names the field.
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "model": Problem,
        "description": "Input refused: a parameter out of range, or a post that is not filled "
        "by placement (a functional post has no ranked candidates and no place in a plan).",
    }
}


@router.get("/positions/{position_id}/candidates", responses=ERRORS | REFUSED)
async def candidates(
    position_id: PositionId,
    account: Planner,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    engine: EngineDep,
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many candidates.")] = 10,
    include_ineligible: Annotated[
        bool, Query(description="Also people who fail a rule, with the rules spelled out.")
    ] = False,
    from_agency: Annotated[
        str | None, Query(pattern=AGENCY_ID, description="Only people of this agency.")
    ] = None,
) -> CandidateSuggestions:
    """Candidates ranked by predicted success in the post, each with eligibility (failed rules
    in words, and when time will satisfy them), fit per competency, talent box and reasons.
    Only people in the caller's scope are proposed, each with their name, current post and
    unit (the audit log keeps their ids)."""
    return await answer_candidates(
        account, snapshot, model, audit_log, engine, position_id, k, include_ineligible, from_agency
    )


@router.post("/plans", responses=ERRORS | REFUSED)
def plans(
    body: PlanRequest,
    account: Planner,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    engine: EngineDep,
) -> PlanSuggestions:
    """One placement plan for several vacancies: each person at most one post, eligible people
    only, a vacancy left open when nobody fits; its total predicted success beside filling the
    vacancies one by one."""
    return placement_plan(account, snapshot, model, audit_log, engine, body.position_ids)


def _position(row: pd.Series) -> Position:
    return Position(
        position_id=str(row["position_id"]),
        title=str(row["title"]),
        family=str(row["family"]),
        field=None if pd.isna(row["field"]) else str(row["field"]),
        agency_id=str(row["agency_id"]),
        unit_id=str(row["unit_id"]),
        capacity=int(row["capacity"]),
        holders=int(row["holders"]),
        open_seats=int(row["open_seats"]),
        rankable=bool(row["family"] in STRUCTURAL_FAMILIES),
    )
