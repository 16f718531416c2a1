"""The API through the real app with the tiny champions: what each answer holds, that every
suggestion is audited with its model version, feedback, and clear errors for bad input."""

from __future__ import annotations

import io
import json
import logging

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories.api import Api

pytestmark = pytest.mark.slow

V1 = "/api/v1"


def _get(api: Api, role: str, path: str, **params: object):  # type: ignore[no-untyped-def]
    return api.client.get(f"{V1}{path}", headers=api.headers[role], params=params)


def test_an_asn_sees_their_profile_without_personal_data(api: Api) -> None:
    answer = _get(api, "asn", f"/employees/{api.own}")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["employee_id"] == api.own and body["agency_id"] == api.agency
    assert body["position"]["title"] and body["development"]["jp_right_per_year"] == 20
    for competency in body["competencies"]:
        expected = max(0.0, competency["required_level"] - competency["estimated_level"])
        assert competency["shortfall"] == pytest.approx(expected, abs=0.01)
    # the levels are the training champion's estimate (the model's name is no person's)
    assert body.pop("levels_model") == {"name": "training-recs", "version": "1"}
    text = json.dumps(body).lower()
    for personal in ("nip", 'name"', "birth", "sex", "religion"):
        assert personal not in text


def test_training_recommendations_carry_model_data_and_reasons(api: Api) -> None:
    answer = _get(api, "asn", f"/employees/{api.own}/trainings", k=5)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["model"] == {"name": "training-recs", "version": "1"}
    assert body["data_snapshot"].startswith("db-") and body["as_of"]
    assert len(body["items"]) == 5 and [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert all(i["reasons"] and i["reasons"][0]["text_id"] for i in body["items"])
    technical = _get(api, "asn", f"/employees/{api.own}/trainings", k=50, kind="technical")
    assert {i["kind"] for i in technical.json()["items"]} == {"technical"}


def test_every_suggestion_is_in_the_audit_log_with_its_version(api: Api) -> None:
    body = _get(api, "hr_planner", f"/positions/{api.post}/candidates", k=3).json()
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT * FROM audit_log WHERE suggestion_id = :id"),
            {"id": body["suggestion_id"]},
        ).one()
    assert row.username == "test-hr-planner" and row.kind == "candidates"
    assert row.subject == api.post and (row.model_name, row.model_version) == (
        "placement-success",
        "1",
    )
    returned = row.returned if isinstance(row.returned, list) else json.loads(row.returned)
    assert [r["id"] for r in returned] == [c["employee_id"] for c in body["items"]]


def test_candidates_are_eligible_explained_and_from_the_planners_scope(api: Api) -> None:
    answer = _get(api, "hr_planner", f"/positions/{api.post}/candidates", k=10)
    assert answer.status_code == 200, answer.json()
    items = answer.json()["items"]
    assert items, "the small dataset has eligible people in the agency"
    for candidate in items:
        assert candidate["eligible"] and candidate["failed_rules"] == []
        assert candidate["agency_id"] == api.agency
        assert candidate["fit"] and candidate["reasons"]
        assert all(f["shortfall"] >= 0 for f in candidate["fit"])
    everyone = _get(
        api, "admin", f"/positions/{api.post}/candidates", k=50, include_ineligible="true"
    ).json()["items"]
    failing = [c for c in everyone if not c["eligible"]]
    assert failing and all(c["failed_rules"][0]["text_id"] for c in failing)
    assert {c["agency_id"] for c in everyone} > {api.agency}  # admins see every agency


def test_career_paths_and_a_plan(api: Api) -> None:
    paths = _get(api, "asn", f"/employees/{api.own}/paths", k=3)
    assert paths.status_code == 200, paths.json()
    steps = paths.json()["next_steps"]
    assert 0 < len(steps) <= 3
    # the fits are on the levels the training champion estimates (those its reasons quote)
    assert paths.json()["model"] == {"name": "training-recs", "version": "1"}
    routes = _get(api, "asn", f"/employees/{api.own}/paths", to=steps[0]["position_id"])
    assert routes.status_code == 200 and routes.json()["routes"]
    plan = api.client.post(
        f"{V1}/plans", headers=api.headers["hr_planner"], json={"position_ids": [api.post]}
    )
    assert plan.status_code == 200, plan.json()
    body = plan.json()
    assert body["total"] >= body["greedy_total"] - 1e-9
    assert len(body["assignments"]) + len(body["unfilled"]) == 1


