"""A national deployment's API (`service.api.national`): anyone's trainings and a post's
candidates across the country, from the batch jobs' output, with the province's scopes, answer
shapes and audit log. Mounted when ``JENJANG_NATIONAL_ANSWERS_DIR`` or
``JENJANG_NATIONAL_INDEX_DIR`` is set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from service.access.security import CurrentAccount
from service.api.national import national_candidates, national_trainings
from service.api.routes.employees import EmployeeId
from service.api.routes.positions import PositionId
from service.api.schemas import CandidateSuggestions, Problem, TrainingSuggestions
from service.dependencies import AuditDep

router = APIRouter(prefix="/national", tags=["national"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The role may not see individual records."},
    404: {"model": Problem, "description": "Not in the national output within your scope."},
    422: {"model": Problem, "description": "A list deeper than the batch computed."},
    503: {"model": Problem, "description": "This deployment serves no such national output."},
}


@router.get("/employees/{employee_id}/trainings", responses=ERRORS)
async def trainings(
    request: Request,
    employee_id: EmployeeId,
    account: CurrentAccount,
    audit_log: AuditDep,
    k: Annotated[
        int | None,
        Query(ge=1, le=50, description="How many courses (default 10, at most the depth)."),
    ] = None,
) -> TrainingSuggestions:
    """A person's recommended trainings from the country's answers of the day: the same list,
    reasons and envelope as the province's, by the version that computed them."""
    national = request.app.state.national
    if k is None:  # 10, or the whole list of a batch that stored fewer
        k = min(10, national.answers.depth) if national.answers is not None else 10
    return await national_trainings(account, national, audit_log, employee_id, k)


@router.get("/positions/{position_id}/candidates", responses=ERRORS)
async def candidates(
    request: Request,
    position_id: PositionId,
    account: CurrentAccount,
    audit_log: AuditDep,
    k: Annotated[int, Query(ge=1, le=50, description="How many candidates.")] = 10,
) -> CandidateSuggestions:
    """A structural post's best eligible candidates in the whole country (or, for a planner,
    among the people of their agencies), ranked by the placement champion from the day's
    vacancy index: fit per competency, reasons, model version and date."""
    national = request.app.state.national
    return await national_candidates(account, national, audit_log, position_id, k)
