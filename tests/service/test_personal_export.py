"""An ASN downloads everything Jenjang holds on them (UU 27/2022): their records with NIP and
name, their profile, the suggestions about them, their feedback and planners' judgements of
them, as JSON or a zip of CSV files, from the API and from "Karier Saya"; nothing of anyone
else; only the person or an admin; the download is audited."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.factories.api import PASSWORD, Api

pytestmark = pytest.mark.slow

V1 = "/api/v1"
EMPLOYEE = re.compile(r"E\d{9}")  # the dataset's employee ids


def _export(api: Api, role: str, person: str, **params: str):  # type: ignore[no-untyped-def]
    url = f"{V1}/employees/{person}/export"
    return api.client.get(url, headers=api.headers[role], params=params)


def _people(api: Api) -> pd.DataFrame:
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        table = pd.read_sql(sa.text("SELECT employee_id, nip, name FROM employees"), connection)
    return table.set_index("employee_id")


def _nothing_of_anyone_else(text: str, person: str, people: pd.DataFrame) -> None:
    assert set(EMPLOYEE.findall(text)) <= {person}
    others = people.drop(index=person)
    assert not any(nip in text for nip in others["nip"])
    own_name = str(people.loc[person, "name"])
    assert not any(name in text for name in others["name"] if name not in own_name)


def _a_listed_candidate(api: Api) -> tuple[str, str]:
    """A planner asks for a post's candidates and accepts the first: (who, suggestion id)."""
    shown = api.client.get(
        f"{V1}/positions/{api.post}/candidates", headers=api.headers["hr_planner"], params={"k": 5}
    ).json()
    first = shown["items"][0]["employee_id"]
    body = {"suggestion_id": shown["suggestion_id"], "item_id": first, "decision": "rejected"}
    judged = api.client.post(
        f"{V1}/feedback", headers=api.headers["hr_planner"], json=body | {"reason": "belum siap"}
    )
    assert judged.status_code == 201, judged.text
    return first, shown["suggestion_id"]


def test_an_asn_downloads_their_records_suggestions_and_feedback(api: Api) -> None:
    shown = api.client.get(f"{V1}/employees/{api.own}/trainings", headers=api.headers["asn"])
    course = shown.json()["items"][0]["course_id"]
    judgement = {"suggestion_id": shown.json()["suggestion_id"], "item_id": course}
    judged = api.client.post(
        f"{V1}/feedback", headers=api.headers["asn"], json=judgement | {"decision": "interested"}
    )
    assert judged.status_code == 201
    answer = _export(api, "asn", api.own)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert f'filename="jenjang-{api.own}.json"' in answer.headers["content-disposition"]
    body = answer.json()
    people = _people(api)
    employee = body["records"]["employees"]
    assert [row["employee_id"] for row in employee] == [api.own]
    assert employee[0]["nip"] == people.loc[api.own, "nip"]  # theirs to have
    assert employee[0]["name"] == people.loc[api.own, "name"]
    assert body["records"]["position_history"] and body["records"]["evaluations"]
    assert body["profile"]["employee_id"] == api.own and "talent" in body["profile"]
    assert [a["username"] for a in body["accounts"]] == ["test-asn"]
    assert "password_hash" not in answer.text
    trainings = [s for s in body["suggestions"] if s["suggestion_id"] == judgement["suggestion_id"]]
    assert trainings[0]["kind"] == "training" and trainings[0]["asked_by"] == "you"
    assert trainings[0]["items"][0]["id"] == course and trainings[0]["items"][0]["rank"] == 1
    given = [f for f in body["feedback_given"] if f["suggestion_id"] == judgement["suggestion_id"]]
    assert given[0]["item_id"] == course and given[0]["decision"] == "interested"
    _nothing_of_anyone_else(answer.text, api.own, people)


