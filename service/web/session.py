"""Signing in and out, the language switch, and the start page of each role."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from service.access.accounts import authenticate
from service.access.security import issue_token
from service.dependencies import EngineDep
from service.web.rendering import (
    LANGUAGE,
    SESSION,
    message,
    page,
    page_language,
    require,
    signed_in,
)
from service.web.texts import LANGUAGES, texts

router = APIRouter(include_in_schema=False)

#: Where each role starts.
START = {"asn": "/karier", "hr_planner": "/posisi", "analyst": "/model", "admin": "/instansi"}


@router.get("/")
def home(request: Request) -> Response:
    account = require(request)
    if isinstance(account, Response):
        return account
    return RedirectResponse(START[account.role], status.HTTP_303_SEE_OTHER)


@router.get("/masuk")
def login_form(request: Request) -> Response:
    return page(request, "login.html")


@router.post("/masuk")
def login(
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    account = authenticate(engine, username, password)
    if account is None:
        error = texts(page_language(request))["wrong_login"]
        return page(request, "login.html", 401, error=error, username=username)
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
        return message(request, "not_found", 404, signed_in(request))
    back = urlsplit(request.headers.get("referer", ""))
    path = back.path if back.netloc == request.url.netloc else "/"  # our own pages only
    if not path.startswith("/") or path.startswith(("//", "/bahasa/")):
        path = "/"
    query = f"?{back.query}" if back.query and path != "/" else ""  # e.g. the post in view
    answer = RedirectResponse(path + query, status.HTTP_303_SEE_OTHER)
    answer.set_cookie(LANGUAGE, language, max_age=365 * 24 * 3600, samesite="lax")
    return answer
