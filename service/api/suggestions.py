"""Suggestions as answers: the model's output, checked against the caller's scope, written to
the audit log and wrapped with what produced it. The API's routes and the web pages both call
these, so a suggestion shown on a page is audited and versioned exactly like one sent as JSON."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from fastapi import HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter

from features import reference
from features.asof.fit import competency_fit
from features.asof.positions import competency_codes
from features.rules.eligibility import messages
from service.access import audit
from service.access.accounts import Account
from service.access.scopes import check_agency, check_employee, check_position, individual_agencies
from service.api.people import people
from service.api.schemas import (
    Approval,
    Assignment,
    Candidate,
    CandidateSuggestions,
    CareerPathAnswer,
    FeedbackOut,
    ModelRef,
    NextStep,
    Person,
    PlanSuggestions,
    Refusal,
    RouteStep,
    SuccessionMember,
    SuccessionPool,
    TrainingItem,
    TrainingSuggestions,
)
from service.state import serving
from service.state.model_store import Loaded
from service.state.snapshot import NotFound, Snapshot


def audited(
    account: Account,
    audit_log: audit.AuditLog,
    snapshot: Snapshot,
    model: Loaded | None,
    *,
    kind: str,
    subject: str,
    request: dict[str, Any],
    returned: list[dict[str, Any]],
) -> dict[str, Any]:
    """Write what is about to be suggested to the audit log; the envelope every suggestion
    answer carries (suggestion id, model and version, data snapshot, date). `model` is None
    for answers from rules and fit alone."""
    suggestion = _suggestion(snapshot, model, kind, subject, request, returned)
    return _envelope(audit_log.record(account, suggestion), snapshot, model)


async def audited_async(
    account: Account,
    audit_log: audit.AuditLog,
    snapshot: Snapshot,
    model: Loaded | None,
    *,
    kind: str,
    subject: str,
    request: dict[str, Any],
    returned: list[dict[str, Any]],
) -> dict[str, Any]:
    """`audited` for routes on the event loop: waits for the commit without a thread."""
    suggestion = _suggestion(snapshot, model, kind, subject, request, returned)
    return _envelope(await audit_log.record_async(account, suggestion), snapshot, model)


def _suggestion(
    snapshot: Snapshot,
    model: Loaded | None,
    kind: str,
    subject: str,
    request: dict[str, Any],
    returned: list[dict[str, Any]],
) -> audit.Suggestion:
    return audit.Suggestion(
        kind=kind,
        subject=subject,
        model_name=model.name if model else None,
        model_version=model.version if model else None,
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
        request=request,
        returned=returned,
    )


def model_ref(model: Loaded | None) -> ModelRef | None:
    """How an answer names the model in service behind it (None: rules and data alone)."""
    return ModelRef(name=model.name, version=model.version) if model else None


def _envelope(suggestion_id: str, snapshot: Snapshot, model: Loaded | None) -> dict[str, Any]:
    return {
        "suggestion_id": suggestion_id,
        "model": model_ref(model),
        "data_snapshot": snapshot.snapshot_id,
        "as_of": snapshot.as_of.date(),
    }


#: Validates a whole list of rows in one call (pydantic's core), not item by item.
TRAINING_ITEMS = TypeAdapter(list[TrainingItem])


def training_suggestions(
    account: Account,
    snapshot: Snapshot,
    model: Loaded,
    audit_log: audit.AuditLog,
    employee_id: str,
    k: int,
    kinds: list[str],
) -> TrainingSuggestions:
    """A person's recommended courses with reasons, audited (raises outside the scope)."""
    check_employee(account, snapshot, employee_id)
    rows = serving.trainings(model, snapshot, employee_id, k, kinds)
    items = TRAINING_ITEMS.validate_python(rows)
    envelope = audited(
        account, audit_log, snapshot, model, **_training_audit(employee_id, items, k, kinds)
    )
    return TrainingSuggestions(**envelope, employee_id=employee_id, items=items)


async def answer_trainings(
    account: Account,
    snapshot: Snapshot,
    model: Loaded,
    audit_log: audit.AuditLog,
    employee_id: str,
    k: int,
    kinds: list[str],
) -> TrainingSuggestions:
    """`training_suggestions` on the event loop, for the API: the day's precomputed answer is
    looked up there (a fraction of a millisecond); only a person the model must score goes to a
    worker thread."""
    check_employee(account, snapshot, employee_id)
    rows = serving.stored_trainings(model, employee_id, k, kinds)
    if rows is None:
        rows = await run_in_threadpool(serving.trainings, model, snapshot, employee_id, k, kinds)
    items = TRAINING_ITEMS.validate_python(rows)
    what = _training_audit(employee_id, items, k, kinds)
    envelope = await audited_async(account, audit_log, snapshot, model, **what)
    return TrainingSuggestions(**envelope, employee_id=employee_id, items=items)


