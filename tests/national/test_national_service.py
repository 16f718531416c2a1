"""The service over national output: a deployment pointed at `jenjang batch score` and
`jenjang batch index` answers anyone's trainings and a post's candidates across the country,
with the province's scopes, answer shapes and audit log (`service.state.national`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.access.accounts import create_user
from service.app import create_app
from service.settings import ServiceSettings
from service.state.national import NationalAnswers, NationalUnavailable
from tests.factories.api import PASSWORD
from tests.national.conftest import AS_OF
from training.national.scoring import read_answers
from training.national.vacancies import VacancyIndex, placement_ranker

pytestmark = [pytest.mark.slow, pytest.mark.spark]


@dataclass
class Country:
    client: TestClient
    headers: dict[str, dict[str, str]]
    answers: pd.DataFrame  # every row of the national answer set
    index: VacancyIndex
    own: str  # the asn account's employee
    agency: str  # the planner's agency
    colleague: str  # someone else in the planner's agency
    outsider: str  # someone of another region
    engine: sa.Engine


@pytest.fixture(scope="module")
def country(
    served: ServiceSettings, national_answers: Path, national_index: Path, tmp_path_factory
) -> Iterator[Country]:
    folder = tmp_path_factory.mktemp("national-service")
    database = folder / "jenjang.db"
    shutil.copyfile(served.database_url.removeprefix("sqlite:///"), database)
    settings = served.model_copy(
        update={
            "database_url": f"sqlite:///{database}",
            "national_answers_dir": str(national_answers),
            "national_index_dir": str(national_index),
            "reload_poll_seconds": 0,
        }
    )
    (set_folder,) = national_answers.glob("*/version=*/as_of=*/snapshot=*")
    answers = read_answers(set_folder)
    people = answers.drop_duplicates("employee_id")
    agency = people["agency_id"].value_counts().index[0]
    mine = people[people["agency_id"] == agency]
    outsider = people[people["region"] != mine["region"].iloc[0]]["employee_id"].iloc[0]
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        accounts = {
            "asn": ("asn", {"employee_id": str(mine["employee_id"].iloc[0])}),
            "hr_planner": ("hr_planner", {"agencies": (agency,)}),
            "analyst": ("analyst", {}),
            "admin": ("admin", {}),
        }
        headers = {}
        for key, (role, scope) in accounts.items():
            name = f"national-{key.replace('_', '-')}"
            create_user(engine, name, PASSWORD, role, **scope)  # type: ignore[arg-type]
            token = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
            headers[key] = {"Authorization": f"Bearer {token.json()['access_token']}"}
        yield Country(
            client,
            headers,
            answers,
            VacancyIndex.latest(national_index),
            str(mine["employee_id"].iloc[0]),
            str(agency),
            str(mine["employee_id"].iloc[1]),
            str(outsider),
            engine,
        )


def _trainings(country: Country, who: str, employee_id: str, k: int = 10):  # type: ignore[no-untyped-def]
    return country.client.get(
        f"/api/v1/national/employees/{employee_id}/trainings",
        params={"k": k},
        headers=country.headers[who],
    )


def test_an_asn_gets_their_own_national_answer_as_the_batch_wrote_it(country: Country) -> None:
    response = _trainings(country, "asn", country.own, k=5)
    assert response.status_code == 200, response.text
    body = response.json()
    stored = country.answers[country.answers["employee_id"] == country.own].sort_values("rank")
    assert [i["course_id"] for i in body["items"]] == stored["course_id"].head(5).tolist()
    assert [i["score"] for i in body["items"]] == pytest.approx(stored["score"].head(5).tolist())
    first = body["items"][0]["reasons"]
    assert first == json.loads(stored["reasons"].iloc[0])  # the reasons, whole
    assert body["model"] == {"name": "training-recs", "version": stored["model_version"].iloc[0]}
    assert body["as_of"] == AS_OF.date().isoformat()
    assert body["data_snapshot"].startswith("pq-")
    assert body["advisory"]
    with country.engine.connect() as connection:  # audited like any suggestion
        row = connection.execute(
            sa.text("SELECT kind, subject, model_version FROM audit_log WHERE suggestion_id = :i"),
            {"i": body["suggestion_id"]},
        ).one()
    assert tuple(row) == ("training", country.own, body["model"]["version"])


def test_scopes_are_the_province_s(country: Country) -> None:
    assert _trainings(country, "asn", country.colleague).status_code == 404  # not their own
    assert _trainings(country, "hr_planner", country.colleague).status_code == 200
    outside = _trainings(country, "hr_planner", country.outsider)
    unknown = _trainings(country, "hr_planner", "E999999999")
    assert outside.status_code == unknown.status_code == 404
    assert outside.json()["detail"].replace(country.outsider, "X") == unknown.json()[
        "detail"
    ].replace("E999999999", "X")  # out of scope reads exactly as missing
    assert _trainings(country, "admin", country.outsider).status_code == 200
    assert _trainings(country, "analyst", country.own).status_code == 403
    no_token = country.client.get(f"/api/v1/national/employees/{country.own}/trainings")
    assert no_token.status_code == 401


def test_a_list_deeper_than_the_batch_is_refused(country: Country) -> None:
    response = _trainings(country, "admin", country.own, k=11)
    assert response.status_code == 422
    assert "deeper than the national answers (10 per person)" in response.text


def test_a_planner_gets_the_post_s_candidates_among_their_agency(country: Country) -> None:
    posts = country.index.posts
    mine = posts.index[posts["agency_id"] == country.agency]
    other = posts.index[posts["agency_id"] != country.agency]
    version, ranker = placement_ranker(
        country.client.app.state.settings,  # type: ignore[attr-defined]
        country.index.as_of,
    )
    answered = 0
    for post in mine[:5]:
        response = country.client.get(
            f"/api/v1/national/positions/{post}/candidates",
            params={"k": 5},
            headers=country.headers["hr_planner"],
        )
        assert response.status_code == 200, response.text
        body = response.json()
        expected = country.index.search(post, ranker, 5, (country.agency,))
        assert [c["employee_id"] for c in body["items"]] == [e["employee_id"] for e in expected]
        assert {c["agency_id"] for c in body["items"]} <= {country.agency}
        assert body["model"] == {"name": "placement-success", "version": version}
        assert all(c["fit"] and c["eligible"] for c in body["items"])
        answered += len(body["items"])
    assert answered > 0
    outside = country.client.get(
        f"/api/v1/national/positions/{other[0]}/candidates", headers=country.headers["hr_planner"]
    )
    assert outside.status_code == 404
    asn = country.client.get(
        f"/api/v1/national/positions/{mine[0]}/candidates", headers=country.headers["asn"]
    )
    assert asn.status_code == 403


def test_an_admin_ranks_the_whole_country(country: Country) -> None:
    posts = country.index.posts
    post = posts.index[0]
    response = country.client.get(
        f"/api/v1/national/positions/{post}/candidates",
        params={"k": 10},
        headers=country.headers["admin"],
    )
    assert response.status_code == 200
    agencies = {c["agency_id"] for c in response.json()["items"]}
    assert len(agencies) > 1  # drawn from everywhere, not from the post's agency


def test_a_province_deployment_has_no_national_routes(served: ServiceSettings) -> None:
    paths = create_app(served).openapi()["paths"]
    assert "/api/v1/employees/{employee_id}/trainings" in paths
    assert not any("/national/" in path for path in paths)


def test_a_deployment_pointed_at_nothing_refuses_to_start(
    served: ServiceSettings, tmp_path: Path
) -> None:
    settings = served.model_copy(
        update={"national_answers_dir": str(tmp_path), "reload_poll_seconds": 0}
    )
    with pytest.raises(NationalUnavailable, match="run `jenjang batch score"):
        with TestClient(create_app(settings)):
            pass


def test_the_directory_finds_everyone_and_nobody_else(national_answers: Path) -> None:
    (folder,) = national_answers.glob("*/version=*/as_of=*/snapshot=*")
    answers = NationalAnswers(folder, regions_kept=1)
    table = read_answers(folder).drop_duplicates("employee_id")
    for row in table.sample(50, random_state=0).itertuples():
        assert answers.locate(row.employee_id) == (row.region, row.agency_id)
        assert answers.lookup(row.employee_id, 3)[0]["rank"] == 1  # across regions, LRU of 1
    assert answers.locate("E999999999") is None
    assert answers.locate("") is None


def _browser(country: Country, username: str) -> TestClient:
    browser = TestClient(country.client.app)
    signed = browser.post("/masuk", data={"username": username, "password": PASSWORD})
    assert signed.status_code == 200, signed.text[:300]
    return browser


def test_the_pages_show_an_asn_their_national_trainings(country: Country) -> None:
    browser = _browser(country, "national-asn")
    home = browser.get("/nasional", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].endswith(country.own)
    page = browser.get(f"/nasional/pegawai/{country.own}")
    assert page.status_code == 200
    stored = country.answers[country.answers["employee_id"] == country.own].sort_values("rank")
    assert stored["title_id"].iloc[0] in page.text  # the first course, in Bahasa Indonesia
    assert json.loads(stored["reasons"].iloc[0])[0]["text_id"] in page.text
    assert 'href="/nasional"' in page.text  # the menu offers the national pages
    assert browser.get(f"/nasional/pegawai/{country.colleague}").status_code == 404


def test_the_pages_show_a_planner_a_post_s_national_candidates(country: Country) -> None:
    browser = _browser(country, "national-hr-planner")
    home = browser.get("/nasional")
    assert home.status_code == 200 and 'name="posisi"' in home.text
    posts = country.index.posts
    _, ranker = placement_ranker(
        country.client.app.state.settings,  # type: ignore[attr-defined]
        country.index.as_of,
    )
    post = next(
        p
        for p in posts.index[posts["agency_id"] == country.agency]
        if country.index.search(p, ranker, 1, (country.agency,))
    )
    page = browser.get(f"/nasional/posisi/{post}")
    assert page.status_code == 200 and post in page.text
    best = country.index.search(post, ranker, 1, (country.agency,))[0]["employee_id"]
    assert f'href="/nasional/pegawai/{best}"' in page.text and 'class="fit"' in page.text
    other = posts.index[posts["agency_id"] != country.agency][0]
    assert browser.get(f"/nasional/posisi/{other}").status_code == 404
    assert browser.get(f"/nasional/pegawai/{country.outsider}").status_code == 404