def test_a_candidate_sees_their_own_place_in_a_list_and_the_judgement(api: Api) -> None:
    person, suggestion = _a_listed_candidate(api)
    answer = _export(api, "admin", person)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    listed = [s for s in body["suggestions"] if s["suggestion_id"] == suggestion]
    assert listed[0]["kind"] == "candidates" and listed[0]["asked_by"] == "hr_planner"
    assert [(i["id"], i["rank"]) for i in listed[0]["items"]] == [(person, 1)]  # not the others
    about = [f for f in body["feedback_about_you"] if f["suggestion_id"] == suggestion]
    assert about[0]["decision"] == "rejected" and about[0]["reason"] == "belum siap"
    assert "test-hr-planner" not in answer.text  # who judged is not theirs to have
    _nothing_of_anyone_else(answer.text, person, _people(api))


def test_the_csv_download_is_a_zip_of_one_table_per_section(api: Api) -> None:
    answer = _export(api, "asn", api.own, format="csv")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    expected = {"export.csv", "records_employees.csv", "profile.csv", "profile_competencies.csv"}
    assert expected | {"accounts.csv", "suggestions.csv", "feedback_given.csv"} <= names
    employee = pd.read_csv(archive.open("records_employees.csv"), dtype=str)
    assert employee["employee_id"].tolist() == [api.own]
    suggestions = pd.read_csv(archive.open("suggestions.csv"), dtype=str)
    assert {"kind", "item_id", "item_rank", "model_version"} <= set(suggestions.columns)
    assert (suggestions["kind"] == "training").any()  # one row per item shown
    people = _people(api)
    for name in names:
        _nothing_of_anyone_else(archive.read(name).decode(), api.own, people)


def test_the_download_is_audited(api: Api) -> None:
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    query = sa.text(
        "SELECT username, request FROM audit_log WHERE kind = 'personal_export' AND subject = :p"
    )
    with engine.connect() as connection:
        before = len(connection.execute(query, {"p": api.own}).all())
    assert _export(api, "asn", api.own, format="csv").status_code == 200
    with engine.connect() as connection:
        rows = connection.execute(query, {"p": api.own}).all()
    assert len(rows) == before + 1 and rows[-1].username == "test-asn"
    # an earlier download is in the next one, with who made it
    activity = _export(api, "asn", api.own).json()["activity"]
    assert any(a["kind"] == "personal_export" and a["asked_by"] == "you" for a in activity)


@pytest.mark.parametrize("role", ["asn", "hr_planner", "analyst", "granted_analyst"])
def test_anyone_but_the_person_and_admins_is_refused(api: Api, role: str) -> None:
    for person in (api.colleague, "E999999999"):  # someone real, and no one: alike
        answer = _export(api, role, person)
        assert answer.status_code == 403, answer.text
        assert "only the person themselves" in answer.json()["detail"]


def test_an_admin_asking_for_no_one_gets_404_and_a_bad_format_422(api: Api) -> None:
    assert _export(api, "admin", "E999999999").status_code == 404
    bad = _export(api, "asn", api.own, format="xml")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "format"]


@pytest.fixture
def browser(api: Api) -> TestClient:
    return TestClient(api.client.app)


def test_karier_saya_links_to_the_download(browser: TestClient, api: Api) -> None:
    signed = browser.post("/masuk", data={"username": "test-asn", "password": PASSWORD})
    assert signed.status_code == 200
    page = browser.get("/karier").text
    assert 'href="/karier/unduh?format=json"' in page and 'href="/karier/unduh?format=csv"' in page
    assert "Data saya" in page
    english = browser.get("/bahasa/en", headers={"referer": "http://testserver/karier"})
    assert "Download everything Jenjang holds on you" in english.text
    mine = browser.get("/karier/unduh?format=json")
    assert mine.status_code == 200 and mine.json()["employee_id"] == api.own
    zipped = browser.get("/karier/unduh?format=csv")
    assert zipfile.ZipFile(io.BytesIO(zipped.content)).testzip() is None
    assert browser.get("/karier/unduh?format=xml").status_code == 422
    browser.post("/keluar")
    browser.post("/masuk", data={"username": "test-analyst", "password": PASSWORD})
    assert browser.get("/karier/unduh").status_code == 403  # an account of no one's record
