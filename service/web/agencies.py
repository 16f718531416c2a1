"""An agency's pages: the list of agencies in scope, an agency's 9-box distribution and
succession pool, and its training needs for next year. HR planners see their agencies; analysts
and admins see every agency's aggregates, with small cells withheld from an analyst not granted
the agency (`service.access.disclosure`)."""

from __future__ import annotations

from dataclasses import asdict
from functools import cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from features import reference
from service.access import disclosure
from service.access.accounts import Account
from service.access.scopes import check_agency, individual_agencies
from service.api.suggestions import succession_pool
from service.dependencies import AuditDep, SnapshotDep
from service.state.snapshot import AgencyNeeds, NotFound, Snapshot
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
    minimum = _minimum(request, account, agency_id)
    counts = disclosure.suppress(snapshot.talent_distribution(agency_id), minimum)
    return page(
        request,
        "agency.html",
        account=account,
        agency=snapshot.agencies.loc[agency_id],
        boxes=counts,
        chart=charts.nine_box(counts, _box_places(), (t["performance"], t["potential"])),
        pool=pool,
        minimum=minimum,
        withheld=None in counts.values(),
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
    )


def _minimum(request: Request, account: Account, agency_id: str) -> int | None:
    """The smallest cell this caller may see of the agency (None: exact counts)."""
    settings = request.app.state.settings
    return disclosure.minimum_for(account, agency_id, settings.min_cell_size)


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
    minimum = _minimum(request, account, agency_id)
    needs = _needs_shown(snapshot.training_needs(agency_id), minimum)
    return page(
        request,
        "needs.html",
        account=account,
        agency=snapshot.agencies.loc[agency_id],
        needs=needs,
        share_bars=[
            None if g["share"] is None else charts.progress(g["share"] * 100, 100)
            for g in needs["gaps"]
        ],
        minimum=minimum,
        withheld=_withholds(needs),
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
    )


def _needs_shown(needs: AgencyNeeds, minimum: int | None) -> dict[str, Any]:
    """The needs as the caller may read them: a count of people (with a gap, suited to a
    course, below the JP right) is withheld when it or the rest of its total is a small cell,
    and so is what would give it back (share, mean shortfall, JP)."""
    shown = asdict(needs)
    below = disclosure.share(needs.below_right, needs.people, minimum)
    shown |= {"below_right": below, "jp_to_right": None if below is None else needs.jp_to_right}
    for gap in shown["gaps"]:
        count = disclosure.share(gap["people"], needs.people, minimum)
        if count is None:
            gap |= {"people": None, "share": None, "mean_shortfall": None}
        for course in gap["courses"]:
            suited = disclosure.share(course["participants"], count, minimum) if count else None
            course |= {"participants": suited}
            course |= {"jp_total": None if suited is None else course["jp_total"]}
    return shown


def _withholds(needs: dict[str, Any]) -> bool:
    """Whether anything on the needs page is withheld (the page then says why)."""
    counts = [needs["below_right"]] + [g["people"] for g in needs["gaps"]]
    counts += [c["participants"] for g in needs["gaps"] for c in g["courses"]]
    return None in counts


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