def _training_audit(
    employee_id: str, items: list[TrainingItem], k: int, kinds: list[str]
) -> dict[str, Any]:
    return {
        "kind": "training",
        "subject": employee_id,
        "request": {"k": k, "kinds": kinds},
        "returned": [{"id": i.course_id, "score": i.score} for i in items],
    }


def career_paths(
    account: Account,
    snapshot: Snapshot,
    audit_log: audit.AuditLog,
    employee_id: str,
    to: str | None,
    k: int,
    model: Loaded | None = None,
) -> CareerPathAnswer:
    """The next posts a person fits, or dated routes to `to`, audited: from the rules and
    competency fit on the person's current levels, the training recommender's estimate when
    `model` is it (the levels of the profile and of the reasons; the answer names it), else
    the view's."""
    check_employee(account, snapshot, employee_id)
    finder = snapshot.paths
    levels = serving.levels(model, snapshot, employee_id)
    steps: list[NextStep] = []
    routes: list[list[RouteStep]] = []
    if to is None:
        table = finder.next_steps(employee_id, k, levels=levels.values)
        steps = _next_steps(snapshot, employee_id, table)
        returned = [{"id": s.position_id, "score": s.fit_score} for s in steps]
    else:
        snapshot.position(to)  # 404 for an unknown post
        found = finder.routes(employee_id, to, levels=levels.values)
        routes = [[RouteStep.model_validate(step.as_dict()) for step in r] for r in found]
        returned = [{"id": to, "routes": len(routes)}]
    envelope = audited(
        account,
        audit_log,
        snapshot,
        levels.model,
        kind="paths",
        subject=employee_id,
        request={"k": k, "to": to},
        returned=returned,
    )
    return CareerPathAnswer(
        **envelope,
        employee_id=employee_id,
        target_position_id=to,
        next_steps=steps,
        routes=routes,
    )


def _next_steps(snapshot: Snapshot, employee_id: str, table: pd.DataFrame) -> list[NextStep]:
    out = []
    for row in table.to_dict("records"):
        position = snapshot.position(row["position_id"])
        result = snapshot.view.post_eligibility(str(row["position_id"]), str(row["family"]))
        out.append(
            NextStep(
                position_id=row["position_id"],
                title=str(position["title"]),
                family=str(row["family"]),
                agency_id=str(row["agency_id"]),
                vacant=bool(position["open_seats"] > 0),
                fit_score=round(float(row["fit_score"]), 4),
                eligible=bool(row["eligible"]),
                eligible_from=row["eligible_from"] or None,
                failed_rules=messages(result, employee_id),  # type: ignore[arg-type]
                missing_competencies=row["missing"],
            )
        )
    return out


#: The judgements that make sense of each kind of suggestion: a person is interested in a
#: training or a career step (or finds it not relevant); a planner accepts or rejects people.
DECISIONS = {
    "training": ("interested", "not_relevant"),
    "paths": ("interested", "not_relevant"),
    "candidates": ("accepted", "rejected"),
    "plan": ("accepted", "rejected"),
    "succession": ("accepted", "rejected"),
}


def judge(
    account: Account, snapshot: Snapshot, engine: sa.Engine, body: Approval | Refusal
) -> FeedbackOut:
    """Store one judgement on an item of a suggestion the caller was shown (404 otherwise)."""
    logged = audit.find(engine, body.suggestion_id)
    if logged is None or not _may_judge(account, snapshot, logged):
        raise NotFound(f"no suggestion {body.suggestion_id!r} of yours")
    if body.item_id not in {str(item.get("id")) for item in logged.returned}:
        raise NotFound(f"suggestion {body.suggestion_id} did not include {body.item_id!r}")
    allowed = DECISIONS.get(logged.kind, ())
    if body.decision not in allowed:
        raise serving.BadRequest(
            f"{body.decision!r} does not apply to a {logged.kind} suggestion; "
            f"use {' or '.join(allowed)}",
            ("body", "decision"),
        )
    feedback_id = audit.add_feedback(
        engine, account, body.suggestion_id, body.item_id, body.decision, body.reason
    )
    model = (
        ModelRef(name=logged.model_name, version=logged.model_version)
        if logged.model_name
        else None
    )
    return FeedbackOut(
        feedback_id=feedback_id,
        suggestion_id=body.suggestion_id,
        item_id=body.item_id,
        decision=body.decision,
        model=model,
    )


