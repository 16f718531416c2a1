"""Agencies: the talent-box distribution (aggregate) and succession pools (individuals)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from service.access import disclosure
from service.access.scopes import check_agency, forbidden, individual_agencies
from service.access.security import CurrentAccount
from service.api.schemas import AGENCY_ID, Agency, Problem, SuccessionPool, TalentDistribution
from service.api.suggestions import succession_pool
from service.dependencies import AuditDep, SnapshotDep

router = APIRouter(prefix="/agencies", tags=["agencies"])

AgencyId = Annotated[str, Path(pattern=AGENCY_ID, examples=["PROV-DINKES"])]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The role may not see this."},
    404: {"model": Problem, "description": "No such agency in the caller's scope."},
}


@router.get("", responses=ERRORS)
def agencies(account: CurrentAccount, snapshot: SnapshotDep) -> list[Agency]:
    """The agencies the caller may look at (all of them for analysts' aggregates)."""
    if account.role == "asn":
        raise forbidden("the asn role sees only their own record")
    table = snapshot.agencies
    scope = None if account.role == "analyst" else individual_agencies(account)
    if scope is not None:
        table = table[table["agency_id"].isin(scope)]
    return [
        Agency(agency_id=r["agency_id"], name=r["name"], region=r["region"])
        for r in table.to_dict("records")
    ]


@router.get("/{agency_id}/talent-boxes", responses=ERRORS)
def talent_boxes(
    agency_id: AgencyId, request: Request, account: CurrentAccount, snapshot: SnapshotDep
) -> TalentDistribution:
    """How many people of the agency are in each box of the 9-box talent grid. A caller who
    may not see these people one by one (an analyst without a grant) gets small cells withheld:
    null with a reason, never 0 (k-anonymity, `JENJANG_MIN_CELL_SIZE`)."""
    check_agency(account, snapshot, agency_id, individuals=False)
    counts = snapshot.talent_distribution(agency_id)
    minimum = disclosure.minimum_for(account, agency_id, request.app.state.settings.min_cell_size)
    boxes = disclosure.suppress(counts, minimum)
    reason = disclosure.REASON.format(minimum=minimum)
    return TalentDistribution(
        agency_id=agency_id,
        as_of=snapshot.as_of.date(),
        data_snapshot=snapshot.snapshot_id,
        people=sum(counts.values()),
        boxes=boxes,
        withheld={box: reason for box, count in boxes.items() if count is None},
        min_cell_size=minimum,
    )


@router.get("/{agency_id}/succession", responses=ERRORS)
def succession(
    agency_id: AgencyId,
    account: CurrentAccount,
    snapshot: SnapshotDep,
    audit_log: AuditDep,
    family: Annotated[
        Literal["jpt_madya", "jpt_pratama", "administrator"],
        Query(description="The kind of post the pool is for."),
    ] = "administrator",
) -> SuccessionPool:
    """The succession pool (talent boxes 7–9) for a kind of post: ready now, or within two
    years with the date. From the rules and talent boxes, no learned model."""
    return succession_pool(account, snapshot, audit_log, agency_id, family)