def test_feedback_is_stored_with_the_version_and_exported(api: Api) -> None:
    shown = _get(api, "asn", f"/employees/{api.own}/trainings", k=3).json()
    course = shown["items"][0]["course_id"]
    post = api.client.post
    judge = {"suggestion_id": shown["suggestion_id"], "item_id": course}
    no_reason = post(
        f"{V1}/feedback", headers=api.headers["asn"], json=judge | {"decision": "rejected"}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"][-1] == "reason"
    given = post(
        f"{V1}/feedback",
        headers=api.headers["asn"],
        json=judge | {"decision": "not_relevant", "reason": "sudah ikut yang serupa"},
    )
    assert given.status_code == 201, given.json()
    assert given.json()["model"] == {"name": "training-recs", "version": "1"}
    # an item that was not suggested, or someone else's suggestion, is refused
    wrong_item = post(
        f"{V1}/feedback",
        headers=api.headers["asn"],
        json=judge | {"item_id": "NOPE", "decision": "accepted"},
    )
    assert wrong_item.status_code == 404
    not_theirs = post(
        f"{V1}/feedback", headers=api.headers["admin"], json=judge | {"decision": "accepted"}
    )
    assert not_theirs.status_code == 404
    wrong_kind = post(  # a planner's decision on a training suggestion
        f"{V1}/feedback", headers=api.headers["asn"], json=judge | {"decision": "accepted"}
    )
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["detail"][0]["loc"] == ["body", "decision"]
    export = api.client.get(f"{V1}/feedback/export", headers=api.headers["analyst"])
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(export.text))
    mine = table[table["suggestion_id"] == shown["suggestion_id"]]
    assert list(mine["decision"]) == ["not_relevant"]
    assert mine["model_version"].iloc[0] == 1 and mine["kind"].iloc[0] == "training"
    assert "username" not in table.columns


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/employees/{own}/trainings", {"k": 0}, "greater than or equal to 1"),
        ("/employees/{own}/trainings", {"k": 51}, "less than or equal to 50"),
        ("/employees/{own}/trainings", {"k": "ten"}, "valid integer"),
        ("/employees/{own}/trainings", {"kind": "cooking"}, "input should be"),
        ("/employees/{own}/paths", {"to": "NO-SUCH-POST"}, "no position"),
        ("/employees/has%20space", {}, "string should match pattern"),
    ],
)
def test_bad_input_is_a_clear_json_error(api: Api, path: str, params: dict, fragment: str) -> None:  # type: ignore[type-arg]
    answer = _get(api, "admin", path.format(own=api.own), **params)
    assert answer.status_code in (404, 422), answer.text
    assert fragment in json.dumps(answer.json()).lower()
    assert "traceback" not in answer.text.lower()


def test_plans_refuse_a_non_structural_post_and_an_empty_list(api: Api) -> None:
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    functional = snapshot.positions[
        ~snapshot.positions["rankable"] & (snapshot.positions["agency_id"] == api.agency)
    ].index[0]
    for body, status in (({"position_ids": [functional]}, 422), ({"position_ids": []}, 422)):
        answer = api.client.post(f"{V1}/plans", headers=api.headers["admin"], json=body)
        assert answer.status_code == status, answer.text
    answer = api.client.post(
        f"{V1}/plans", headers=api.headers["admin"], json={"position_ids": [functional]}
    )
    assert "filled by placement" in answer.json()["detail"][0]["msg"]


def test_agency_aggregates_for_analysts_and_pools_for_planners(api: Api) -> None:
    boxes = _get(api, "analyst", f"/agencies/{api.other_agency}/talent-boxes")
    assert boxes.status_code == 200
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    people = (snapshot.view.frame["agency_id"] == api.other_agency).sum()
    body = boxes.json()  # an analyst without a grant: small cells withheld (null, never 0)
    assert body["people"] == people and body["min_cell_size"] == 5
    assert sum(count or 0 for count in body["boxes"].values()) <= people
    assert all(count is None or count == 0 or count >= 5 for count in body["boxes"].values())
    pool = _get(api, "hr_planner", f"/agencies/{api.agency}/succession", family="administrator")
    assert pool.status_code == 200, pool.json()
    assert all(m["talent_box"] >= 7 for m in pool.json()["items"])


def test_no_personal_data_reaches_the_application_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        people = pd.read_sql(sa.text("SELECT nip, name FROM employees"), connection)
    with caplog.at_level(logging.DEBUG):
        _get(api, "asn", f"/employees/{api.own}")
        _get(api, "asn", f"/employees/{api.own}/trainings")
        _get(api, "hr_planner", f"/positions/{api.post}/candidates", k=50)
        _get(api, "admin", "/employees/does-not-exist/trainings")
    logged = caplog.text
    assert not any(nip in logged for nip in people["nip"])
    assert not any(name in logged for name in people["name"])
