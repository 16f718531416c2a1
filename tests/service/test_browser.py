"""The pages in a real browser: Playwright drives Debian's chromium (/usr/bin/chromium, installed
by the Makefile and .ci/run; no browser is downloaded) against the app served by uvicorn on
127.0.0.1. Screenshots of the main pages go to tests/artifacts/screenshots/ (not committed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from service.settings import ServiceSettings
from tests.factories.api import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    url: str
    engine: sa.Engine
    own: str  # the browser-asn account's employee
    colleague: str  # same agency
    agency: str
    post: str  # a structural post of `agency` with eligible candidates


@pytest.fixture(scope="module")
def site(served: ServiceSettings) -> Iterator[Site]:
    """The app on a free port of 127.0.0.1, with one account per role."""
    from service.access.accounts import create_user
    from service.app import create_app

    app = create_app(served)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.2)
    try:
        snapshot = app.state.models.current().snapshot
        frame = snapshot.view.frame
        eligible = snapshot.view.eligibility("pengawas").eligible.to_numpy(dtype=bool)
        posts = snapshot.positions[snapshot.positions["family"] == "pengawas"]
        counts = frame["agency_id"][eligible].value_counts()
        agency = next(a for a in counts.index if (posts["agency_id"] == a).any())
        people = frame.index[frame["agency_id"] == agency]
        engine = app.state.engine
        for role, scope in (
            ("asn", {"employee_id": str(people[0])}),
            ("hr_planner", {"agencies": (agency,)}),
            ("analyst", {}),
            ("admin", {}),
        ):
            create_user(engine, f"browser-{role.replace('_', '-')}", PASSWORD, role, **scope)  # type: ignore[arg-type]
        yield Site(
            url=f"http://127.0.0.1:{port}",
            engine=engine,
            own=str(people[0]),
            colleague=str(people[1]),
            agency=agency,
            post=str(posts.index[posts["agency_id"] == agency][0]),
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: `apt-get install chromium`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


def _signed_in(chromium: Browser, site: Site, role: str, phone: bool = False) -> Page:
    context = chromium.new_context(
        base_url=site.url, viewport=PHONE if phone else {"width": 1200, "height": 900}
    )
    page = context.new_page()
    page.goto("/masuk")
    page.get_by_label("Nama pengguna").fill(f"browser-{role.replace('_', '-')}")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    return page


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


@pytest.mark.parametrize(
    ("role", "path", "heading"),
    [
        ("asn", "/karier", "Karier Saya"),
        ("hr_planner", "/posisi", "Jabatan dan lowongan"),
        ("analyst", "/model", "Model"),
        ("admin", "/instansi", "Instansi"),
    ],
)
def test_each_role_lands_on_its_page(
    chromium: Browser, site: Site, role: str, path: str, heading: str
) -> None:
    page = _signed_in(chromium, site, role)
    expect(page).to_have_url(site.url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    _shoot(page, f"{role}-start")
    page.context.close()


def test_the_main_pages_render_and_are_captured(chromium: Browser, site: Site) -> None:
    """The planner's and analyst's working pages, each with its chart or model version."""
    planner = _signed_in(chromium, site, "hr_planner")
    planner.goto(f"/posisi/{site.post}")
    expect(planner.get_by_text("placement-success v1").first).to_be_visible()
    _shoot(planner, "planner-candidates")
    planner.goto(f"/instansi/{site.agency}")
    expect(planner.locator("svg.ninebox rect.box")).to_have_count(9)
    _shoot(planner, "planner-agency-9box")
    planner.goto("/rencana")
    planner.locator(f'input[value="{site.post}"]').check()
    planner.get_by_role("button", name="Buat rencana").click()
    expect(planner.get_by_text("placement-success v1").first).to_be_visible()
    _shoot(planner, "planner-plan")
    planner.context.close()

    analyst = _signed_in(chromium, site, "analyst")
    expect(analyst.locator("section#training-recs table.compare").first).to_be_visible()
    _shoot(analyst, "analyst-models")
    analyst.goto(f"/kebutuhan/{site.agency}")
    expect(analyst.locator("article.gap").first).to_be_visible()
    _shoot(analyst, "analyst-training-needs")
    analyst.context.close()


def test_an_asn_cannot_open_another_persons_page(chromium: Browser, site: Site) -> None:
    page = _signed_in(chromium, site, "asn")
    answer = page.goto(f"/pegawai/{site.colleague}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("alert")).to_have_text("Halaman atau data tidak ditemukan.")
    answer = page.goto(f"/posisi/{site.post}")
    assert answer is not None and answer.status == 403
    page.goto(f"/pegawai/{site.own}")  # one's own is "Karier Saya"
    expect(page).to_have_url(site.url + "/karier")
    page.context.close()


def test_a_planner_accepts_a_candidate_and_the_feedback_is_stored(
    chromium: Browser, site: Site
) -> None:
    page = _signed_in(chromium, site, "hr_planner")
    page.goto(f"/posisi/{site.post}")
    page.locator("ol.items > li").first.get_by_role("button", name="Tolak").click()
    expect(page.get_by_role("alert")).to_contain_text("wajib")  # a rejection needs a reason
    first = page.locator("ol.items > li").first  # the page shown again, a new suggestion
    person = first.locator('input[name="item_id"]').get_attribute("value")
    suggestion = first.locator('input[name="suggestion_id"]').get_attribute("value")
    first.get_by_role("button", name="Terima").click()
    expect(page.get_by_role("status")).to_have_text("Terima kasih, tanggapan Anda tersimpan.")
    with site.engine.connect() as connection:
        stored = connection.execute(
            sa.text(
                "SELECT decision, reason FROM feedback WHERE suggestion_id = :s AND item_id = :i"
            ),
            {"s": suggestion, "i": person},
        ).one()
    assert tuple(stored) == ("accepted", None)
    page.context.close()


def test_the_language_switch_works_and_is_remembered(chromium: Browser, site: Site) -> None:
    page = _signed_in(chromium, site, "asn")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My career")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("My career")
    _shoot(page, "asn-career-english")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Karier Saya")
    page.context.close()


@pytest.mark.parametrize(("role", "path"), [("asn", "/karier"), ("hr_planner", "/posisi/{post}")])
def test_pages_fit_a_phone_width_screen(
    chromium: Browser, site: Site, role: str, path: str
) -> None:
    page = _signed_in(chromium, site, role, phone=True)
    page.goto(path.format(post=site.post))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways on a phone: {width}px"
    _shoot(page, f"phone-{role}")
    page.context.close()


@pytest.mark.parametrize("phone", [False, True])
def test_not_relevant_is_secondary_and_its_reason_box_shows_the_whole_placeholder(
    chromium: Browser, site: Site, phone: bool
) -> None:
    """ "Tertarik" is the main action, "Tidak relevan" the secondary one; the reason box is
    wide enough for "Alasan (wajib untuk 'tidak relevan')", on a desktop and on a phone."""
    page = _signed_in(chromium, site, "asn", phone=phone)
    form = page.locator("ol.items form").first
    not_relevant = form.get_by_role("button", name="Tidak relevan")
    assert "secondary" in (not_relevant.get_attribute("class") or "")
    assert "secondary" not in (
        form.get_by_role("button", name="Tertarik").get_attribute("class") or ""
    )
    room, text = form.locator('input[name="reason"]').evaluate(
        """box => {
            const style = getComputedStyle(box);
            const pen = document.createElement('canvas').getContext('2d');
            pen.font = style.font;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return [box.clientWidth - padding, pen.measureText(box.placeholder).width];
        }"""
    )
    assert text <= room, f"the placeholder needs {text:.0f}px, the box shows {room:.0f}px"
    page.context.close()


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/docs", "#swagger-ui .opblock"),  # one block per operation
        ("/redoc", ".api-content h2"),  # one heading per operation
    ],
)
def test_the_api_docs_work_with_the_network_blocked(
    chromium: Browser, site: Site, path: str, rendered: str
) -> None:
    """Swagger UI and ReDoc render the API's operations when nothing outside the service can be
    reached: every request to another host is refused, and none is even attempted."""
    context = chromium.new_context(base_url=site.url)
    outside: list[str] = []

    def only_the_service(route: Route) -> None:
        if route.request.url.startswith(site.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_service)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    answer = page.goto(path)
    assert answer is not None and answer.status == 200
    expect(page.locator(rendered).first).to_be_visible()
    assert page.locator(rendered).count() >= 10
    expect(page.get_by_text("/api/v1/auth/token").first).to_be_attached()
    _shoot(page, f"api-docs{path.replace('/', '-')}")
    assert outside == [] and errors == []
    context.close()
