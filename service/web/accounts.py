"""The admin's account pages: every account with its role, scope, status, lock and last
sign-in; one account's page to disable or enable it, give it a new password or another scope,
with its recent history (sign-ins, sign-outs, changes).

The same rules as ``jenjang users …`` (`service.access.account_admin`): a change is checked,
written with its audit row in one transaction, and ends the account's sessions on their next
request where it must. Admins only (403 for anyone else). An admin may not disable their own
account here (nobody would be left to enable it from the page). Like every form of the pages,
these are protected from other sites by the session cookie's SameSite=Lax and the pages'
``form-action 'self'`` policy.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from service.access import account_admin
from service.access.account_admin import AccountView
from service.access.accounts import MAX_PASSWORD_LENGTH, Account, AccountRefused
from service.access.audit import account_history
from service.dependencies import EngineDep
from service.web.rendering import message, page, page_language, require
from service.web.texts import texts

router = APIRouter(include_in_schema=False)

ADMIN = ("admin",)
#: A username in an address (`service.access.accounts.USERNAME` allows at most 64).
Username = Annotated[str, Path(max_length=64)]
#: What ``?ok=`` on an account's page announces after a change.
DONE = {
    "disabled": "done_disabled",
    "enabled": "done_enabled",
    "password": "done_password_reset",
    "scope": "done_scope_changed",
}
#: Agencies named in a scope before it is summed up as a count.
NAMED_AGENCIES = 3
#: Rows of an account's history shown.
HISTORY = 20


class PasswordForm(BaseModel):
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    repeat: str = Field(max_length=MAX_PASSWORD_LENGTH)


@router.get("/akun")
def account_list(request: Request, engine: EngineDep) -> Response:
    """Every account: role, scope, active or disabled, locked until, last sign-in."""
    admin = require(request, ADMIN)
    if isinstance(admin, Response):
        return admin
    names = _agency_names(engine)
    language = page_language(request)
    shown = [
        (one, _scope_words(one, names, language)) for one in account_admin.list_accounts(engine)
    ]
    return page(request, "accounts.html", account=admin, accounts=shown)


@router.get("/akun/{username}")
def account_page(request: Request, engine: EngineDep, username: Username, ok: str = "") -> Response:
    """One account, its forms and its recent history."""
    admin = require(request, ADMIN)
    if isinstance(admin, Response):
        return admin
    notice = texts(page_language(request))[DONE[ok]] if ok in DONE else None
    return _account_page(request, admin, engine, username, notice=notice)


@router.post("/akun/{username}/nonaktifkan")
def disable(request: Request, engine: EngineDep, username: Username) -> Response:
    """Disable the account: its sign-ins and every session it holds are refused at once."""
    admin = require(request, ADMIN)
    if isinstance(admin, Response):
        return admin
    if username == admin.username:
        error = texts(page_language(request))["not_yourself"]
        return _account_page(request, admin, engine, username, error=error, status_code=422)
    return _change(request, admin, engine, username, "disabled", account_admin.disable)


@router.post("/akun/{username}/aktifkan")
def enable(request: Request, engine: EngineDep, username: Username) -> Response:
    """Let the account sign in again (its lock, if any, is lifted)."""
    admin = require(request, ADMIN)
    if isinstance(admin, Response):
        return admin
    return _change(request, admin, engine, username, "enabled", account_admin.enable)


@router.post("/akun/{username}/kata-sandi")
def reset_password(
    request: Request,
    engine: EngineDep,
    username: Username,
    form: Annotated[PasswordForm, Form()],
) -> Response:
    """Give the account a new password (typed twice): every session it holds ends."""
    admin = require(request, ADMIN)
    if isinstance(admin, Response):
        return admin
    if form.password != form.repeat:
        error = texts(page_language(request))["passwords_differ"]
        return _account_page(request, admin, engine, username, error=error, status_code=422)

    def replace(engine: sa.Engine, name: str, actor: str, address: str | None) -> None:
        account_admin.reset_password(engine, name, form.password, actor, address)

    return _change(request, admin, engine, username, "password", replace)


@router.post("/akun/{username}/cakupan")
def set_scope(
    request: Request,
    engine: EngineDep,
    username: Username,
    employee_id: Annotated[str, Form(max_length=40)] = "",
    agency: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Bind an ASN to another record, or give a planner or analyst other agencies; the
    account signs in again with its new scope."""
    admin = require(request, ADMIN)
    if isinstance(admin, Response):
        return admin
    chosen = tuple(a for a in agency or () if a)

    def rescope(engine: sa.Engine, name: str, actor: str, address: str | None) -> None:
        account_admin.set_scope(engine, name, employee_id.strip() or None, chosen, actor, address)

    return _change(request, admin, engine, username, "scope", rescope)


def _change(
    request: Request, admin: Account, engine: sa.Engine, username: str, done: str, change: Any
) -> Response:
    """Make `change` as `admin`, then back to the account's page saying so; a refused change
    is the page again with why (422), an unknown account a 404."""
    address = request.client.host if request.client else None
    try:
        change(engine, username, admin.username, address)
    except AccountRefused as refused:
        if refused.key == "no_account":
            return message(request, "not_found", 404, admin)
        error = texts(page_language(request))[f"refused_{refused.key}"].format(**refused.values)
        return _account_page(request, admin, engine, username, error=error, status_code=422)
    where = f"/akun/{quote(username, safe='')}?ok={done}"
    return RedirectResponse(where, status.HTTP_303_SEE_OTHER)


def _account_page(
    request: Request,
    admin: Account,
    engine: sa.Engine,
    username: str,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        shown = account_admin.find_account(engine, username)
    except AccountRefused:
        return message(request, "not_found", 404, admin)
    agencies = _agencies(engine)
    names = {a["agency_id"]: a["name"] for a in agencies}
    return page(
        request,
        "account.html",
        status_code,
        account=admin,
        shown=shown,
        scope=_scope_words(shown, names, page_language(request)),
        agencies=agencies,
        history=account_history(engine, username, HISTORY),
        notice=notice,
        error=error,
    )


def _scope_words(shown: AccountView, names: dict[str, str], language: str) -> str:
    """The scope as a reader says it: the ASN's record, a few agencies by name, a count of
    many, aggregates only or all."""
    t = texts(language)
    if shown.employee_id:
        return shown.employee_id
    if not shown.agencies:
        return t["aggregates_only"] if shown.role == "analyst" else t["scope_all"]
    if len(shown.agencies) > NAMED_AGENCIES:
        return t["n_agencies"].format(n=len(shown.agencies))
    return ", ".join(names.get(a, a) for a in shown.agencies)


def _agencies(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every agency (id, name, region), by region and name: the scope form's choices."""
    query = sa.text("SELECT agency_id, name, region FROM agencies ORDER BY region, name")
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def _agency_names(engine: sa.Engine) -> dict[str, str]:
    return {a["agency_id"]: a["name"] for a in _agencies(engine)}
