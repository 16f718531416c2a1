"""The web pages through the real app (HTTP level; test_browser.py drives them in chromium):
sign-in, the ASN's "Karier Saya", the language switch, feedback from the page, the planner's and
analyst's pages, refusals and error pages."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.factories.api import PASSWORD, Api

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
    # one bar per competency of the standard, and of the post in view that the standard lacks;
    # one required mark per competency of the standard
    assert html.count('class="level"') >= len(profile["competencies"])
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
    assert people and 'class="fit"' in page.text and f'href="/pegawai/{people[0]}"' in page.text
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
    from service.web.texts import TEXTS

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


def test_the_career_page_against_a_chosen_post_shows_routes(browser: TestClient, api: Api) -> None:
    _sign_in(browser, "test-asn")
    page = browser.get(f"/karier?ke={api.post}")
    assert page.status_code == 200 and 'id="rute"' in page.text
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    assert str(snapshot.position(api.post)["title"]) in page.text
    wanted = snapshot.competencies(snapshot.row(api.own), api.post)
    assert page.text.count('class="target"') == sum(r["required_level"] > 0 for r in wanted)
    # an old or mistyped link to a post is the page with a word about it, not a 404
    unknown = browser.get("/karier?ke=NO-SUCH-POST")
    assert unknown.status_code == 200 and 'id="rute"' not in unknown.text
    assert "Jabatan tujuan itu tidak ditemukan" in unknown.text


def test_a_persons_page_follows_the_api_scopes(browser: TestClient, api: Api) -> None:
    _sign_in(browser, "test-hr-planner")
    colleague = browser.get(f"/pegawai/{api.colleague}")
    assert colleague.status_code == 200 and api.colleague in colleague.text
    assert 'class="level"' in colleague.text and "Predikat kinerja" in colleague.text
    outside, missing = browser.get(f"/pegawai/{api.outsider}"), browser.get("/pegawai/E999")
    assert outside.status_code == missing.status_code == 404
    assert outside.text == missing.text and "tidak ditemukan" in missing.text  # same page
    browser.post("/keluar")
    _sign_in(browser, "test-asn")  # another person's page reads as missing
    assert browser.get(f"/pegawai/{api.colleague}").status_code == 404
    own = browser.get(f"/pegawai/{api.own}", follow_redirects=False)
    assert own.status_code == 303 and own.headers["location"] == "/karier"
    browser.post("/keluar")
    _sign_in(browser, "test-analyst")  # aggregates only
    assert browser.get(f"/pegawai/{api.colleague}").status_code == 403


def test_the_plan_page_fills_chosen_posts_or_says_what_is_wrong(
    browser: TestClient, api: Api
) -> None:
    _sign_in(browser, "test-hr-planner")
    form = browser.get("/rencana")
    assert form.status_code == 200 and f'value="{api.post}"' in form.text
    assert api.other_post not in form.text
    empty = browser.post("/rencana", data={})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    plan = browser.post("/rencana", data={"position_ids": [api.post]})
    assert plan.status_code == 200 and "placement-success v1" in plan.text
    # one post: the plan takes the candidates page's first (best eligible in scope) person
    ranked = re.findall(r'name="item_id" value="([^"]+)"', browser.get(f"/posisi/{api.post}").text)
    assigned = re.findall(r'<td data-employee="([^"]+)">', plan.text)
    assert assigned == ranked[:1]
    assert ("tidak terisi" in plan.text) == (not ranked)
    assert browser.post("/rencana", data={"position_ids": [api.other_post]}).status_code == 404
    too_many = browser.post("/rencana", data={"position_ids": [api.post] * 51})
    assert too_many.status_code == 422 and "position_ids" in too_many.text
    assert "text/html" in too_many.headers["content-type"]


def test_the_chance_of_success_says_what_it_means_in_both_languages(
    browser: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside the figure (its label links to it): what it estimates, and what it was
    calibrated on — or that this version is not calibrated (the small region's rounds hold too
    few failed placements to hold any out)."""
    from service.state.model_store import Loaded
    from service.web.texts import TEXTS
    from training.placement.model import Calibration

    _sign_in(browser, "test-hr-planner")
    page = html.unescape(browser.get(f"/posisi/{api.post}").text)
    assert 'href="#arti-peluang"' in page and 'id="arti-peluang"' in page
    for key in ("chance_meaning", "chance_not_calibrated", "chance_caution"):
        assert TEXTS["id"][key] in page, key
    plan = html.unescape(browser.post("/rencana", data={"position_ids": [api.post]}).text)
    assert TEXTS["id"]["chance_meaning"] in plan and TEXTS["id"]["plan_total_meaning"] in plan

    calibrated = Calibration((2023,), 163, 0.8405, 0.934, -1.01)
    monkeypatch.setattr(Loaded, "calibration", property(lambda self: calibrated))
    page = html.unescape(browser.get(f"/posisi/{api.post}").text)
    assert "dikalibrasi pada putaran penempatan 2023" in page
    assert "84% dari 163 pegawai" in page and TEXTS["id"]["chance_not_calibrated"] not in page
    browser.cookies.set("bahasa", "en")
    page = html.unescape(browser.get(f"/posisi/{api.post}").text)
    assert TEXTS["en"]["chance_meaning"] in page
    assert "calibrated on the 2023 placement round" in page and "84% of the 163 people" in page