def _may_judge(account: Account, snapshot: Snapshot, logged: sa.Row[Any]) -> bool:
    """Only the one who was shown the suggestion, still in scope of what it was about."""
    if logged.username != account.username:
        return False
    try:
        if logged.kind in ("training", "paths"):
            check_employee(account, snapshot, logged.subject)
        elif logged.kind == "candidates":
            check_position(account, snapshot, logged.subject)
        elif logged.kind == "plan":
            for position_id in logged.request["position_ids"]:
                check_position(account, snapshot, position_id)
        elif logged.kind == "succession":
            check_agency(account, snapshot, logged.subject, individuals=True)
        else:
            return False
    except (NotFound, HTTPException):  # out of scope now: the same answer as missing
        return False
    return True


def candidate_suggestions(
    account: Account,
    snapshot: Snapshot,
    model: Loaded,
    audit_log: audit.AuditLog,
    engine: sa.Engine,
    position_id: str,
    k: int,
    include_ineligible: bool,
    from_agency: str | None,
) -> CandidateSuggestions:
    """Ranked candidates for a post from the caller's scope, explained, named and audited (the
    audit log keeps their ids)."""
    check_position(account, snapshot, position_id)
    agencies = _candidate_scope(account, from_agency)
    items = candidate_items(snapshot, model, position_id, k, include_ineligible, agencies)
    what = _candidates_audit(position_id, items, k, include_ineligible, from_agency)
    envelope = audited(account, audit_log, snapshot, model, **what)
    named = named_candidates(items, people(account, snapshot, engine, _ids(items)))
    return CandidateSuggestions(**envelope, position_id=position_id, items=named)


async def answer_candidates(
    account: Account,
    snapshot: Snapshot,
    model: Loaded,
    audit_log: audit.AuditLog,
    engine: sa.Engine,
    position_id: str,
    k: int,
    include_ineligible: bool,
    from_agency: str | None,
) -> CandidateSuggestions:
    """`candidate_suggestions` on the event loop, for the API. The explained list (fit per
    competency, failed rules in words) costs milliseconds to build, so it is built once per
    question in a worker thread and kept in the model's memo: the model and the snapshot it
    answers from never change while it serves. The names are read per answer (a query in a
    worker thread), never kept in the memo."""
    check_position(account, snapshot, position_id)
    agencies = _candidate_scope(account, from_agency)
    key = ("candidates", position_id, k, include_ineligible, agencies)
    items: list[Candidate] | None = model.memo.get(key)
    if items is None:
        items = await run_in_threadpool(
            candidate_items, snapshot, model, position_id, k, include_ineligible, agencies
        )
        model.memo[key] = items
    what = _candidates_audit(position_id, items, k, include_ineligible, from_agency)
    envelope = await audited_async(account, audit_log, snapshot, model, **what)
    who = await run_in_threadpool(people, account, snapshot, engine, _ids(items))
    return CandidateSuggestions(
        **envelope, position_id=position_id, items=named_candidates(items, who)
    )


def _ids(items: list[Candidate]) -> list[str]:
    return [c.employee_id for c in items]


def named_candidates(items: list[Candidate], who: dict[str, Person]) -> list[Candidate]:
    """Copies of `items` with who each person is, where `who` says (the memo's stay as
    they are)."""
    return [c.model_copy(update={"person": who.get(c.employee_id)}) for c in items]


def candidate_items(
    snapshot: Snapshot,
    model: Loaded,
    position_id: str,
    k: int,
    include_ineligible: bool,
    agencies: tuple[str, ...] | None,
) -> list[Candidate]:
    """The post's ranked candidates among `agencies` (None: everyone), explained."""
    ranked = serving.candidates(model, snapshot, position_id, k, include_ineligible, agencies)
    post = snapshot.position(position_id)
    return _candidates(snapshot, ranked, position_id, str(post["family"]))


def _candidate_scope(account: Account, from_agency: str | None) -> tuple[str, ...] | None:
    """The agencies whose people may be proposed: the caller's, narrowed to `from_agency`."""
    agencies = individual_agencies(account)
    if from_agency is None:
        return agencies
    if agencies is not None and from_agency not in agencies:
        raise NotFound(f"no agency {from_agency!r} in your scope")
    return (from_agency,)


def _candidates_audit(
    position_id: str,
    items: list[Candidate],
    k: int,
    include_ineligible: bool,
    from_agency: str | None,
) -> dict[str, Any]:
    return {
        "kind": "candidates",
        "subject": position_id,
        "request": {"k": k, "include_ineligible": include_ineligible, "from_agency": from_agency},
        "returned": [{"id": c.employee_id, "score": c.score} for c in items],
    }


#: Validates a whole list of candidates in one call (pydantic's core), not item by item.
CANDIDATES = TypeAdapter(list[Candidate])


