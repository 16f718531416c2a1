"""Answers of a national deployment (`service.state.national`), shared by the API and the pages:
anyone's trainings and a post's candidates across the country, from the batch jobs' output,
checked against the province's scopes and written to the same audit log."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi import HTTPException, status
from starlette.concurrency import run_in_threadpool

from service.access import audit
from service.access.accounts import Account
from service.access.scopes import forbidden, individual_agencies
from service.api.schemas import CandidateSuggestions, ModelRef, TrainingSuggestions
from service.api.suggestions import CANDIDATES, TRAINING_ITEMS, competency_names
from service.state.national import National, NationalAnswers
from service.state.snapshot import NotFound
from training.contract import PLACEMENT_SUCCESS


def answers_of(national: National) -> NationalAnswers:
    """The deployment's national training answers (503 when it serves none)."""
    if national.answers is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "this deployment serves no national training answers (JENJANG_NATIONAL_ANSWERS_DIR)",
        )
    return national.answers


def check_person(account: Account, answers: NationalAnswers, employee_id: str) -> None:
    """The province's rule on the country's directory: an ASN sees their own record; a planner
    or analyst the people of their agencies; an admin anyone. Out of scope reads as missing."""
    agencies = individual_agencies(account)
    if agencies == () and account.role != "asn":
        raise forbidden(f"the {account.role} role may not see individual records")
    missing = NotFound(
        f"no employee {employee_id!r} in the national answers of {answers.key.as_of} "
        "within your scope"
    )
    if account.role == "asn" and employee_id != account.employee_id:
        raise missing
    found = answers.locate(employee_id)
    if found is None:
        raise missing
    if agencies is not None and account.role != "asn" and found[1] not in agencies:
        raise missing


async def national_trainings(
    account: Account,
    national: National,
    audit_log: audit.AuditLog,
    employee_id: str,
    k: int,
) -> TrainingSuggestions:
    """A person's trainings from the country's answers of the day: the same list, reasons and
    envelope as the province's, by the version that computed them, audited."""
    answers = answers_of(national)
    check_person(account, answers, employee_id)
    if k > answers.depth:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"k={k} is deeper than the national answers ({answers.depth} per person)",
        )
    items = TRAINING_ITEMS.validate_python(answers.lookup(employee_id, k) or [])
    key = answers.key
    suggestion = audit.Suggestion(
        kind="training",
        subject=employee_id,
        model_name=key.model,
        model_version=key.version,
        data_snapshot=key.snapshot_id,
        as_of=key.as_of,
        request={"k": k, "national": True},
        returned=[{"id": i.course_id, "score": i.score} for i in items],
    )
    return TrainingSuggestions(
        suggestion_id=await audit_log.record_async(account, suggestion),
        model=ModelRef(name=key.model, version=key.version),
        data_snapshot=key.snapshot_id,
        as_of=key.as_of,
        employee_id=employee_id,
        items=items,
    )


async def national_candidates(
    account: Account,
    national: National,
    audit_log: audit.AuditLog,
    position_id: str,
    k: int,
) -> CandidateSuggestions:
    """A structural post's best eligible candidates in the country (or, for a planner, among
    the people of their agencies), ranked by the placement champion from the day's index."""
    if national.index is None or national.ranker is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "this deployment serves no national vacancy index (JENJANG_NATIONAL_INDEX_DIR)",
        )
    if account.role == "asn":
        raise forbidden("the asn role sees only their own record")
    agencies = individual_agencies(account)
    if agencies == ():
        raise forbidden(f"the {account.role} role may not see posts and candidates")
    index, (version, ranker) = national.index, national.ranker
    missing = NotFound(f"no structural post {position_id!r} in the national index in your scope")
    if position_id not in index.posts.index:
        raise missing
    if agencies is not None and index.posts.at[position_id, "agency_id"] not in agencies:
        raise missing
    # ranking a family's pool is model work, not a lookup: a worker thread
    found = await run_in_threadpool(index.search, position_id, ranker, k, agencies)
    items = CANDIDATES.validate_python([_candidate(row) for row in found])
    snapshot, as_of = str(index.manifest["snapshot_id"]), dt.date.fromisoformat(index.as_of)
    suggestion = audit.Suggestion(
        kind="candidates",
        subject=position_id,
        model_name=PLACEMENT_SUCCESS,
        model_version=version,
        data_snapshot=snapshot,
        as_of=as_of,
        request={"k": k, "national": True},
        returned=[{"id": c.employee_id, "score": c.score} for c in items],
    )
    return CandidateSuggestions(
        suggestion_id=await audit_log.record_async(account, suggestion),
        model=ModelRef(name=PLACEMENT_SUCCESS, version=version),
        data_snapshot=snapshot,
        as_of=as_of,
        position_id=position_id,
        items=items,
    )


def _candidate(row: dict[str, Any]) -> dict[str, Any]:
    """A search row in the province's candidate shape: competencies named in both languages,
    an unknown box or rating as null."""
    names = {code: (name_id, name_en) for code, name_id, name_en in competency_names()}
    out = dict(row)
    out["fit"] = [
        item | dict(zip(("name_id", "name_en"), names[item["competency_code"]], strict=True))
        for item in row["fit"]
    ]
    for name in ("talent_box", "rating_last"):
        value = out.get(name)
        out[name] = None if value is None or math.isnan(value) else value
    if out["talent_box"] is not None:
        out["talent_box"] = int(out["talent_box"])
    return out
