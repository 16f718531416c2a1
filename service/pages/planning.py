"""The HR planner's pages: posts in scope, a post's candidates, an agency's 9-box and
succession pool."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from features import reference
from service import charts
from service.accounts import Account
from service.dependencies import (
    AuditDep,
    EngineDep,
    PlacementModelDep,
    SnapshotDep,
)
from service.pages.common import (
    JudgementForm,
    message,
    page,
    page_language,
    signed_in,
    stored,
)
from service.scopes import check_agency, individual_agencies
from service.serving import BadRequest
from service.snapshot import NotFound, Snapshot
from service.suggestions import (
    candidate_suggestions,
    placement_plan,
    succession_pool,
)
from service.texts import texts

router = APIRouter(include_in_schema=False)

#: Posts listed on one page.
POSTS_SHOWN = 200


@router.get("/posisi")
def posts(request: Request, snapshot: SnapshotDep, lowong: int = 0) -> Response:
    """Positions in the planner's scope (vacant only when asked); structural posts link to
    their candidates."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    scope = individual_agencies(account)
    if scope == ():
        return message(request, "forbidden", 403, account)
    table = snapshot.positions
    if scope is not None:
        table = table[table["agency_id"].isin(scope)]
    if lowong:
        table = table[table["open_seats"] > 0]
    table = table.sort_values(["rankable", "open_seats"], ascending=False)
    shown = table.head(POSTS_SHOWN).to_dict("records")
    return page(
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
    account = signed_in(request)
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
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if not stored(account, snapshot, engine, form):
        error = texts(page_language(request))["reject_reason"]
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
        notice=t["thanks"] if ok else None,
        error=error,
    )


@router.get("/instansi")
def agency_list(request: Request, snapshot: SnapshotDep) -> Response:
    """The agencies the caller may look at, with their people, posts and vacancies."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if account.role == "asn":
        return message(request, "forbidden", 403, account)
    scope = None if account.role == "analyst" else individual_agencies(account)
    table = snapshot.agencies
    if scope is not None:
        table = table[table["agency_id"].isin(scope)]
    people = snapshot.view.frame["agency_id"].value_counts()
    posts = snapshot.positions.groupby("agency_id")["open_seats"].agg(["size", "sum"])
    rows = [
        {
            **row,
            "people": int(people.get(row["agency_id"], 0)),
            "posts": int(posts["size"].get(row["agency_id"], 0)),
            "vacancies": int(posts["sum"].get(row["agency_id"], 0)),
        }
        for row in table.to_dict("records")
    ]
    return page(request, "agencies.html", account=account, agencies=rows)


@router.get("/instansi/{agency_id}")
def agency(
    agency_id: str, request: Request, snapshot: SnapshotDep, audit_log: AuditDep
) -> Response:
    """An agency's 9-box distribution (planners of it, analysts, admins) and, for those who may
    see people, its succession pool for administrator posts."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    try:
        check_agency(account, snapshot, agency_id, individuals=False)
    except NotFound:
        return message(request, "not_found", 404, account)
    except HTTPException:
        return message(request, "forbidden", 403, account)
    try:
        pool = succession_pool(account, snapshot, audit_log, agency_id, "administrator")
    except (NotFound, HTTPException):
        pool = None  # aggregates only for this caller
    t = texts(page_language(request))
    counts = snapshot.talent_distribution(agency_id)
    return page(
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


#: Vacancies offered on the plan form, and the most one plan may take (as the API).
PLAN_OFFERED, PLAN_MOST = 100, 50


@router.get("/rencana")
def plan_form(request: Request, snapshot: SnapshotDep) -> Response:
    """Choose several vacancies in scope to fill together."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    vacancies = _vacancies(account, snapshot)
    if vacancies is None:
        return message(request, "forbidden", 403, account)
    return page(request, "plan.html", account=account, vacancies=vacancies, plan=None)


@router.post("/rencana")
def plan(
    request: Request,
    snapshot: SnapshotDep,
    model: PlacementModelDep,
    audit_log: AuditDep,
    position_ids: Annotated[list[str], Form(max_length=PLAN_MOST)] = [],  # noqa: B006
) -> Response:
    """One placement plan for the chosen vacancies, beside filling them one by one."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    vacancies = _vacancies(account, snapshot)
    if vacancies is None:
        return message(request, "forbidden", 403, account)
    t = texts(page_language(request))
    if not position_ids:
        return page(
            request,
            "plan.html",
            422,
            account=account,
            vacancies=vacancies,
            plan=None,
            error=t["choose_vacancies"],
        )
    try:
        answer = placement_plan(account, snapshot, model, audit_log, position_ids)
    except NotFound:
        return message(request, "not_found", 404, account)
    except BadRequest as refused:
        return page(
            request,
            "plan.html",
            422,
            account=account,
            vacancies=vacancies,
            plan=None,
            error=f"{t['not_plannable']}: {refused}",
        )
    titles = {pid: str(snapshot.position(pid)["title"]) for pid in position_ids}
    return page(
        request,
        "plan.html",
        account=account,
        vacancies=vacancies,
        plan=answer,
        titles=titles,
        chosen=set(position_ids),
    )


def _vacancies(account: Account, snapshot: Snapshot) -> list[dict[str, object]] | None:
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
