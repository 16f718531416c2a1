"""The pages speak the reader's language: a crawler signs in as each role, follows the menus and
their links (and the two forms that show more: a plan, a comparison of model versions), and
reads every page's visible text. An Indonesian page shows no code of the reference vocabularies,
no metric key, no English word that once leaked, and writes decimals with a comma; an English
page shows no code either and writes decimals with a point.

Rules, stated once:
- Visible text is the text between tags, less scripts and styles (SVG tooltips count); attribute
  values do not.
- A code is a value of a reference table's code column (vocabularies, position families, fields,
  occupations, ratings, talent tiers) or a model's metric key, unless it is an ordinary
  Indonesian word (it appears in some Indonesian label or page text: "pelaksana", "baik"); it
  counts only as a whole token written as the code is (case and underscores).
- Indonesian numbers: a point between digits is allowed only as a thousands separator
  ("1.250", never after a leading 0) and in a time of day after a date ("12 Mar 2025 14.05");
  competency codes (M.06, T.PEM.06) have a letter before their point, so they never match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from features import reference
from service.web.texts import TEXTS
from tests.factories.api import PASSWORD, Api

pytestmark = pytest.mark.slow

#: English words that once reached the Indonesian pages (issue 15).
ENGLISH = (
    "technical",
    "managerial",
    "leadership",
    "functional",
    "coverage",
    "fairness",
    "learned",
    "baseline",
    "champion",
    "challenger",
    "impact",
    "ratio",
    "precision",
    "recall",
)

ROLES = ("test-asn", "test-hr-planner", "test-analyst", "test-granted-analyst", "test-admin")
#: Pages read per role at most, and per kind of page (a route with its query's names).
VISITS, PER_ROUTE = 60, 2
#: Addresses that are not pages to read: assets, the language switch, downloads, the API.
NOT_PAGES = ("/static", "/bahasa", "/impor", "/api", "/keluar", "/docs", "/openapi")

DECIMAL_POINT = re.compile(r"\S*\d\.\d\S*")
THOUSANDS = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\d.]|,\d)")
TIME_AFTER_DATE = re.compile(r"\d{4},? \d{1,2}\.\d{2}(?:\.\d{2})?")
DECIMAL_COMMA = re.compile(r"\S*\d,\d\S*")
THOUSANDS_EN = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,]|\.\d)")


class _Visible(HTMLParser):
    """The text a reader sees: data outside scripts and styles, tags read as spaces."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style")
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    reader = _Visible()
    reader.feed(html)
    return re.sub(r"\s+", " ", "".join(reader.parts))


def ordinary_words(language: str) -> set[str]:
    """Every word of the labels and page texts of `language` (lower case): codes that are
    words of the page's language ("pelaksana", "functional") are not leaks there."""
    texts = list(TEXTS[language].values())
    for name in reference.names():
        table = reference.load(name)
        for column in table.columns:
            if column.endswith(f"_{language}") and column not in ("course_id", "rule_id"):
                texts += [str(v) for v in table[column].dropna()]
    return {w.lower() for text in texts for w in re.findall(r"[\w-]+", text)}


def vocabulary_codes(language: str = "id") -> set[str]:
    """The codes of the reference vocabularies that are not ordinary words of `language`."""
    columns = {
        "vocabularies": "value",
        "position_families": "family",
        "fields": "field",
        "occupations": "occupation",
        "ratings": "rating",
        "talent_boxes": "performance_tier",
    }
    codes = {str(v) for table, column in columns.items() for v in reference.load(table)[column]}
    codes |= {str(v) for v in reference.load("position_families")["kind"]}
    words = ordinary_words(language)
    return {c for c in codes if len(c) > 2 and c.lower() not in words}


def metric_keys(api: Api) -> set[str]:
    """Every metric key the served models logged (ndcg_at_10, fairness.learned.sex...) and the
    names the promotion gate reads them by (ndcg@10, auc)."""
    from service.state.model_store import MODEL_NAMES
    from training import promotion, registry

    client = registry.configure(api.client.app.state.settings)  # type: ignore[attr-defined]
    keys = {
        m for name in MODEL_NAMES for v in registry.versions(client, name) for m in v["metrics"]
    }
    gated = {m for name in MODEL_NAMES for m in promotion.kind_of(name).gated}  # ndcg@10, auc
    return {m for m in keys if re.search(r"[._]", m)} | gated  # "people" is a word too


def _route(url: str) -> str:
    """A page's kind: its path with ids blanked, and the names of its query."""
    parts = urlsplit(url)
    segments = parts.path.strip("/").split("/")
    shape = "/".join(segments[:1] + ["*"] * (len(segments) - 1))
    names = sorted(p.split("=")[0] for p in parts.query.split("&") if p)
    return f"/{shape}?{'&'.join(names)}"


