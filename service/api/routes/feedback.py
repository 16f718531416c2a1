"""Feedback on suggestions (accept, reject, not relevant, interested) and its export."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response
from pydantic import BeforeValidator

from service.access import audit
from service.access.accounts import Account
from service.access.security import CurrentAccount, require_roles
from service.api.schemas import FeedbackIn, FeedbackOut, Problem
from service.api.suggestions import judge
from service.dependencies import EngineDep, SnapshotDep

router = APIRouter(prefix="/feedback", tags=["feedback"])

Exporter = Annotated[Account, Depends(require_roles("analyst", "admin"))]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """A day as YYYY-MM-DD only: pydantic alone would also read a number (``since=0``) as
    seconds since 1970, which no one means by "feedback from this day on"."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("since is a date written YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_iso_date)]


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
    return judge(account, snapshot, engine, body)


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per judgement."}},
)
def export_feedback(
    account: Exporter,
    engine: EngineDep,
    since: Annotated[
        Day | None, Query(description="Only feedback from this day on (YYYY-MM-DD).")
    ] = None,
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
