"""A planner deciding a placement sees who each candidate is (name, current post, unit) for the
people of their scope, as the BKD's staff do; nobody outside the scope is named, and names never
reach the audit log or the application log."""

from __future__ import annotations

import json
import logging
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.access.accounts import Account
from service.api.people import people
from tests.factories.api import PASSWORD, Api

pytestmark = pytest.mark.slow

V1 = "/api/v1"


def _names(api: Api) -> dict[str, str]:
    """Everyone's name, straight from the employees table."""
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT employee_id, name FROM employees"))
        return {str(person): str(name) for person, name in rows}


def _snapshot(api: Api):  # type: ignore[no-untyped-def]
    return api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]


def _candidates(api: Api, role: str, post: str, **params: object) -> list[dict[str, object]]:
    answer = api.client.get(
        f"{V1}/positions/{post}/candidates", headers=api.headers[role], params={"k": 10, **params}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]  # type: ignore[no-any-return]


def test_a_planner_sees_the_name_post_and_unit_of_each_candidate(api: Api) -> None:
    names, snapshot = _names(api), _snapshot(api)
    items = _candidates(api, "hr_planner", api.post)
    assert items, "the small dataset has eligible people in the planner's agency"
    for candidate in items:
        person = candidate["person"]
        assert isinstance(person, dict), candidate
        employee = str(candidate["employee_id"])
        held = snapshot.view.frame.loc[employee]
        assert person["name"] == names[employee]
        assert person["position_id"] == held["position_id"] != api.post
        assert person["position_title"] == snapshot.position(held["position_id"])["title"]
        assert person["unit_id"] == held["unit_id"]
        assert person["unit_name"] == snapshot.unit_names[held["unit_id"]]
    # an admin's candidates come from every agency, each named
    everyone = _candidates(api, "admin", api.post, k=50, include_ineligible="true")
    assert {c["agency_id"] for c in everyone} > {api.agency}
    assert all(c["person"]["name"] == names[c["employee_id"]] for c in everyone)  # type: ignore[index]


def test_nobody_outside_the_scope_is_named(api: Api) -> None:
    names, snapshot = _names(api), _snapshot(api)
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    planner = Account("p", "hr_planner", None, (api.agency,))
    asn = Account("a", "asn", api.own, ())
    shown = people(planner, snapshot, engine, [api.colleague, api.outsider, "E-NOBODY"])
    assert list(shown) == [api.colleague]
    assert people(asn, snapshot, engine, [api.own, api.colleague]) == {}
    # asking for another agency's people is refused as missing, with no name in the answer
    refused = api.client.get(
        f"{V1}/positions/{api.post}/candidates",
        headers=api.headers["hr_planner"],
        params={"from_agency": api.other_agency},
    )
    assert refused.status_code == 404
    frame = snapshot.view.frame
    outsiders = [names[p] for p in frame.index[frame["agency_id"] == api.other_agency]]
    assert outsiders and not any(name in refused.text for name in outsiders)


def test_the_pages_name_the_candidates_and_the_plan(api: Api) -> None:
    names = _names(api)
    browser = TestClient(api.client.app)
    signed = browser.post("/masuk", data={"username": "test-hr-planner", "password": PASSWORD})
    assert signed.status_code == 200
    page = browser.get(f"/posisi/{api.post}")
    ranked = re.findall(r'name="item_id" value="([^"]+)"', page.text)
    assert ranked and all(names[p] in page.text for p in ranked)
    first = _candidates(api, "hr_planner", api.post)[0]["person"]
    assert first["position_title"] in page.text and first["unit_name"] in page.text  # type: ignore[index]
    plan = browser.post("/rencana", data={"position_ids": [api.post]})
    assigned = re.findall(r'data-employee="([^"]+)">([^<]+)<', plan.text)
    assert assigned and [(p, n.strip()) for p, n in assigned] == [(ranked[0], names[ranked[0]])]


def test_names_reach_neither_the_audit_log_nor_the_application_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    names = _names(api)
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    shown = {str(c["employee_id"]) for c in _candidates(api, "hr_planner", api.post)}
    shown |= {
        str(c["employee_id"])
        for c in _candidates(api, "admin", api.other_post, k=30, include_ineligible="true")
    }
    plan = api.client.post(
        f"{V1}/plans", headers=api.headers["hr_planner"], json={"position_ids": [api.post]}
    )
    assert plan.status_code == 200 and all(a["person"] for a in plan.json()["assignments"])
    browser = TestClient(api.client.app)
    browser.post("/masuk", data={"username": "test-hr-planner", "password": PASSWORD})
    assert browser.get(f"/posisi/{api.post}").status_code == 200
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM audit_log")).mappings().all()
    assert len(rows) >= before + 4
    audited = json.dumps([dict(r) for r in rows], default=str)
    assert shown and all(p in audited for p in shown)  # the ids are there …
    assert not [names[p] for p in shown if names[p] in audited]  # … the names are not
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the session's log lines were captured"
    assert not [names[p] for p in shown if names[p] in logged]