def test_unknown_addresses_are_html_pages_and_api_errors_stay_json(browser: TestClient) -> None:
    page = browser.get("/no-such-page")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "tidak ditemukan" in page.text and 'href="/"' in page.text
    assert browser.put("/karier").status_code == 405
    api_error = browser.get("/api/v1/no-such-thing")
    assert api_error.status_code == 404 and api_error.json() == {"detail": "Not Found"}


def test_the_agency_list_follows_the_scope(browser: TestClient, api: Api) -> None:
    _sign_in(browser, "test-hr-planner")
    mine = browser.get("/instansi")
    assert mine.status_code == 200
    assert re.findall(r'href="/instansi/([^"]+)"', mine.text) == [api.agency]
    browser.post("/keluar")
    _sign_in(browser, "test-analyst")
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    every = re.findall(r'href="/instansi/([^"]+)"', browser.get("/instansi").text)
    assert sorted(every) == sorted(snapshot.agencies.index)
    browser.post("/keluar")
    _sign_in(browser, "test-asn")
    assert browser.get("/instansi").status_code == 403


def test_the_training_needs_of_an_agency(browser: TestClient, api: Api) -> None:
    """The page's most shared gap counts the same people as the shortfalls on the view's levels
    (last measured, else the family mean; profiles show the training champion's estimate)."""
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    frame = snapshot.view.frame
    people = frame.index[frame["agency_id"] == api.agency]
    counts: dict[str, int] = {}
    for person in people:
        for row in snapshot.profile(person)["competencies"]:
            if row["shortfall"] >= 0.5:
                counts[row["competency_code"]] = counts.get(row["competency_code"], 0) + 1
    top = max(counts.values())
    _sign_in(browser, "test-analyst")
    page = browser.get(f"/kebutuhan/{api.agency}")
    assert page.status_code == 200
    first = re.search(r"<h3>(\S+) ", page.text).group(1)  # type: ignore[union-attr]
    assert counts[first] == top
    assert f"{top} pegawai" in page.text
    done = snapshot.jp_this_year.reindex(people).fillna(0)
    below = done[done < 20]
    assert f"{len(below)} · {int(round((20 - below).sum()))} JP" in page.text
    assert browser.get("/kebutuhan/NO-SUCH-AGENCY").status_code == 404
    browser.post("/keluar")
    _sign_in(browser, "test-hr-planner")
    assert browser.get(f"/kebutuhan/{api.other_agency}").status_code == 404


def test_the_model_page_is_for_analysts_and_moves_need_a_reason(
    browser: TestClient, api: Api
) -> None:
    _sign_in(browser, "test-hr-planner")
    assert browser.get("/model").status_code == 403
    assert browser.post("/model/training-recs/kembalikan", data={"reason": "x"}).status_code == 403
    browser.post("/keluar")
    _sign_in(browser, "test-analyst")
    page = browser.get("/")
    assert page.url.path == "/model" and page.status_code == 200
    for name in ("training-recs", "placement-success"):
        assert f'<section id="{name}">' in page.text
    assert "v1 · penantang, juara" in page.text
    assert "fairness.learned.sex" in page.text  # the placement model's fairness report
    no_reason = browser.post("/model/training-recs/kembalikan", data={"reason": "  "})
    assert no_reason.status_code == 422 and "alasan" in no_reason.text.lower()
    nowhere = browser.post("/model/training-recs/kembalikan", data={"reason": "test"})
    assert nowhere.status_code == 409 and "no earlier champion" in nowhere.text
    assert browser.post("/model/no-such-model/promosi", data={"reason": "x"}).status_code == 404


