""" "Karier Saya": an ASN's own position, competencies, trainings, JP and career steps."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, Form, HTTPException, Path, Query, Request, status
from fastapi.responses import RedirectResponse, Response

from service.access import personal_export
from service.access.accounts import Account
from service.access.audit import AuditLog
from service.access.scopes import check_employee
from service.api.schemas import CareerPathAnswer
from service.api.suggestions import career_paths, training_suggestions
from service.dependencies import (
    AuditDep,
    EngineDep,
    LevelModelDep,
    SnapshotDep,
    TrainingModelDep,
)
from service.state import serving
from service.state.model_store import Loaded
from service.state.snapshot import NotFound, Snapshot
from service.web import charts
from service.web.rendering import (
    JudgementForm,
    judgement,
    message,
    page,
    page_language,
    require,
    serves_national,
)
from service.web.texts import texts

router = APIRouter(include_in_schema=False)


@router.get("/karier")
def my_career(
    request: Request,
    snapshot: SnapshotDep,
    model: TrainingModelDep,
    audit_log: AuditDep,
    ok: int = 0,
    ke: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """ "Karier Saya": an ASN's own position, competencies, trainings, JP and next steps; with
    ``ke`` (a post), the competencies against that post too and the dated routes to it."""
    account = require(request)
    if isinstance(account, Response):
        return account
    if account.role != "asn" or account.employee_id is None:
        return message(request, "forbidden", 403, account)
    return _career(request, account, snapshot, model, audit_log, notice_ok=bool(ok), target=ke)


@router.get("/karier/unduh")
def my_data(
    request: Request,
    snapshot: SnapshotDep,
    engine: EngineDep,
    audit_log: AuditDep,
    model: LevelModelDep,
    fmt: Annotated[personal_export.Format, Query(alias="format")] = "json",
) -> Response:
    """Everything Jenjang holds on the signed-in person, as JSON or a zip of CSV files
    (`service.access.personal_export`; recorded in the audit log)."""
    account = require(request)
    if isinstance(account, Response):
        return account
    if account.employee_id is None:
        return message(request, "forbidden", 403, account)
    try:
        download = personal_export.export(
            account, engine, snapshot, model, audit_log, account.employee_id, fmt
        )
    except NotFound:
        return message(request, "not_found", 404, account)
    disposition = f'attachment; filename="{download.filename}"'
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"Content-Disposition": disposition},
    )


@router.post("/karier/tanggapan")
def career_feedback(
    request: Request,
    snapshot: SnapshotDep,
    model: TrainingModelDep,
    audit_log: AuditDep,
    engine: EngineDep,
    form: Annotated[JudgementForm, Form()],
) -> Response:
    """ "Interested" or "not relevant" (with a reason) on one recommended training."""
    return judgement(
        request,
        snapshot,
        engine,
        form,
        may_judge=lambda account: account.role == "asn",
        again=lambda account, error: _career(
            request, account, snapshot, model, audit_log, error=error, status_code=422
        ),
        done="/karier?ok=1",
    )


def _career(
    request: Request,
    account: Account,
    snapshot: Snapshot,
    model: Loaded,
    audit_log: AuditLog,
    notice_ok: bool = False,
    error: str | None = None,
    status_code: int = 200,
    target: str | None = None,
) -> Response:
    me = str(account.employee_id)
    t = texts(page_language(request))
    try:
        context = _profile_context(request, account, snapshot, model, audit_log, me, target)
    except NotFound:
        if target is None:
            return _not_in_province(request, account)
        # a post that does not exist (an old or mistyped link): the page, and a word about it
        try:
            context = _profile_context(request, account, snapshot, model, audit_log, me, None)
        except NotFound:
            return _not_in_province(request, account)
        error = error or t["unknown_target"]
    return page(
        request,
        "career.html",
        status_code,
        account=account,
        trainings=training_suggestions(account, snapshot, model, audit_log, me, 10, []),
        notice=t["thanks"] if notice_ok else None,
        error=error,
        **context,
    )


@router.get("/pegawai/{employee_id}")
def person(
    employee_id: Annotated[str, Path(max_length=40)],
    request: Request,
    snapshot: SnapshotDep,
    audit_log: AuditDep,
    model: LevelModelDep,
    ke: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """One person's profile and career steps, for those who may see them (a planner of their
    agency, a granted analyst, an admin). An ASN's own is "Karier Saya"; anyone else's reads
    as missing, as in the API."""
    account = require(request)
    if isinstance(account, Response):
        return account
    if account.role == "asn" and employee_id == account.employee_id:
        return RedirectResponse(
            "/karier" + (f"?ke={quote(ke)}" if ke else ""), status.HTTP_303_SEE_OTHER
        )
    try:
        check_employee(account, snapshot, employee_id)
        context = _profile_context(request, account, snapshot, model, audit_log, employee_id, ke)
    except NotFound:
        return message(request, "not_found", 404, account)
    except HTTPException:
        return message(request, "forbidden", 403, account)
    return page(request, "person.html", 200, account=account, **context)


def _not_in_province(request: Request, account: Account) -> Response:
    """An ASN absent from the province's data on the served date: in a national deployment
    their answers are on the national pages; elsewhere there is nothing to show."""
    if serves_national(request):
        return RedirectResponse("/nasional", status.HTTP_303_SEE_OTHER)
    return message(request, "not_found", 404, account)


def _profile_context(
    request: Request,
    account: Account,
    snapshot: Snapshot,
    model: Loaded | None,
    audit_log: AuditLog,
    employee_id: str,
    target: str | None,
) -> dict[str, object]:
    """What a profile shows: facts, the competency chart against the post and the post in
    view (`target`, or the best next step), JP, next steps and, with a target, routes to it.
    Every level on it is the person's one current level (`serving.levels`: the training
    recommender's estimate, which its reasons quote)."""
    levels = serving.levels(model, snapshot, employee_id)
    profile = snapshot.profile(employee_id, levels.values) | {
        "data_snapshot": snapshot.snapshot_id,
        "as_of": snapshot.as_of.date(),
    }
    paths = career_paths(account, snapshot, audit_log, employee_id, None, 5, model)
    routes = (
        career_paths(account, snapshot, audit_log, employee_id, target, 5, model)
        if target
        else None
    )
    language = page_language(request)
    t = texts(language)
    development = profile["development"]
    aim = target or (paths.next_steps[0].position_id if paths.next_steps else None)
    aim_title = str(snapshot.position(aim)["title"]) if aim else ""
    rows, standard = _chart_rows(
        snapshot,
        employee_id,
        profile["competencies"],  # type: ignore[arg-type]
        aim,
        levels.values,
    )
    rows = [r | {"name": r[f"name_{language}"]} for r in rows]
    return {
        "profile": profile,
        "chart": charts.competency_bars(rows, t, standard, aim_title, language),
        "aim": aim,
        "aim_title": aim_title,
        "jp_bar": charts.progress(
            float(development["jp_this_year"]),  # type: ignore[index]
            float(development["jp_right_per_year"]),  # type: ignore[index]
        ),
        "paths": paths,
        "routes": routes,
        "titles": {pid: str(snapshot.position(pid)["title"]) for pid in _route_posts(routes)},
    }


def _chart_rows(
    snapshot: Snapshot,
    employee_id: str,
    mine: list[dict[str, object]],
    position_id: str | None,
    levels: np.ndarray,
) -> tuple[list[dict[str, object]], dict[str, float] | None]:
    """The chart's rows (my post's competencies, then those only the post in view asks for,
    with no requirement of mine) and the post in view's required levels (None without one);
    `levels`: the person's current ones, those of `mine`."""
    if position_id is None:
        return mine, None
    theirs = snapshot.competencies(snapshot.row(employee_id), position_id, levels)
    known = {r["competency_code"] for r in mine}
    extra = [r | {"required_level": 0} for r in theirs if r["competency_code"] not in known]
    standard = {str(r["competency_code"]): float(r["required_level"]) for r in theirs}  # type: ignore[arg-type]
    return mine + extra, standard


def _route_posts(answer: CareerPathAnswer | None) -> set[str]:
    if answer is None:
        return set()
    return {step.position_id for route in answer.routes for step in route}
