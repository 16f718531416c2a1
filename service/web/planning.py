"""The HR planner's pages: posts in scope, a post's ranked candidates with accept/reject, and
a placement plan for several posts. Analysts granted agencies and admins may use them too."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from service.access.accounts import Account
from service.access.audit import AuditLog
from service.access.scopes import individual_agencies
from service.api.schemas import PLAN_MOST
from service.api.suggestions import candidate_suggestions, placement_plan
from service.dependencies import AuditDep, EngineDep, PlacementModelDep, SnapshotDep
from service.state.model_store import Loaded
from service.state.serving import BadRequest
from service.state.snapshot import NotFound, Snapshot
from service.web.rendering import JudgementForm, judgement, message, page, page_language, require
from service.web.texts import texts

router = APIRouter(include_in_schema=False)

#: Posts listed on one page.
POSTS_SHOWN = 200


@router.get("/posisi")
def posts(
    request: Request,
    snapshot: SnapshotDep,
    lowong: int = 0,
    halaman: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Positions in the planner's scope (vacant only when asked), a page of `POSTS_SHOWN` at a
    time; structural posts link to their candidates."""
    account = require(request)
    if isinstance(account, Response):
        return account
    scope = individual_agencies(account)
    if scope == ():
        return message(request, "forbidden", 403, account)
    table = snapshot.positions
    if scope is not None:
        table = table[table["agency_id"].isin(scope)]
    if lowong:
        table = table[table["open_seats"] > 0]
    table = table.sort_values(["rankable", "open_seats"], ascending=False)
    first = (halaman - 1) * POSTS_SHOWN
    shown = table.iloc[first : first + POSTS_SHOWN].to_dict("records")
    return page(
        request,
        "posts.html",
        account=account,
        posts=shown,
        first=first + 1,
        last=first + len(shown),
        total=len(table),
        page_number=halaman,
        vacant_only=bool(lowong),
        more=first + POSTS_SHOWN < len(table),
    )


@router.get("/posisi/{position_id}")
def post_candidates(
    position_id: str,
    request: Request,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    engine: EngineDep,
    ok: int = 0,
) -> Response:
    """A post's ranked candidates with who they are, eligibility, fit per competency and
    reasons."""
    account = require(request)
    if isinstance(account, Response):
        return account
    return _candidates(
        request, account, snapshot, model, audit_log, engine, position_id, ok=bool(ok)
    )


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
    return judgement(
        request,
        snapshot,
        engine,
        form,
        # not an ASN, nor an analyst without a grant
        may_judge=lambda account: individual_agencies(account) != (),
        again=lambda account, error: _candidates(
            request,
            account,
            snapshot,
            model,
            audit_log,
            engine,
            position_id,
            error=error,
            status_code=422,
        ),
        done=f"/posisi/{position_id}?ok=1",
        reason_text="reject_reason",
    )


def _candidates(
    request: Request,
    account: Account,
    snapshot: Snapshot,
    model: Loaded,
    audit_log: AuditLog,
    engine: sa.Engine,
    position_id: str,
    ok: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        answer = candidate_suggestions(
            account, snapshot, model, audit_log, engine, position_id, 10, False, None
        )
    except NotFound:
        return message(request, "not_found", 404, account)
    except HTTPException:
        return message(request, "forbidden", 403, account)
    except BadRequest:
        return message(request, "not_rankable", 422, account)
    t = texts(page_language(request))
    return page(
        request,
        "candidates.html",
        status_code,
        account=account,
        post=snapshot.position(position_id),
        answer=answer,
        ratings={c.employee_id: snapshot.recent_ratings(c.employee_id) for c in answer.items},
        calibration=model.calibration,  # what the chance of success means (_chance_note.html)
        notice=t["thanks"] if ok else None,
        error=error,
    )


#: Posts offered on the plan form; the most one plan may take is the API's.
PLAN_OFFERED = 100


@router.get("/rencana")
def plan_form(request: Request, snapshot: SnapshotDep) -> Response:
    """Choose several vacancies in scope to fill together."""
    account = require(request)
    if isinstance(account, Response):
        return account
    vacancies = _plannable_posts(account, snapshot)
    if vacancies is None:
        return message(request, "forbidden", 403, account)
    return page(request, "plan.html", account=account, vacancies=vacancies, plan=None)


@router.post("/rencana")
def plan(
    request: Request,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    engine: EngineDep,
    position_ids: Annotated[list[str], Form(max_length=PLAN_MOST)] = [],  # noqa: B006
) -> Response:
    """One placement plan for the chosen vacancies, beside filling them one by one."""
    account = require(request)
    if isinstance(account, Response):
        return account
    vacancies = _plannable_posts(account, snapshot)
    if vacancies is None:
        return message(request, "forbidden", 403, account)
    t = texts(page_language(request))

    def refused(error: str) -> Response:  # the form again, saying why
        return page(request, "plan.html", 422, account=account, vacancies=vacancies, error=error)

    if not position_ids:
        return refused(t["choose_vacancies"])
    try:
        answer = placement_plan(account, snapshot, model, audit_log, engine, position_ids)
    except NotFound:
        return message(request, "not_found", 404, account)
    except BadRequest as problem:
        return refused(f"{t['not_plannable']}: {problem}")
    titles = {pid: str(snapshot.position(pid)["title"]) for pid in position_ids}
    return page(
        request,
        "plan.html",
        account=account,
        vacancies=vacancies,
        plan=answer,
        titles=titles,
        chosen=set(position_ids),
        calibration=model.calibration,
    )


def _plannable_posts(account: Account, snapshot: Snapshot) -> list[dict[str, object]] | None:
    """Structural posts in the caller's scope, vacant ones first (None: the role has no
    scope). Occupied posts are offered too: a planner may plan a rotation or a successor."""
    scope = individual_agencies(account)
    if scope == ():
        return None
    table = snapshot.positions
    table = table[table["rankable"]]
    if scope is not None:
        table = table[table["agency_id"].isin(scope)]
    table = table.sort_values("open_seats", ascending=False, kind="stable")  # then by id
    return table.head(PLAN_OFFERED).to_dict("records")  # type: ignore[return-value]
