"""An agency's pages: the list of agencies in scope, an agency's 9-box distribution and
succession pool, and its training needs for next year. HR planners see their agencies; analysts
and admins see every agency's aggregates."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from features import reference
from service.access.accounts import Account
from service.access.scopes import check_agency, individual_agencies
from service.api.suggestions import succession_pool
from service.dependencies import AuditDep, SnapshotDep
from service.state.snapshot import NotFound, Snapshot
from service.web import charts
from service.web.rendering import message, page, page_language, require
from service.web.texts import texts

router = APIRouter(include_in_schema=False)


@router.get("/instansi")
def agency_list(request: Request, snapshot: SnapshotDep) -> Response:
    """The agencies the caller may look at, with their people, posts and vacancies."""
    account = require(request)
    if isinstance(account, Response):
        return account
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


@router.get("/impor/templat.zip")
def import_templates(request: Request) -> Response:
    """The Excel templates of every table (Indonesian headers, a column guide, example rows),
    for an admin to hand to the BKD staff who fill them (docs/import.md)."""
    account = require(request)
    if isinstance(account, Response):
        return account
    if account.role != "admin":
        return message(request, "forbidden", 403, account)
    return Response(
        _templates(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="jenjang-templat-impor.zip"'},
    )


@cache
def _templates() -> bytes:
    from features.ingest.templates import templates_zip

    return templates_zip()


@router.get("/instansi/{agency_id}")
def agency(
    agency_id: str, request: Request, snapshot: SnapshotDep, audit_log: AuditDep
) -> Response:
    """An agency's 9-box distribution (planners of it, analysts, admins) and, for those who may
    see people, its succession pool for administrator posts."""
    account = require(request)
    if isinstance(account, Response):
        return account
    refused = _refused(request, account, snapshot, agency_id)
    if refused is not None:
        return refused
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


@router.get("/kebutuhan/{agency_id}")
def training_needs(agency_id: str, request: Request, snapshot: SnapshotDep) -> Response:
    """An agency's training needs for next year: the gaps most of its people share, the
    courses that close them and their JP, and who is below the 20 JP right (aggregates)."""
    account = require(request)
    if isinstance(account, Response):
        return account
    refused = _refused(request, account, snapshot, agency_id)
    if refused is not None:
        return refused
    needs = snapshot.training_needs(agency_id)
    return page(
        request,
        "needs.html",
        account=account,
        agency=snapshot.agencies.loc[agency_id],
        needs=needs,
        share_bars=[charts.progress(g.share * 100, 100) for g in needs.gaps],
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
    )


def _refused(
    request: Request, account: Account, snapshot: Snapshot, agency_id: str
) -> Response | None:
    """The page to give instead when the caller may not see this agency's aggregates: 404
    for a missing agency or one out of scope (alike), 403 for a role without any."""
    try:
        check_agency(account, snapshot, agency_id, individuals=False)
    except NotFound:
        return message(request, "not_found", 404, account)
    except HTTPException:
        return message(request, "forbidden", 403, account)
    return None