def _candidates(
    snapshot: Snapshot, ranked: list[dict[str, Any]], position_id: str, family: str
) -> list[Candidate]:
    """The ranked rows with fit per competency of the post's standard and failed rules in
    words; the arithmetic is done for all candidates at once."""
    view = snapshot.view
    result = view.post_eligibility(position_id, family)  # a post's profession is a rule too
    required = view.standard(position_id)
    people = [str(row["employee_id"]) for row in ranked]
    levels = view.levels[[snapshot.row(p) for p in people]]
    fit = competency_fit(levels, required)  # all candidates at once
    inside = np.flatnonzero(required > 0)
    names = [competency_names()[c] for c in inside]
    wanted = required[inside].tolist()
    have = levels[:, inside].tolist()
    short = fit.shortfall[:, inside].tolist()
    over = fit.surplus[:, inside].tolist()
    out = []
    for i, row in enumerate(ranked):
        out.append(
            {
                "rank": row["rank"],
                "employee_id": people[i],
                "agency_id": snapshot.agency_of(people[i]),
                "score": round(float(row["score"]), 6),
                "fit_score": round(float(row["fit_score"]), 4),
                "eligible": bool(row["eligible"]),
                "eligible_from": row["eligible_from"] or None,
                "failed_rules": [] if row["eligible"] else messages(result, people[i]),
                "fit": [
                    {
                        "competency_code": code,
                        "name_id": name_id,
                        "name_en": name_en,
                        "required_level": need,
                        "level": round(level, 3),
                        "shortfall": round(shortfall, 3),
                        "surplus": round(surplus, 3),
                    }
                    for (code, name_id, name_en), need, level, shortfall, surplus in zip(
                        names, wanted, have[i], short[i], over[i], strict=True
                    )
                ],
                "talent_box": None if pd.isna(row["talent_box"]) else int(row["talent_box"]),
                "rating_last": None if pd.isna(row["rating_last"]) else float(row["rating_last"]),
                "reasons": row.get("reasons", []),
            }
        )
    return CANDIDATES.validate_python(out)


@cache
def competency_names() -> list[tuple[str, str, str]]:
    """(code, Indonesian name, English name) by competency column."""
    table = reference.load("competencies").set_index("code")
    return [
        (c, str(table.at[c, "name_id"]), str(table.at[c, "name_en"])) for c in competency_codes()
    ]


def succession_pool(
    account: Account, snapshot: Snapshot, audit_log: audit.AuditLog, agency_id: str, family: str
) -> SuccessionPool:
    """An agency's succession pool for a kind of post, audited (rules and talent boxes: no
    model)."""
    check_agency(account, snapshot, agency_id, individuals=True)
    pool = snapshot.succession(agency_id, family)
    items = [
        SuccessionMember(
            employee_id=r["employee_id"],
            talent_box=int(r["talent_box"]),
            readiness=r["readiness"],
            eligible_from=None if pd.isna(r["eligible_from"]) else r["eligible_from"].date(),
            failed_rules=int(r["failed_rules"]),
        )
        for r in pool.to_dict("records")
    ]
    envelope = audited(
        account,
        audit_log,
        snapshot,
        None,
        kind="succession",
        subject=agency_id,
        request={"family": family},
        returned=[{"id": m.employee_id, "readiness": m.readiness} for m in items],
    )
    return SuccessionPool(
        **envelope,
        agency_id=agency_id,
        family=family,
        items=items,
    )


def placement_plan(
    account: Account,
    snapshot: Snapshot,
    model: Loaded,
    audit_log: audit.AuditLog,
    engine: sa.Engine,
    position_ids: list[str],
) -> PlanSuggestions:
    """One plan for several vacancies (each person at most one post, eligible people in the
    caller's scope only), beside filling them one by one; audited (ids), then named."""
    wanted = list(dict.fromkeys(position_ids))
    for position_id in wanted:
        check_position(account, snapshot, position_id)
    best, greedy = serving.plan(model, snapshot, wanted, individual_agencies(account))
    assignments = [
        Assignment(position_id=r["vacancy"], employee_id=r["candidate"], score=float(r["score"]))
        for r in best.assignments.to_dict("records")
    ]
    envelope = audited(
        account,
        audit_log,
        snapshot,
        model,
        kind="plan",
        subject=f"{len(wanted)} posts",
        request={"position_ids": wanted},
        returned=[
            {"id": a.employee_id, "position_id": a.position_id, "score": a.score}
            for a in assignments
        ],
    )
    who = people(account, snapshot, engine, [a.employee_id for a in assignments])
    return PlanSuggestions(
        **envelope,
        assignments=[a.model_copy(update={"person": who.get(a.employee_id)}) for a in assignments],
        unfilled=list(best.unfilled),
        total=round(float(best.total), 6),
        greedy_total=round(float(greedy.total), 6),
    )
