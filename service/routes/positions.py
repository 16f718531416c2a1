"""Posts and vacancies, ranked candidates for a post, and placement plans (HR planners)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query

from features import reference
from features.eligibility import messages
from features.fit import competency_fit
from features.positions import competency_codes
from service import audit, serving
from service.accounts import Account
from service.dependencies import AuditDep, PlacementModelDep, SnapshotDep
from service.schemas import (
    AGENCY_ID,
    POSITION_ID,
    Assignment,
    Candidate,
    CandidateSuggestions,
    FitItem,
    ModelRef,
    PlanRequest,
    PlanSuggestions,
    Position,
    PositionPage,
    Problem,
)
from service.scopes import check_position, forbidden, individual_agencies
from service.security import CurrentAccount
from service.snapshot import NotFound, Snapshot
from training.inference import MAX_K
from training.placement import STRUCTURAL_FAMILIES

router = APIRouter(tags=["positions"])

PositionId = Annotated[str, Path(pattern=POSITION_ID, examples=["PROV-U0172-P00021"])]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The role may not see posts and candidates."},
    404: {"model": Problem, "description": "No such post in the caller's scope."},
}
MAX_PAGE = 500


def planner(account: CurrentAccount) -> Account:
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


@router.get("/positions/{position_id}/candidates", responses=ERRORS | {422: {"model": Problem}})
def candidates(
    position_id: PositionId,
    account: Planner,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
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
    Only people in the caller's scope are proposed."""
    check_position(account, snapshot, position_id)
    agencies = individual_agencies(account)
    if from_agency is not None:
        if agencies is not None and from_agency not in agencies:
            raise NotFound(f"no agency {from_agency!r} in your scope")
        agencies = (from_agency,)
    ranked = serving.candidates(model, snapshot, position_id, k, include_ineligible, agencies)
    post = snapshot.position(position_id)
    items = _candidates(snapshot, ranked, position_id, str(post["family"]))
    suggestion_id = audit_log.record(
        account,
        audit.Suggestion(
            kind="candidates",
            subject=position_id,
            model_name=model.name,
            model_version=model.version,
            data_snapshot=snapshot.snapshot_id,
            as_of=snapshot.as_of.date(),
            request={"k": k, "include_ineligible": include_ineligible, "from_agency": from_agency},
            returned=[{"id": c.employee_id, "score": c.score} for c in items],
        ),
    )
    return CandidateSuggestions(
        suggestion_id=suggestion_id,
        model=ModelRef(name=model.name, version=model.version),
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
        position_id=position_id,
        items=items,
    )


@router.post("/plans", responses=ERRORS | {422: {"model": Problem}})
def plans(
    body: PlanRequest,
    account: Planner,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
) -> PlanSuggestions:
    """One placement plan for several vacancies: each person at most one post, eligible people
    only, a vacancy left open when nobody fits; its total predicted success beside filling the
    vacancies one by one."""
    wanted = list(dict.fromkeys(body.position_ids))
    for position_id in wanted:
        check_position(account, snapshot, position_id)
    best, greedy = serving.plan(model, snapshot, wanted, individual_agencies(account))
    assignments = [
        Assignment(position_id=r["vacancy"], employee_id=r["candidate"], score=float(r["score"]))
        for r in best.assignments.to_dict("records")
    ]
    suggestion_id = audit_log.record(
        account,
        audit.Suggestion(
            kind="plan",
            subject=f"{len(wanted)} posts",
            model_name=model.name,
            model_version=model.version,
            data_snapshot=snapshot.snapshot_id,
            as_of=snapshot.as_of.date(),
            request={"position_ids": wanted},
            returned=[
                {"id": a.employee_id, "position_id": a.position_id, "score": a.score}
                for a in assignments
            ],
        ),
    )
    return PlanSuggestions(
        suggestion_id=suggestion_id,
        model=ModelRef(name=model.name, version=model.version),
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
        assignments=assignments,
        unfilled=list(best.unfilled),
        total=round(float(best.total), 6),
        greedy_total=round(float(greedy.total), 6),
    )


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


def _candidates(
    snapshot: Snapshot, ranked: list[dict[str, Any]], position_id: str, family: str
) -> list[Candidate]:
    view = snapshot.view
    result = view.eligibility(family)
    required = view.standards.reindex([position_id]).fillna(0.0).to_numpy()[0]
    people = [str(row["employee_id"]) for row in ranked]
    rows = [snapshot.row(p) for p in people]
    levels = view.levels[rows]
    fit = competency_fit(levels, required)  # all candidates at once
    inside = np.flatnonzero(required > 0)
    names = _competency_names()
    out = []
    for i, row in enumerate(ranked):
        items = [
            FitItem(
                competency_code=names[c][0],
                name_id=names[c][1],
                name_en=names[c][2],
                required_level=float(required[c]),
                level=round(float(levels[i, c]), 3),
                shortfall=round(float(fit.shortfall[i, c]), 3),
                surplus=round(float(fit.surplus[i, c]), 3),
            )
            for c in inside
        ]
        out.append(
            Candidate(
                rank=int(row["rank"]),
                employee_id=people[i],
                agency_id=str(view.frame["agency_id"].iloc[rows[i]]),
                score=round(float(row["score"]), 6),
                fit_score=round(float(row["fit_score"]), 4),
                eligible=bool(row["eligible"]),
                eligible_from=row["eligible_from"] or None,
                failed_rules=messages(result, people[i]) if not row["eligible"] else [],  # type: ignore[arg-type]
                fit=items,
                talent_box=None if pd.isna(row["talent_box"]) else int(row["talent_box"]),
                rating_last=None if pd.isna(row["rating_last"]) else float(row["rating_last"]),
                reasons=row.get("reasons", []),
            )
        )
    return out


@cache
def _competency_names() -> list[tuple[str, str, str]]:
    """(code, Indonesian name, English name) by competency column."""
    table = reference.load("competencies").set_index("code")
    return [
        (c, str(table.at[c, "name_id"]), str(table.at[c, "name_en"])) for c in competency_codes()
    ]
