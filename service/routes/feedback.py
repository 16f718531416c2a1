"""Feedback on suggestions (accept, reject, not relevant, interested) and its export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.responses import Response

from service import audit
from service.accounts import Account
from service.dependencies import EngineDep, SnapshotDep
from service.schemas import FeedbackIn, FeedbackOut, ModelRef, Problem
from service.scopes import check_agency, check_employee, check_position
from service.security import CurrentAccount, require_roles
from service.snapshot import NotFound, Snapshot

router = APIRouter(prefix="/feedback", tags=["feedback"])

Exporter = Annotated[Account, Depends(require_roles("analyst", "admin"))]


@router.post(
    "",
    status_code=201,
    responses={404: {"model": Problem}, 422: {"model": Problem}},
)
def give_feedback(
    body: Annotated[FeedbackIn, Body()],
    account: CurrentAccount,
    snapshot: SnapshotDep,
    engine: EngineDep,
) -> FeedbackOut:
    """Judge one item of a suggestion you were shown. Rejecting or marking "not relevant"
    needs a reason. Stored with the suggestion's model version for the next retraining."""
    logged = audit.find(engine, body.suggestion_id)
    if logged is None or not _may_judge(account, snapshot, logged):
        raise NotFound(f"no suggestion {body.suggestion_id!r} of yours")
    if body.item_id not in {str(item.get("id")) for item in logged.returned}:
        raise NotFound(f"suggestion {body.suggestion_id} did not include {body.item_id!r}")
    feedback_id = audit.add_feedback(
        engine, account, body.suggestion_id, body.item_id, body.decision, body.reason
    )
    model = (
        ModelRef(name=logged.model_name, version=logged.model_version)
        if logged.model_name
        else None
    )
    return FeedbackOut(
        feedback_id=feedback_id,
        suggestion_id=body.suggestion_id,
        item_id=body.item_id,
        decision=body.decision,
        model=model,
    )


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per judgement."}},
)
def export_feedback(
    account: Exporter,
    engine: EngineDep,
    since: Annotated[dt.date | None, Query(description="Only feedback from this day on.")] = None,
) -> Response:
    """Every judgement with the suggestion it judged (kind, subject, model version, data
    snapshot, date), as CSV: the input the next retraining reads."""
    start = dt.datetime.combine(since, dt.time()) if since else None
    table = audit.export(engine, start)
    buffer = io.StringIO()
    table.drop(columns="username").to_csv(buffer, index=False)
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="feedback.csv"'},
    )


def _may_judge(account: Account, snapshot: Snapshot, logged: sa.Row[Any]) -> bool:
    """Only the one who was shown the suggestion, still in scope of what it was about."""
    if logged.username != account.username:
        return False
    try:
        if logged.kind in ("training", "paths"):
            check_employee(account, snapshot, logged.subject)
        elif logged.kind == "candidates":
            check_position(account, snapshot, logged.subject)
        elif logged.kind == "plan":
            for position_id in logged.request["position_ids"]:
                check_position(account, snapshot, position_id)
        elif logged.kind == "succession":
            check_agency(account, snapshot, logged.subject, individuals=True)
        else:
            return False
    except (NotFound, HTTPException):  # out of scope now: the same answer as missing
        return False
    return True
