"""The web pages: rendered on the server (Jinja2), in Bahasa Indonesia by default, every asset
served locally.

Signing in sets the same signed token the API uses, in an HttpOnly, SameSite=Lax cookie (Secure
in production), so pages and API share one notion of who is asking and what they may see. Every
suggestion on a page comes from `service.suggestions`: audited and versioned like the API's.

"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import HTTPException, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.accounts import Account
from service.schemas import FeedbackIn
from service.security import read_token
from service.snapshot import NotFound, Snapshot
from service.suggestions import (
    judge,
)
from service.texts import texts

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
# a code as words: "sangat_baik" → "Sangat baik"
templates.env.filters["label"] = lambda code: str(code).replace("_", " ").capitalize()

SESSION, LANGUAGE = "jenjang_sesi", "bahasa"
FEEDBACK = TypeAdapter(FeedbackIn)


class JudgementForm(BaseModel):
    """The fields of a page's feedback form (checked as API feedback by `stored`)."""

    suggestion_id: str = Field(max_length=32)
    item_id: str = Field(max_length=60)
    decision: str = Field(max_length=20)
    reason: str = Field(default="", max_length=1000)


def stored(account: Account, snapshot: Snapshot, engine: sa.Engine, form: JudgementForm) -> bool:
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


def page_language(request: Request) -> str:
    return request.cookies.get(LANGUAGE, "id")


def signed_in(request: Request) -> Account | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        return read_token(token, request.app.state.settings)
    except HTTPException:  # expired or not valid: sign in again
        return None


def page(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    language = page_language(request)
    return templates.TemplateResponse(
        request,
        name,
        {"lang": language, "t": texts(language), **context},
        status_code=status_code,
    )


def message(request: Request, key: str, status_code: int, account: Account | None) -> Response:
    text = texts(page_language(request))[key]
    return page(request, "message.html", status_code, message=text, kind="error", account=account)


#: Paths whose errors stay JSON: the API and the machine endpoints.
NOT_PAGES = ("/api/", "/static/", "/health", "/ready", "/docs", "/redoc", "/openapi.json")


async def invalid_form_page(request: Request, error: Exception) -> Response:
    """Input a page's form or address refuses (too long, wrong pattern) is an HTML page that
    names the fields; API paths keep FastAPI's JSON answer."""
    assert isinstance(error, RequestValidationError)
    if request.url.path.startswith(NOT_PAGES):
        return await request_validation_exception_handler(request, error)
    fields = ", ".join(str(e["loc"][-1]) for e in error.errors())
    text = f"{texts(page_language(request))['invalid_input']}: {fields}"
    account = signed_in(request)
    return page(request, "message.html", 422, message=text, kind="error", account=account)


async def error_page(request: Request, error: Exception) -> Response:
    """An unknown address (or a method a page does not take) on a page path is an HTML page
    with the status and a way home; API paths keep FastAPI's JSON answer."""
    assert isinstance(error, StarletteHTTPException)
    if request.url.path.startswith(NOT_PAGES) or error.status_code not in (404, 405):
        return await http_exception_handler(request, error)
    key = "not_found" if error.status_code == 404 else "wrong_method"
    return message(request, key, error.status_code, signed_in(request))
