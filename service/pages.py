"""The web pages: rendered on the server (Jinja2), in Bahasa Indonesia by default, every asset
served locally.

Signing in sets the same signed token the API uses, in an HttpOnly, SameSite=Lax cookie (Secure
in production), so pages and API share one notion of who is asking and what they may see. Every
suggestion on a page comes from `service.suggestions`: audited and versioned like the API's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from features import reference
from service import charts
from service.accounts import Account, authenticate
from service.dependencies import (
    AuditDep,
    EngineDep,
    PlacementModelDep,
    SnapshotDep,
    TrainingModelDep,
)
from service.schemas import FeedbackIn
from service.scopes import check_agency, individual_agencies
from service.security import issue_token, read_token
from service.serving import BadRequest
from service.snapshot import NotFound, Snapshot
from service.suggestions import (
    candidate_suggestions,
    career_paths,
    judge,
    succession_pool,
    training_suggestions,
)
from service.texts import LANGUAGES, texts

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SESSION, LANGUAGE = "jenjang_sesi", "bahasa"
FEEDBACK = TypeAdapter(FeedbackIn)


class JudgementForm(BaseModel):
    """The fields of a page's feedback form (checked as API feedback by `_stored`)."""

    suggestion_id: str = Field(max_length=32)
    item_id: str = Field(max_length=60)
    decision: str = Field(max_length=20)
    reason: str = Field(default="", max_length=1000)


def _stored(account: Account, snapshot: Snapshot, engine: sa.Engine, form: JudgementForm) -> bool:
    """Store a page's judgement through the API's rules; False when they refuse it (a refusal
    without a reason, or a suggestion that is not the caller's)."""
    fields = form.model_dump(exclude={"reason"})
    try:
        body = FEEDBACK.validate_python(
            fields | ({"reason": form.reason} if form.reason.strip() else {})
        )
        judge(account, snapshot, engine, body)
    except (ValidationError, NotFound):
        return False
    return True


def _language(request: Request) -> str:
    return request.cookies.get(LANGUAGE, "id")


def _signed_in(request: Request) -> Account | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        return read_token(token, request.app.state.settings)
    except HTTPException:  # expired or not valid: sign in again
        return None


