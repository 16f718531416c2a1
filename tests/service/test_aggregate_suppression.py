"""Small cells of aggregates (k-anonymity, `service.access.disclosure`): an analyst without a
grant sees no count of 1–4 people in any agency's talent boxes or training needs, in the API or
on the pages; a withheld cell reads as withheld (null with a reason, "x" on a page), never 0; and
the withheld cells of a table cannot be worked out from its total. Whoever may see the people one
by one gets exact counts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from service.access.disclosure import share, suppress
from tests.factories.api import PASSWORD, Api

MINIMUM = 5  # the default JENJANG_MIN_CELL_SIZE, which the test app keeps
WITHHELD = r'<abbr class="withheld" title="[^"]*">x</abbr>'


def _safe(counts: dict[int, int], shown: dict[int, int | None], minimum: int) -> None:
    """What a reader of `shown` who knows the total learns cannot single anyone out."""
    hidden = [box for box, count in shown.items() if count is None]
    assert all(shown[box] == counts[box] for box in counts if box not in hidden)  # no other change
    assert all(shown[box] == 0 or shown[box] >= minimum for box in counts if box not in hidden)
    if not hidden or len(hidden) == len(counts):
        return
    # the total minus the cells shown is what the withheld cells hold together; each holds at
    # least 1 (zeros are shown), so one of them holds at most that minus the others' 1 each
    together = sum(counts.values()) - sum(shown[box] or 0 for box in counts)
    assert len(hidden) >= 2 and together - (len(hidden) - 1) >= minimum
    assert all(counts[box] > 0 for box in hidden)  # a withheld zero would point at the others


def test_a_single_small_cell_takes_the_smallest_shown_cell_with_it() -> None:
    counts = {0: 0, 1: 1, 2: 0, 3: 9, 4: 0, 5: 6, 6: 0, 7: 0, 8: 0, 9: 0}
    shown = suppress(counts, MINIMUM)
    assert shown == counts | {1: None, 5: None}  # 6, not 9: the least information lost
    _safe(counts, shown, MINIMUM)


def test_small_cells_that_together_stay_small_take_a_shown_cell_with_them() -> None:
    counts = {1: 1, 2: 1, 3: 12, 4: 30}  # 1 and 1: together 2, each exactly 1
    shown = suppress(counts, MINIMUM)
    assert shown == {1: None, 2: None, 3: None, 4: 30}
    _safe(counts, shown, MINIMUM)


def test_small_cells_large_enough_together_are_withheld_alone() -> None:
    counts = {1: 4, 2: 3, 3: 20}  # 7 together: either may hold 6
    assert suppress(counts, MINIMUM) == {1: None, 2: None, 3: 20}


def test_a_table_that_cannot_be_protected_is_withheld_whole() -> None:
    counts = {0: 0, 1: 1, 2: 1, 3: 1}  # 3 people in 3 boxes: each must hold exactly 1
    assert suppress(counts, MINIMUM) == dict.fromkeys(counts)


def test_whoever_may_see_the_people_gets_exact_counts() -> None:
    counts = {1: 1, 2: 2, 3: 0}
    assert suppress(counts, None) == counts
    assert share(1, 9, None) == 1


@pytest.mark.parametrize(
    ("count", "total", "shown"),
    [(6, 20, 6), (3, 20, None), (17, 20, None), (20, 20, 20), (0, 20, 0), (7, 9, None)],
)
def test_a_yes_no_split_withholds_a_small_side_either_way(
    count: int, total: int, shown: int | None
) -> None:
    assert share(count, total, MINIMUM) == shown


@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=10),
    st.integers(min_value=2, max_value=11),
)
def test_no_table_gives_away_a_small_cell(cells: list[int], minimum: int) -> None:
    counts = dict(enumerate(cells))
    _safe(counts, suppress(counts, minimum), minimum)


# --- the service -----------------------------------------------------------------------------


def _snapshot(api: Api):  # type: ignore[no-untyped-def]
    return api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]


def _boxes(api: Api, role: str, agency: str) -> dict:  # type: ignore[type-arg]
    answer = api.client.get(f"/api/v1/agencies/{agency}/talent-boxes", headers=api.headers[role])
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


@pytest.mark.slow
def test_the_analyst_sees_no_small_cell_of_any_agency_in_the_api(api: Api) -> None:
    snapshot = _snapshot(api)
    withheld = secondary = 0
    for agency in snapshot.agencies.index:
        truth = snapshot.talent_distribution(agency)
        body = _boxes(api, "analyst", agency)
        shown = {int(box): count for box, count in body["boxes"].items()}
        assert body["people"] == sum(truth.values()) and body["min_cell_size"] == MINIMUM
        _safe(truth, shown, MINIMUM)
        hidden = {box for box, count in shown.items() if count is None}
        assert {int(box) for box in body["withheld"]} == hidden
        assert all("fewer than 5 people" in why for why in body["withheld"].values())
        withheld += len(hidden)
        secondary += sum(1 for box in hidden if truth[box] >= MINIMUM)
    # the dataset has small offices: cells are withheld, some of them to protect another
    assert withheld > 0 and secondary > 0


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "hr_planner", "granted_analyst"])
def test_who_may_see_the_people_gets_exact_counts(api: Api, role: str) -> None:
    body = _boxes(api, role, api.agency)
    truth = _snapshot(api).talent_distribution(api.agency)
    assert {int(box): count for box, count in body["boxes"].items()} == truth
    assert body["min_cell_size"] is None and body["withheld"] == {}


@pytest.fixture
def analyst(api: Api) -> TestClient:
    browser = TestClient(api.client.app)
    answer = browser.post("/masuk", data={"username": "test-analyst", "password": PASSWORD})
    assert answer.status_code == 200, answer.text[:300]
    return browser


@pytest.mark.slow
def test_the_analysts_nine_box_pages_show_the_apis_cells(analyst: TestClient, api: Api) -> None:
    snapshot = _snapshot(api)
    marked = 0
    for agency in snapshot.agencies.index:
        page = analyst.get(f"/instansi/{agency}")
        assert page.status_code == 200
        cells = dict(re.findall(r'class="box"[^>]*><title>(\d): (x|\d+)</title>', page.text))
        api_cells = _boxes(api, "analyst", agency)["boxes"]
        assert cells == {b: "x" if c is None else str(c) for b, c in api_cells.items() if b != "0"}
        no_box = re.search(r"belum punya kotak: (\d+|" + WITHHELD + ")", page.text)
        assert no_box is not None
        assert no_box.group(1) == str(api_cells["0"]) or api_cells["0"] is None
        if "x" in cells.values() or api_cells["0"] is None:
            marked += 1
            assert "kurang dari 5 orang" in page.text  # the page says why
    assert marked > 0


def _needs_counts(page: str) -> tuple[int, list[str], list[str], list[tuple[str, str]]]:
    """From a needs page: the agency's people, people below the JP right and their JP, each
    gap's people, each course's participants and JP."""
    number = r"(\d+|" + WITHHELD + ")"
    people = int(re.search(r"<dd>(\d+)</dd>", page).group(1))  # type: ignore[union-attr]
    below = re.search(rf"<dd>{number} · {number} JP", page)
    assert below is not None
    gaps = re.findall(rf"<p>{number} pegawai", page)
    courses = re.findall(rf"</span></td><td>\d+</td><td>{number}</td><td>{number}</td>", page)
    return people, [below.group(1), below.group(2)], gaps, courses


def _small(value: str, total: int) -> bool:
    """Whether a shown count, or the rest of its total, is a cell of 1–4 people."""
    if not value.isdigit():
        return False
    return 0 < int(value) < MINIMUM or 0 < total - int(value) < MINIMUM


@pytest.mark.slow
def test_the_analysts_needs_pages_show_no_small_cell(analyst: TestClient, api: Api) -> None:
    snapshot = _snapshot(api)
    marked = 0
    for agency in snapshot.agencies.index:
        page = analyst.get(f"/kebutuhan/{agency}")
        assert page.status_code == 200
        people, (below, jp), gaps, courses = _needs_counts(page.text)
        assert not _small(below, people) and (below.isdigit() == jp.isdigit())
        assert not any(_small(gap, people) for gap in gaps)
        for participants, jp_total in courses:
            assert not (participants.isdigit() and int(participants) < MINIMUM)
            assert participants.isdigit() == jp_total.isdigit()
        if "withheld" in page.text:
            marked += 1
            assert "kurang dari 5 orang" in page.text
    assert marked > 0
