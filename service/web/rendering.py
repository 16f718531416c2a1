"""What every page shares: who is signed in, the page language, rendering a page or a message,
storing a judgement from a form, and the HTML error pages.

Signing in sets the same signed token the API uses, in an HttpOnly, SameSite=Lax cookie (Secure
in production), so pages and API share one notion of who is asking and what they may see. Every
suggestion on a page comes from `service.api.suggestions`: audited and versioned like the API's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from pathlib import Path

import sqlalchemy as sa
from fastapi import HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.access.accounts import Account
from service.api.schemas import FeedbackIn
from service.api.suggestions import judge
from service.errors import is_page, validation_problem
from service.state.model_store import ModelUnavailable
from service.state.serving import BadRequest
from service.state.snapshot import NotFound, Snapshot
from service.web import labels
from service.web.texts import DEFAULT, LANGUAGES, texts

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _in_language(format_: Callable[..., str]) -> Callable[..., str]:
    """A filter that formats in the rendered page's language (its context's `lang`)."""

    @pass_context
    def apply(context: Context, value: object, *args: object) -> str:
        return format_(value, *args, language=context.get("lang", DEFAULT))

    return apply


#: Codes as words and numbers and dates in the page's language (`service.web.labels`):
#: ``{{ item.kind | code('course_kind') }}``, ``{{ key | metric }}``, ``{{ x | decimal(2) }}``.
templates.env.filters.update(
    code=_in_language(
        lambda value, vocabulary, language: labels.label(value, vocabulary, language)
    ),
    metric=_in_language(labels.metric_label),
    decimal=_in_language(
        lambda value, digits=1, language=DEFAULT: labels.decimal(value, language, int(digits))
    ),
    signed=_in_language(
        lambda value, digits=1, language=DEFAULT: labels.signed(value, language, int(digits))
    ),
    metric_value=_in_language(labels.metric_value),
    date=_in_language(labels.date),
    moment=_in_language(labels.moment),
)
templates.env.tests["failing"] = labels.fails_threshold

SESSION, LANGUAGE = "jenjang_sesi", "bahasa"
FEEDBACK = TypeAdapter(FeedbackIn)


class JudgementForm(BaseModel):
    """The fields of a page's feedback form (checked as API feedback by `stored`)."""

    suggestion_id: str = Field(max_length=32)
    item_id: str = Field(max_length=60)
    decision: str = Field(max_length=20)
    reason: str = Field(default="", max_length=1000)


def stored(
    account: Account, snapshot: Snapshot, engine: sa.Engine, form: JudgementForm
) -> str | None:
    """Store a page's judgement through the API's rules. None when stored; otherwise the key of
    the text that says why not: "reason" (a refusal needs one), "wrong_decision" (an answer that
    does not fit the kind of suggestion) or "stale_suggestion" (not, or no longer, the caller's)."""
    fields = form.model_dump(exclude={"reason"})
    try:
        body = FEEDBACK.validate_python(
            fields | ({"reason": form.reason} if form.reason.strip() else {})
        )
    except ValidationError as error:
        refused = {str(problem["loc"][-1]) for problem in error.errors()}
        return "reason" if "reason" in refused else "wrong_decision"
    try:
        judge(account, snapshot, engine, body)
    except NotFound:
        return "stale_suggestion"
    except BadRequest:
        return "wrong_decision"
    return None


def judgement(
    request: Request,
    snapshot: Snapshot,
    engine: sa.Engine,
    form: JudgementForm,
    may_judge: Callable[[Account], bool],
    again: Callable[[Account, str], Response],
    done: str,
    reason_text: str = "reason",
) -> Response:
    """A page's judgement form (interested, not relevant, accept, reject): who may judge, the
    judgement stored through the API's rules, then back to `done`, or the page `again` with
    what was refused (`reason_text` names the text asking for a reason)."""
    account = require(request)
    if isinstance(account, Response):
        return account
    if not may_judge(account):
        return message(request, "forbidden", 403, account)
    refused = stored(account, snapshot, engine, form)
    if refused is None:
        return RedirectResponse(done, status.HTTP_303_SEE_OTHER)
    return again(
        account, texts(page_language(request))[reason_text if refused == "reason" else refused]
    )


def page_language(request: Request) -> str:
    """The language of the pages: the switch's cookie when it names one, else Indonesian."""
    chosen = request.cookies.get(LANGUAGE, DEFAULT)
    return chosen if chosen in LANGUAGES else DEFAULT


def signed_in(request: Request) -> Account | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:  # checked against the database: a revoked token is nobody from its next request
        return request.app.state.tokens.current(  # type: ignore[no-any-return]
            token, request.app.state.engine
        )
    except HTTPException:  # expired, not valid or revoked: sign in again
        return None


def require(request: Request, roles: Collection[str] | None = None) -> Account | Response:
    """The signed-in account, or the answer to give instead: the sign-in page for nobody, a 403
    page for a role not in `roles` (any role when None)."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if roles is not None and account.role not in roles:
        return message(request, "forbidden", 403, account)
    return account


def serves_national(request: Request) -> bool:
    """Whether this deployment serves the national batch output (its menu, its pages)."""
    national = getattr(request.app.state, "national", None)
    return national is not None and (national.answers or national.index) is not None


def page(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    language = page_language(request)
    shared = {
        "lang": language,
        "t": texts(language),
        "serves_national": serves_national(request),
        "data_date": data_date(request),
    }
    return templates.TemplateResponse(request, name, shared | context, status_code=status_code)


def data_date(request: Request) -> dt.date | None:
    """The date every answer of the pages holds for (the data's extraction date unless the
    service's date is pinned), said on every page; None before the service holds data."""
    models = getattr(request.app.state, "models", None)
    try:
        return models.current().snapshot.as_of.date() if models is not None else None
    except ModelUnavailable:
        return None


def message(request: Request, key: str, status_code: int, account: Account | None) -> Response:
    text = texts(page_language(request))[key]
    return page(request, "message.html", status_code, message=text, kind="error", account=account)


#: The text of an error page by status.
ERROR_TEXTS = {404: "not_found", 405: "wrong_method", 409: "busy", 503: "unavailable"}


def error_message(request: Request, code: int, reference: str) -> Response:
    """An error as a page: what happened in the page's language (and the reference the service
    log carries, for a 500)."""
    t = texts(page_language(request))
    text = t[ERROR_TEXTS.get(code, "internal_error")]
    if reference:
        text = f"{text}: {reference}"
    try:  # the account is read from the database, which may be what failed
        account = signed_in(request)
    except sa.exc.SQLAlchemyError:
        account = None
    return page(request, "message.html", code, message=text, kind="error", account=account)


async def invalid_form_page(request: Request, error: Exception) -> Response:
    """Input a page's form or address refuses (too long, wrong pattern) is an HTML page that
    names the fields; API paths keep FastAPI's JSON answer."""
    assert isinstance(error, RequestValidationError)
    if not is_page(request):
        return validation_problem(error)
    fields = ", ".join(str(e["loc"][-1]) for e in error.errors())
    text = f"{texts(page_language(request))['invalid_input']}: {fields}"
    account = signed_in(request)
    return page(request, "message.html", 422, message=text, kind="error", account=account)


async def error_page(request: Request, error: Exception) -> Response:
    """An unknown address (or a method a page does not take) on a page path is an HTML page
    with the status and a way home; API paths keep FastAPI's JSON answer."""
    assert isinstance(error, StarletteHTTPException)
    if not is_page(request) or error.status_code not in (404, 405):
        return await http_exception_handler(request, error)
    return error_message(request, error.status_code, "")