def _page(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    language = _language(request)
    return templates.TemplateResponse(
        request,
        name,
        {"lang": language, "t": texts(language), **context},
        status_code=status_code,
    )


def _message(request: Request, key: str, status_code: int, account: Account | None) -> Response:
    text = texts(_language(request))[key]
    return _page(request, "message.html", status_code, message=text, kind="error", account=account)


@router.get("/")
def home(request: Request) -> Response:
    account = _signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if account.role == "asn":
        return RedirectResponse("/karier", status.HTTP_303_SEE_OTHER)
    if individual_agencies(account) != ():
        return RedirectResponse("/posisi", status.HTTP_303_SEE_OTHER)
    message = texts(_language(request))["no_page_yet"]
    return _page(request, "message.html", message=message, account=account)


@router.get("/masuk")
def login_form(request: Request) -> Response:
    return _page(request, "login.html")


@router.post("/masuk")
def login(
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    account = authenticate(engine, username, password)
    if account is None:
        error = texts(_language(request))["wrong_login"]
        return _page(request, "login.html", 401, error=error, username=username)
    settings = request.app.state.settings
    answer = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    answer.set_cookie(
        SESSION,
        issue_token(account, settings),
        max_age=settings.token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
    )
    return answer


@router.post("/keluar")
def logout() -> Response:
    answer = RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    answer.delete_cookie(SESSION)
    return answer


@router.get("/bahasa/{language}")
def switch_language(language: str, request: Request) -> Response:
    """Set the page language and go back to the page the switch was on."""
    if language not in LANGUAGES:
        return _message(request, "not_found", 404, _signed_in(request))
    back = urlsplit(request.headers.get("referer", ""))
    path = back.path if back.netloc == request.url.netloc else "/"  # our own pages only
    if not path.startswith("/") or path.startswith(("//", "/bahasa/")):
        path = "/"
    answer = RedirectResponse(path, status.HTTP_303_SEE_OTHER)
    answer.set_cookie(LANGUAGE, language, max_age=365 * 24 * 3600, samesite="lax")
    return answer


@router.get("/karier")
def my_career(
    request: Request,
    snapshot: SnapshotDep,
    model: TrainingModelDep,
    audit_log: AuditDep,
    ok: int = 0,
) -> Response:
    """ "Karier Saya": an ASN's own position, competencies, trainings, JP and next steps."""
    account = _signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if account.role != "asn" or account.employee_id is None:
        return _message(request, "forbidden", 403, account)
    return _career(request, account, snapshot, model, audit_log, notice_ok=bool(ok))


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
    account = _signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if account.role != "asn":
        return _message(request, "forbidden", 403, account)
    if not _stored(account, snapshot, engine, form):
        error = texts(_language(request))["reason"]
        return _career(request, account, snapshot, model, audit_log, error=error, status_code=422)
    return RedirectResponse("/karier?ok=1", status.HTTP_303_SEE_OTHER)


def _career(
    request: Request,
    account: Account,
    snapshot: SnapshotDep,
    model: TrainingModelDep,
    audit_log: AuditDep,
    notice_ok: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    me = str(account.employee_id)
    try:
        profile = snapshot.profile(me) | {
            "data_snapshot": snapshot.snapshot_id,
            "as_of": snapshot.as_of.date(),
        }
    except NotFound:
        return _message(request, "not_found", 404, account)
    language = _language(request)
    t = texts(language)
    rows = [c | {"name": c[f"name_{language}"]} for c in profile["competencies"]]  # type: ignore[attr-defined]
    development = profile["development"]
    return _page(
        request,
        "career.html",
        status_code,
        account=account,
        profile=profile,
        chart=charts.competency_bars(rows, t["required"], t["level"]),
        jp_bar=charts.progress(
            float(development["jp_this_year"]),  # type: ignore[index]
            float(development["jp_right_per_year"]),  # type: ignore[index]
        ),
        trainings=training_suggestions(account, snapshot, model, audit_log, me, 10, []),
        paths=career_paths(account, snapshot, audit_log, me, None, 5),
        notice=t["thanks"] if notice_ok else None,
        error=error,
    )


#: Posts listed on one page.
POSTS_SHOWN = 200


@router.get("/posisi")
def posts(request: Request, snapshot: SnapshotDep, lowong: int = 0) -> Response:
    """Positions in the planner's scope (vacant only when asked); structural posts link to
    their candidates."""
    account = _signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    scope = individual_agencies(account)
    if scope == ():
        return _message(request, "forbidden", 403, account)
    table = snapshot.positions
    if scope is not None:
        table = table[table["agency_id"].isin(scope)]
    if lowong:
        table = table[table["open_seats"] > 0]
    table = table.sort_values(["rankable", "open_seats"], ascending=False)
    shown = table.head(POSTS_SHOWN).to_dict("records")
    return _page(
        request, "posts.html", account=account, posts=shown, shown=len(shown), total=len(table)
    )


@router.get("/posisi/{position_id}")
def post_candidates(
    position_id: str,
    request: Request,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    ok: int = 0,
) -> Response:
    """A post's ranked candidates with eligibility, fit per competency and reasons."""
    account = _signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    return _candidates(request, account, snapshot, model, audit_log, position_id, ok=bool(ok))


@router.post("/posisi/{position_id}/tanggapan")
def candidate_feedback(
    position_id: str,
    request: Request,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    engine: EngineDep,
    form: Annotated[JudgementForm, Form()],
) -> Response:
    """Accept, or reject with a reason, one proposed candidate."""
    account = _signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if not _stored(account, snapshot, engine, form):
        error = texts(_language(request))["reject_reason"]
        return _candidates(
            request, account, snapshot, model, audit_log, position_id, error=error, status_code=422
        )
    return RedirectResponse(f"/posisi/{position_id}?ok=1", status.HTTP_303_SEE_OTHER)


def _candidates(
    request: Request,
    account: Account,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    position_id: str,
    ok: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        answer = candidate_suggestions(
            account, snapshot, model, audit_log, position_id, 10, False, None
        )
    except NotFound:
        return _message(request, "not_found", 404, account)
    except HTTPException:
        return _message(request, "forbidden", 403, account)
    except BadRequest:
        return _message(request, "not_rankable", 422, account)
    t = texts(_language(request))
    return _page(
        request,
        "candidates.html",
        status_code,
        account=account,
        post=snapshot.position(position_id),
        answer=answer,
        notice=t["thanks"] if ok else None,
        error=error,
    )


@router.get("/instansi/{agency_id}")
def agency(
    agency_id: str, request: Request, snapshot: SnapshotDep, audit_log: AuditDep
) -> Response:
    """An agency's 9-box distribution (planners of it, analysts, admins) and, for those who may
    see people, its succession pool for administrator posts."""
    account = _signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    try:
        check_agency(account, snapshot, agency_id, individuals=False)
    except NotFound:
        return _message(request, "not_found", 404, account)
    except HTTPException:
        return _message(request, "forbidden", 403, account)
    try:
        pool = succession_pool(account, snapshot, audit_log, agency_id, "administrator")
    except (NotFound, HTTPException):
        pool = None  # aggregates only for this caller
    t = texts(_language(request))
    counts = snapshot.talent_distribution(agency_id)
    return _page(
        request,
        "agency.html",
        account=account,
        agency=snapshot.agencies.loc[agency_id],
        boxes=counts,
        chart=charts.nine_box(counts, _box_places(), (t["performance"], t["potential"])),
        pool=pool,
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
    )


@cache
def _box_places() -> dict[int, tuple[str, str]]:
    table = reference.load("talent_boxes")
    return {
        int(box): (str(performance), str(potential))
        for box, performance, potential in zip(
            table["box"], table["performance_tier"], table["potential_tier"], strict=True
        )
    }
