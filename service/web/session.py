"""Signing in and out, the language switch, and the start page of each role."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from service.access.revocation import revoke
from service.access.security import issue_token
from service.access.sign_in import SignInRefused, Throttled, throttled_sign_in
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
    """Sign in; a refusal says the same whatever its reason (wrong password, unknown name,
    disabled or locked account), except an address refused for too many failures (429)."""
    settings = request.app.state.settings
    t = texts(page_language(request))
    try:
        account = throttled_sign_in(
            engine, settings, username, password, _address(request), "pages"
        )
    except Throttled as throttled:
        refused = page(request, "login.html", 429, error=t["throttled_login"], username=username)
        refused.headers["Retry-After"] = str(throttled.retry_after)
        return refused
    except SignInRefused:
        hint = t["lockout_hint"].format(
            failures=settings.sign_in_account_failures,
            window=settings.sign_in_window_minutes,
            lockout=settings.sign_in_lockout_minutes,
        )
        error = f"{t['wrong_login']} {hint}"
        return page(request, "login.html", 401, error=error, username=username)
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
def logout(request: Request, engine: EngineDep) -> Response:
    """Sign out: the session's token is refused from now on (this session only: the account's
    other sessions and API tokens stay), and the cookie is deleted."""
    token = request.cookies.get(SESSION)
    if token:
        try:
            claims = request.app.state.tokens.claims(token)
        except HTTPException:  # expired or not valid: nothing left to end
            claims = None
        if claims is not None and claims.token_id is not None:
            username = claims.account.username
            revoke(engine, claims.token_id, username, claims.expires, _address(request))
    answer = RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    answer.delete_cookie(SESSION)
    return answer


def _address(request: Request) -> str:
    """The client's address (the proxy's, unless uvicorn is told to trust its headers)."""
    return request.client.host if request.client else "unknown"


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
