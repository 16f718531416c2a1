"""The web pages through the real app (HTTP level; the browser tests come with issue 6's rest):
sign-in, the ASN's "Karier Saya", the language switch, feedback from the page, refusals."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from api_client import PASSWORD, Api
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow


@pytest.fixture
def browser(api: Api) -> TestClient:
    """A fresh cookie jar on the running app (its lifespan already ran)."""
    return TestClient(api.client.app)


def _sign_in(browser: TestClient, username: str) -> None:
    answer = browser.post("/masuk", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text[:300]


def test_signing_in_leads_an_asn_to_their_career_page(browser: TestClient, api: Api) -> None:
    first = browser.get("/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/masuk"
    signed = browser.post(
        "/masuk", data={"username": "test-asn", "password": PASSWORD}, follow_redirects=False
    )
    assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
    page = browser.get("/")
    assert page.url.path == "/karier" and page.status_code == 200
    html = page.text
    assert "<h1>Karier Saya</h1>" in html and 'lang="id"' in html
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    profile = snapshot.profile(api.own)
    assert profile["position"]["title"] in html
    # one bar and one required mark per competency of the standard
    assert html.count('class="level"') == len(profile["competencies"])
    assert html.count('class="required"') == len(profile["competencies"])
    assert "training-recs v1" in html  # the model version beside the suggestions
    assert html.count('name="item_id"') == 10


def test_wrong_password_is_a_visible_message(browser: TestClient) -> None:
    answer = browser.post("/masuk", data={"username": "test-asn", "password": "not it at all"})
    assert answer.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in answer.text
    assert "jenjang_sesi" not in browser.cookies


def test_the_language_switch_keeps_the_page(browser: TestClient) -> None:
    _sign_in(browser, "test-asn")
    english = browser.get("/bahasa/en", headers={"referer": "http://testserver/karier"})
    assert english.url.path == "/karier" and "<h1>My career</h1>" in english.text
    assert 'lang="en"' in english.text
    back = browser.get("/bahasa/id", headers={"referer": "https://elsewhere.example/x"})
    assert back.url.path == "/karier"  # never sent off the site
    assert browser.get("/bahasa/fr").status_code == 404


def test_not_relevant_needs_a_reason_and_is_stored(browser: TestClient, api: Api) -> None:
    _sign_in(browser, "test-asn")
    html = browser.get("/karier").text
    suggestion = re.search(r'name="suggestion_id" value="([0-9a-f]{32})"', html).group(1)  # type: ignore[union-attr]
    course = re.search(r'name="item_id" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {"suggestion_id": suggestion, "item_id": course, "decision": "not_relevant"}
    refused = browser.post("/karier/tanggapan", data=form)
    assert refused.status_code == 422 and 'class="error"' in refused.text
    saved = browser.post("/karier/tanggapan", data=form | {"reason": "sudah ikut yang serupa"})
    assert saved.status_code == 200 and 'class="notice"' in saved.text
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT decision, reason FROM feedback WHERE suggestion_id = :s"),
            {"s": suggestion},
        ).one()
    assert tuple(row) == ("not_relevant", "sudah ikut yang serupa")


def test_other_roles_and_strangers_cannot_open_the_asn_page(browser: TestClient) -> None:
    assert browser.get("/karier", follow_redirects=False).headers["location"] == "/masuk"
    _sign_in(browser, "test-hr-planner")
    refused = browser.get("/karier")
    assert refused.status_code == 403 and "tidak berhak" in refused.text
    browser.post("/keluar")
    assert "jenjang_sesi" not in browser.cookies
    assert browser.get("/karier", follow_redirects=False).status_code == 303


def test_every_asset_is_served_locally(browser: TestClient) -> None:
    _sign_in(browser, "test-asn")
    html = browser.get("/karier").text
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links and not [link for link in links if link.startswith(("http:", "https:", "//"))]
    assert browser.get("/static/style.css").status_code == 200


def test_a_planner_sees_posts_and_candidates_and_accepts_one(browser: TestClient, api: Api) -> None:
    _sign_in(browser, "test-hr-planner")
    listing = browser.get("/")
    assert listing.url.path == "/posisi" and f'href="/posisi/{api.post}"' in listing.text
    assert api.other_post not in listing.text  # only the planner's agencies
    page = browser.get(f"/posisi/{api.post}")
    assert page.status_code == 200 and "placement-success v1" in page.text
    people = re.findall(r'name="item_id" value="([^"]+)"', page.text)
    assert people and 'class="fit"' in page.text
    suggestion = re.search(r'name="suggestion_id" value="([0-9a-f]{32})"', page.text).group(1)  # type: ignore[union-attr]
    form = {"suggestion_id": suggestion, "item_id": people[0]}
    refused = browser.post(f"/posisi/{api.post}/tanggapan", data=form | {"decision": "rejected"})
    assert refused.status_code == 422 and 'class="error"' in refused.text
    accepted = browser.post(f"/posisi/{api.post}/tanggapan", data=form | {"decision": "accepted"})
    assert accepted.status_code == 200 and 'class="notice"' in accepted.text
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        decision = connection.execute(
            sa.text("SELECT decision FROM feedback WHERE suggestion_id = :s AND item_id = :i"),
            {"s": suggestion, "i": people[0]},
        ).scalar_one()
    assert decision == "accepted"


def test_a_planner_cannot_open_a_post_outside_the_scope(browser: TestClient, api: Api) -> None:
    _sign_in(browser, "test-hr-planner")
    outside = browser.get(f"/posisi/{api.other_post}")
    missing = browser.get("/posisi/NO-SUCH-POST")
    assert outside.status_code == missing.status_code == 404
    browser.post("/keluar")
    _sign_in(browser, "test-asn")
    assert browser.get(f"/posisi/{api.post}").status_code == 403
    assert browser.get("/posisi").status_code == 403


def test_both_languages_have_every_text() -> None:
    from service.texts import TEXTS

    assert set(TEXTS["id"]) == set(TEXTS["en"])
    assert all(TEXTS["id"][key] and TEXTS["en"][key] for key in TEXTS["id"])


def test_the_nine_box_and_pool_of_an_agency(browser: TestClient, api: Api) -> None:
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    counts = snapshot.talent_distribution(api.agency)
    _sign_in(browser, "test-hr-planner")
    page = browser.get(f"/instansi/{api.agency}")
    assert page.status_code == 200 and page.text.count('class="box"') == 9
    for box in range(1, 10):
        assert f"<title>{box}: {counts[box]}</title>" in page.text
    assert "Kelompok rencana suksesi" in page.text  # the planner may see people
    assert browser.get(f"/instansi/{api.other_agency}").status_code == 404
    browser.post("/keluar")
    _sign_in(browser, "test-analyst")  # aggregates of any agency, no people
    other = browser.get(f"/instansi/{api.other_agency}")
    assert other.status_code == 200 and 'class="box"' in other.text
    assert "Kelompok rencana suksesi" not in other.text
    browser.post("/keluar")
    _sign_in(browser, "test-asn")
    assert browser.get(f"/instansi/{api.agency}").status_code == 403