def test_judgements_that_do_not_fit_are_refused_and_not_stored(
    browser: TestClient, api: Api
) -> None:
    _sign_in(browser, "test-asn")
    page = browser.get("/karier")
    suggestion = re.search(r'name="suggestion_id" value="([0-9a-f]{32})"', page.text).group(1)  # type: ignore[union-attr]
    course = re.search(r'name="item_id" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"suggestion_id": suggestion, "item_id": course, "reason": "x"}
    # an ASN on the planner's form: refused before anything is read
    planner_form = browser.post(
        f"/posisi/{api.post}/tanggapan", data=form | {"decision": "rejected"}
    )
    assert planner_form.status_code == 403
    # a planner's answer on a training suggestion
    wrong = browser.post("/karier/tanggapan", data=form | {"decision": "accepted"})
    assert wrong.status_code == 422 and "tidak berlaku" in wrong.text
    stale = browser.post(
        "/karier/tanggapan", data=form | {"decision": "interested", "suggestion_id": "0" * 32}
    )
    assert stale.status_code == 422 and "muat ulang" in stale.text
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT COUNT(*) FROM feedback WHERE suggestion_id = :s"), {"s": suggestion}
        ).scalar_one()
    assert rows == 0


def test_an_unknown_language_cookie_falls_back_to_indonesian(browser: TestClient) -> None:
    _sign_in(browser, "test-asn")
    browser.cookies.set("bahasa", "xx")
    page = browser.get("/karier")
    assert page.status_code == 200 and "<h1>Karier Saya</h1>" in page.text
    kept = browser.get(
        "/bahasa/en", headers={"referer": "http://testserver/karier?ke=X1"}, follow_redirects=False
    )
    assert kept.headers["location"] == "/karier?ke=X1"  # the post in view stays in view


def test_an_unexpected_error_on_a_page_is_a_page_with_a_reference(
    browser: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.state.snapshot import Snapshot

    def broken(self: Snapshot, agency_id: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Snapshot, "training_needs", broken)
    browser = TestClient(api.client.app, raise_server_exceptions=False)  # as a browser sees it
    _sign_in(browser, "test-analyst")
    page = browser.get(f"/kebutuhan/{api.agency}")
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert re.search(r"melapor: [0-9a-f]{12}", page.text) and "boom" not in page.text


def test_a_registry_that_fails_during_a_comparison_is_a_503_page(
    browser: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import TEMPORARILY_UNAVAILABLE

    from training import promotion

    def unreachable(*args: object, **kwargs: object) -> None:
        raise MlflowException("host db.internal:5000 refused", TEMPORARILY_UNAVAILABLE)

    monkeypatch.setattr(promotion, "compare", unreachable)
    _sign_in(browser, "test-analyst")
    page = browser.post("/model/training-recs/banding")
    assert page.status_code == 503 and "TEMPORARILY_UNAVAILABLE" in page.text
    assert "db.internal" not in page.text


def test_the_posts_list_pages_through_and_refuses_a_bad_page(browser: TestClient) -> None:
    _sign_in(browser, "test-hr-planner")
    first = browser.get("/posisi")
    total = int(re.search(r"–\d+ / (\d+)", first.text).group(1))  # type: ignore[union-attr]
    assert total > 0 and "halaman=2" not in first.text  # the small dataset fits on one page
    beyond = browser.get("/posisi?halaman=2")
    assert beyond.status_code == 200 and "/posisi/" not in beyond.text.split("<tbody>")[1]
    assert "halaman=1" in beyond.text  # a way back
    bad = browser.get("/posisi?halaman=0")
    assert bad.status_code == 422 and "halaman" in bad.text


def test_an_admin_downloads_the_import_templates_and_no_one_else(browser: TestClient) -> None:
    """The Excel templates of every table, in one .zip, from the admin's menu."""
    import io
    import zipfile

    _sign_in(browser, "test-admin")
    home = browser.get("/instansi")
    assert 'href="/impor/templat.zip"' in home.text
    answer = browser.get("/impor/templat.zip")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert "pegawai.xlsx" in names and "riwayat_jabatan.xlsx" in names
    browser.post("/keluar")
    _sign_in(browser, "test-hr-planner")
    assert 'href="/impor/templat.zip"' not in browser.get("/instansi").text
    assert browser.get("/impor/templat.zip").status_code == 403
    browser.post("/keluar")
    signed_out = browser.get("/impor/templat.zip", follow_redirects=False)
    assert signed_out.status_code in (302, 303, 307) and "masuk" in signed_out.headers["location"]
