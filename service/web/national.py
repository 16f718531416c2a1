""" "Nasional": a national deployment's pages (`service.api.national`): a person's trainings and a
post's candidates across the country, from the batch jobs' output, with the API's scopes."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from service.access.accounts import Account
from service.api.national import national_candidates, national_trainings
from service.dependencies import AuditDep
from service.state.snapshot import NotFound
from service.web.rendering import message, page, require

router = APIRouter(include_in_schema=False)

SERVED_PAGES = {503: "national_unavailable", 404: "not_found", 403: "forbidden"}


@router.get("/nasional")
async def national_home(
    request: Request,
    pegawai: Annotated[str | None, Query(max_length=40)] = None,
    posisi: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The forms: a person's trainings, a post's candidates (an ASN goes to their own)."""
    account = require(request)
    if isinstance(account, Response):
        return account
    if pegawai or (account.role == "asn" and account.employee_id):
        person = quote(str(pegawai or account.employee_id), safe="")
        return RedirectResponse(f"/nasional/pegawai/{person}", 303)
    if posisi:
        return RedirectResponse(f"/nasional/posisi/{quote(posisi, safe='')}", 303)
    national = request.app.state.national
    if national.answers is None and national.index is None:
        return message(request, "national_unavailable", 404, account)
    return page(request, "national.html", account=account, national=national)


@router.get("/nasional/pegawai/{employee_id}")
async def national_person(
    employee_id: Annotated[str, Path(max_length=40)], request: Request, audit_log: AuditDep
) -> Response:
    """A person's recommended trainings from the country's answers of the day."""
    account = require(request)
    if isinstance(account, Response):
        return account
    national = request.app.state.national
    depth = national.answers.depth if national.answers is not None else 10
    answer = national_trainings(account, national, audit_log, employee_id, min(10, depth))
    return await _served(request, account, answer, "national_person.html", "trainings")


@router.get("/nasional/posisi/{position_id}")
async def national_post(
    position_id: Annotated[str, Path(max_length=40)], request: Request, audit_log: AuditDep
) -> Response:
    """A structural post's best eligible candidates across the country (a planner's: among
    their agencies)."""
    account = require(request)
    if isinstance(account, Response):
        return account
    answer = national_candidates(account, request.app.state.national, audit_log, position_id, 10)
    return await _served(request, account, answer, "national_candidates.html", "answer")


async def _served(
    request: Request, account: Account, answer: Awaitable[object], template: str, name: str
) -> Response:
    """The page of an API answer, or the page of its refusal: missing and out of scope read
    alike (404), a deployment without that output says so (503)."""
    try:
        served = await answer
    except NotFound:
        return message(request, "not_found", 404, account)
    except HTTPException as error:
        return message(
            request, SERVED_PAGES.get(error.status_code, "forbidden"), error.status_code, account
        )
    return page(request, template, 200, account=account, **{name: served})