def crawl(browser: TestClient, start: str = "/") -> Iterator[tuple[str, str]]:
    """(address, html) of every page reachable from `start` by same-site links, within the
    visit limits."""
    queue, seen, per_route = [start], {start}, {}  # type: ignore[var-annotated]
    visits = 0
    while queue and visits < VISITS:
        url = queue.pop(0)
        route = _route(url)
        if per_route.get(route, 0) >= PER_ROUTE:
            continue
        per_route[route] = per_route.get(route, 0) + 1
        answer = browser.get(url)
        visits += 1
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        here = str(answer.url)
        yield here, answer.text
        for href in re.findall(r'href="([^"]+)"', answer.text):
            target = urljoin(here, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            address = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.netloc != "testserver" or address.startswith(NOT_PAGES) or address in seen:
                continue
            seen.add(address)
            queue.append(address)


def _forms(browser: TestClient, role: str, html_of: dict[str, str]) -> Iterator[tuple[str, str]]:
    """The pages behind the two forms that show more than a link does: a placement plan of
    the first posts offered, and a comparison of a model's versions."""
    plan_form = html_of.get("http://testserver/rencana", "")
    chosen = re.findall(r'name="position_ids" value="([^"]+)"', plan_form)[:3]
    if chosen:
        yield "POST /rencana", browser.post("/rencana", data={"position_ids": chosen}).text
    if role in ("test-analyst", "test-admin"):
        answer = browser.post("/model/placement-success/banding")
        yield "POST /model/placement-success/banding", answer.text


def pages(api: Api, role: str, language: str) -> list[tuple[str, str]]:
    browser = TestClient(api.client.app)
    browser.cookies.set("bahasa", language)
    answer = browser.post("/masuk", data={"username": role, "password": PASSWORD})
    assert answer.status_code == 200, answer.text[:300]
    read = dict(crawl(browser))
    return [*read.items(), *_forms(browser, role, read)]


def leaks(text: str, codes: set[str], words: tuple[str, ...]) -> list[str]:
    """The codes and words of `text` a reader should not see."""
    found = [c for c in codes if re.search(rf"(?<![\w.@-]){re.escape(c)}(?![\w@-])", text)]
    found += [w for w in words if re.search(rf"\b{w}\b", text, re.IGNORECASE)]
    return sorted(found)


def bad_decimals(text: str, language: str) -> list[str]:
    """Numbers written with the other language's decimal mark."""
    if language == "id":
        cleared = THOUSANDS.sub("#", TIME_AFTER_DATE.sub("#", text))
        mark = DECIMAL_POINT
    else:
        cleared, mark = THOUSANDS_EN.sub("#", text), DECIMAL_COMMA
    return mark.findall(cleared)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("language", ["id", "en"])
def test_pages_show_words_not_codes_and_local_numbers(api: Api, role: str, language: str) -> None:
    codes = vocabulary_codes(language) | metric_keys(api)
    english = ENGLISH if language == "id" else ()
    read = pages(api, role, language)
    assert len(read) >= 2, [address for address, _ in read]  # the crawler found the menu's pages
    problems = {}
    for address, html in read:
        text = visible_text(html)
        found = leaks(text, codes, english) + bad_decimals(text, language)
        if found:
            problems[address] = found
    assert not problems, problems


def test_the_vocabulary_of_codes_holds_the_leaks_of_issue_15() -> None:
    codes = vocabulary_codes()
    assert {"technical", "socio_cultural", "jpt_pratama", "leadership"} <= codes
    assert not {"pelaksana", "baik", "administrator"} & codes  # ordinary Indonesian words
    text = visible_text("<p title='jpt_pratama'>JPT Pratama (technical, 60 JP) 3.2 0,8</p>")
    assert leaks(text, codes, ENGLISH) == ["technical", "technical"]
    assert bad_decimals(text, "id") == ["3.2"]
    assert bad_decimals("1.250 JP · 12 Mar 2025 14.05 · M.06 · 0,065", "id") == []
    assert bad_decimals("0.065", "id") == ["0.065"]


def test_metric_keys_read_as_words_in_both_languages() -> None:
    from service.web.labels import metric_label

    key = "fairness.learned.age_band.min_impact_ratio_at_5"
    assert metric_label(key, "id") == (
        "model terlatih: Rasio dampak terkecil menurut kelompok usia di 5 teratas"
    )
    assert (
        metric_label(key, "en") == "learned model: Smallest impact ratio by age band in the top 5"
    )
    assert metric_label("coverage_at_10", "id") == "Cakupan katalog di 10 teratas"
    assert metric_label("ndcg@10", "en") == "NDCG (ranking quality) in the top 10"
    assert metric_label("family.jpt_pratama.true_success_at_1", "id") == (
        "JPT Pratama: Keberhasilan sebenarnya di peringkat pertama"
    )
    assert metric_label("baseline.popularity.recall_at_10", "en") == (
        "Recall in the top 10 — popularity"
    )
    assert metric_label("something_new_at_3", "id") == "something_new_at_3"  # the test names it


def test_every_fairness_figure_below_its_threshold_is_flagged(api: Api) -> None:
    """The model page marks each smallest impact ratio under 0.8 (the four-fifths rule the
    page states), and no other figure."""
    from training.fairness import FOUR_FIFTHS

    browser = TestClient(api.client.app)
    browser.post("/masuk", data={"username": "test-analyst", "password": PASSWORD})
    html = browser.get("/model").text
    rows = re.findall(r'<tr[^>]*><th scope="row" title="([^"]+)">.*?</tr>', html, re.DOTALL)
    cells = re.findall(
        r'<tr[^>]*><th scope="row" title="[^"]+">.*?</th>(.*?)</tr>', html, re.DOTALL
    )
    flagged, clear = [], []
    for key, row in zip(rows, cells, strict=True):
        for cell in re.findall(r"<td([^>]*)>(.*?)</td>", row, re.DOTALL):
            value = float(visible_text(cell[1]).split()[0].replace(",", ".").replace("–", "nan"))
            failing = key.startswith("fairness.") and value < FOUR_FIFTHS
            (flagged if failing else clear).append(cell)
    assert flagged, "the served models have fairness ratios under 0.8 (0 by age band)"
    assert all('class="failing"' in attrs and "di bawah ambang" in text for attrs, text in flagged)
    assert not [cell for cell in clear if "failing" in cell[0]]


def test_the_page_threshold_is_the_fairness_reports() -> None:
    """The model page flags against the same four-fifths rule the fairness report applies."""
    from service.web import labels
    from training.fairness import FOUR_FIFTHS

    assert labels.FOUR_FIFTHS == FOUR_FIFTHS
