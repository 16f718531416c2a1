"""An employee's profile, training recommendations and career paths (own record for an ASN)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query

from features.eligibility import messages
from service import audit, serving
from service.dependencies import AuditDep, SnapshotDep, TrainingModelDep
from service.schemas import (
    EMPLOYEE_ID,
    POSITION_ID,
    CareerPathAnswer,
    CourseKind,
    ModelRef,
    NextStep,
    Problem,
    Profile,
    RouteStep,
    TrainingItem,
    TrainingSuggestions,
)
from service.scopes import check_employee
from service.security import CurrentAccount
from service.snapshot import Snapshot
from training.inference import MAX_K

router = APIRouter(prefix="/employees", tags=["employees"])

EmployeeId = Annotated[str, Path(pattern=EMPLOYEE_ID, examples=["E000000021"])]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The role may not see individual records."},
    404: {"model": Problem, "description": "No such active employee in the caller's scope."},
}


@router.get("/{employee_id}", responses=ERRORS)
def profile(employee_id: EmployeeId, account: CurrentAccount, snapshot: SnapshotDep) -> Profile:
    """Position, grade, competencies against the post's standard, recent SKP ratings, talent
    box and this year's JP."""
    check_employee(account, snapshot, employee_id)
    return Profile(
        **snapshot.profile(employee_id),  # type: ignore[arg-type]
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
    )


@router.get("/{employee_id}/trainings", responses=ERRORS | {503: {"model": Problem}})
def trainings(
    employee_id: EmployeeId,
    account: CurrentAccount,
    snapshot: SnapshotDep,
    model: TrainingModelDep,
    audit_log: AuditDep,
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many courses.")] = 10,
    kind: Annotated[
        list[CourseKind] | None, Query(description="Only courses of these kinds.")
    ] = None,
) -> TrainingSuggestions:
    """Recommended trainings, best first, each with its score and the reasons behind it."""
    check_employee(account, snapshot, employee_id)
    kinds = sorted({str(k.value) for k in kind or []})
    answer = serving.trainings(model, snapshot, employee_id, k, kinds)
    items = [TrainingItem.model_validate(row) for row in answer]
    suggestion_id = audit_log.record(
        account,
        audit.Suggestion(
            kind="training",
            subject=employee_id,
            model_name=model.name,
            model_version=model.version,
            data_snapshot=snapshot.snapshot_id,
            as_of=snapshot.as_of.date(),
            request={"k": k, "kinds": kinds},
            returned=[{"id": i.course_id, "score": i.score} for i in items],
        ),
    )
    return TrainingSuggestions(
        suggestion_id=suggestion_id,
        model=ModelRef(name=model.name, version=model.version),
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
        employee_id=employee_id,
        items=items,
    )


@router.get("/{employee_id}/paths", responses=ERRORS | {422: {"model": Problem}})
def paths(
    employee_id: EmployeeId,
    account: CurrentAccount,
    snapshot: SnapshotDep,
    audit_log: AuditDep,
    to: Annotated[
        str | None,
        Query(pattern=POSITION_ID, description="Target post: dated routes to it."),
    ] = None,
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many next steps.")] = 10,
) -> CareerPathAnswer:
    """The next posts the person fits (with eligibility, its date and what is missing), or,
    with `to`, routes of up to three dated moves to that post. Computed from the rules and
    competency fit, no learned model."""
    check_employee(account, snapshot, employee_id)
    finder = snapshot.paths
    steps: list[NextStep] = []
    routes: list[list[RouteStep]] = []
    if to is None:
        steps = _next_steps(snapshot, employee_id, finder.next_steps(employee_id, k))
        returned = [{"id": s.position_id, "score": s.fit_score} for s in steps]
    else:
        snapshot.position(to)  # 404 for an unknown post
        found = finder.routes(employee_id, to)
        routes = [[RouteStep.model_validate(step.as_dict()) for step in r] for r in found]
        returned = [{"id": to, "routes": len(routes)}]
    suggestion_id = audit_log.record(
        account,
        audit.Suggestion(
            kind="paths",
            subject=employee_id,
            model_name=None,
            model_version=None,
            data_snapshot=snapshot.snapshot_id,
            as_of=snapshot.as_of.date(),
            request={"k": k, "to": to},
            returned=returned,
        ),
    )
    return CareerPathAnswer(
        suggestion_id=suggestion_id,
        model=None,
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
        employee_id=employee_id,
        target_position_id=to,
        next_steps=steps,
        routes=routes,
    )


def _next_steps(snapshot: Snapshot, employee_id: str, table: pd.DataFrame) -> list[NextStep]:
    out = []
    for row in table.to_dict("records"):
        position = snapshot.position(row["position_id"])
        result = snapshot.view.eligibility(str(row["family"]))
        out.append(
            NextStep(
                position_id=row["position_id"],
                title=str(position["title"]),
                family=str(row["family"]),
                agency_id=str(row["agency_id"]),
                vacant=bool(position["open_seats"] > 0),
                fit_score=round(float(row["fit_score"]), 4),
                eligible=bool(row["eligible"]),
                eligible_from=row["eligible_from"] or None,
                failed_rules=messages(result, employee_id),  # type: ignore[arg-type]
                missing_competencies=json.loads(row["missing"]),
            )
        )
    return out
