"""An employee's profile, training recommendations and career paths (own record for an ASN)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from service.access import personal_export
from service.access.scopes import check_employee
from service.access.security import CurrentAccount
from service.api.schemas import (
    EMPLOYEE_ID,
    POSITION_ID,
    CareerPathAnswer,
    CourseKind,
    Problem,
    Profile,
    TrainingSuggestions,
)
from service.api.suggestions import answer_trainings, career_paths, model_ref
from service.dependencies import (
    AuditDep,
    EngineDep,
    LevelModelDep,
    SnapshotDep,
    TrainingModelDep,
)
from service.state import serving
from training.contract import MAX_K

router = APIRouter(prefix="/employees", tags=["employees"])

EmployeeId = Annotated[str, Path(pattern=EMPLOYEE_ID, examples=["E000000021"])]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The role may not see individual records."},
    404: {"model": Problem, "description": "No such active employee in the caller's scope."},
}


@router.get("/{employee_id}", responses=ERRORS)
def profile(
    employee_id: EmployeeId, account: CurrentAccount, snapshot: SnapshotDep, model: LevelModelDep
) -> Profile:
    """Position, grade, competencies against the post's standard, recent SKP ratings, talent
    box and this year's JP. The current levels are the training recommender's estimate, the
    levels its reasons quote (`levels_model`); the last measurement is their basis."""
    check_employee(account, snapshot, employee_id)
    levels = serving.levels(model, snapshot, employee_id)
    return Profile(
        **snapshot.profile(employee_id, levels.values),  # type: ignore[arg-type]
        levels_model=model_ref(levels.model),
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
    )


@router.get("/{employee_id}/trainings", responses=ERRORS | {503: {"model": Problem}})
async def trainings(
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
    kinds = sorted({str(k.value) for k in kind or []})
    return await answer_trainings(account, snapshot, model, audit_log, employee_id, k, kinds)


@router.get("/{employee_id}/paths", responses=ERRORS | {422: {"model": Problem}})
def paths(
    employee_id: EmployeeId,
    account: CurrentAccount,
    snapshot: SnapshotDep,
    audit_log: AuditDep,
    model: LevelModelDep,
    to: Annotated[
        str | None,
        Query(pattern=POSITION_ID, description="Target post: dated routes to it."),
    ] = None,
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many next steps.")] = 10,
) -> CareerPathAnswer:
    """The next posts the person fits (with eligibility, its date and what is missing), or,
    with `to`, routes of up to three dated moves to that post. Computed from the rules and
    competency fit on the person's current levels: the training recommender's estimate (the
    answer's `model`), the levels of the profile and of the reasons."""
    return career_paths(account, snapshot, audit_log, employee_id, to, k, model)


EXPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/json": {}, "application/zip": {}},
        "description": "Everything held on the person: JSON, or (format=csv) a zip of CSV files.",
    },
    403: {"model": Problem, "description": "Only the person themselves or an admin."},
    404: {"model": Problem, "description": "No such employee (admins only get this far)."},
}


@router.get("/{employee_id}/export", response_class=Response, responses=EXPORT_ERRORS)
def export(
    employee_id: EmployeeId,
    account: CurrentAccount,
    snapshot: SnapshotDep,
    engine: EngineDep,
    audit_log: AuditDep,
    model: LevelModelDep,
    fmt: Annotated[
        personal_export.Format,
        Query(alias="format", description="json, or csv: a zip of one CSV per section."),
    ] = "json",
) -> Response:
    """Everything Jenjang holds on the person (UU 27/2022): their records with NIP and name,
    the profile derived from them, their accounts, the suggestions about them in the audit log
    (their own place only in lists of people), their feedback and planners' judgements of them.
    For the person themselves and admins; the download is written to the audit log."""
    download = personal_export.export(account, engine, snapshot, model, audit_log, employee_id, fmt)
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )
