"""Vacancy search across the country: the index's top k is the province ranking over everyone.

Brute force here is the province path itself: `rank_candidates` over one in-memory view of the
whole (small) country, every eligible person scored. The index holds only the eligible of each
family, built region by region on Spark with the country's level means; searching it must give
the same people in the same order with the same scores, reasons and dates."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest

from features.planning.ranking import rank_candidates
from features.view import STRUCTURAL_FAMILIES, View, build_view, vacancy_post
from service.settings import ServiceSettings
from tests.national.conftest import AS_OF
from training import registry
from training.contract import PLACEMENT_SUCCESS, served
from training.national.vacancies import VacancyIndex

pytestmark = [pytest.mark.slow, pytest.mark.spark]


@pytest.fixture(scope="module")
def index(national_index: Path) -> VacancyIndex:
    return VacancyIndex.latest(national_index)


@pytest.fixture(scope="module")
def country(whole_country: tuple[object, object]) -> tuple[View, object]:
    """The whole small country in one view, as the province path holds a province."""
    records, births = whole_country
    return build_view(records, AS_OF, births), records


@pytest.fixture(scope="module")
def scorer(served: ServiceSettings) -> object:
    client = registry.configure(served)
    version = registry.alias_version(client, PLACEMENT_SUCCESS, registry.CHAMPION)
    return served_model(version).fitted


def served_model(version: str | None):  # type: ignore[no-untyped-def]
    return served(mlflow.pyfunc.load_model(f"models:/{PLACEMENT_SUCCESS}/{version}"))


def test_the_index_search_is_the_province_ranking_over_the_whole_country(
    index: VacancyIndex, country: tuple[View, object], scorer: object
) -> None:
    view, records = country
    posts = list(index.posts.index)
    positions = records["positions"]  # type: ignore[attr-defined]
    structural = positions.loc[positions["family"].isin(STRUCTURAL_FAMILIES), "position_id"]
    assert sorted(posts) == sorted(structural) and len(posts) > 30
    compared = 0
    for position_id in posts:
        post = vacancy_post(records, position_id, view.standards)  # type: ignore[arg-type]
        expected = rank_candidates(view, post, scorer, k=10)  # type: ignore[arg-type]
        found = index.search(position_id, scorer, k=10)  # type: ignore[arg-type]
        assert [r["employee_id"] for r in found] == list(expected["employee_id"]), position_id
        if not found:
            continue
        compared += 1
        np.testing.assert_allclose([r["score"] for r in found], expected["score"], rtol=1e-9)
        assert [r["eligible_from"] for r in found] == list(expected["eligible_from"])
        assert [r["reasons"] for r in found] == list(expected["reasons"])
        first = found[0]
        assert first["as_of"] == AS_OF.date().isoformat() and first["failed_rules"] == []
        standard = view.standard(position_id)
        assert [f["competency_code"] for f in first["fit"]] == [
            c for c, need in zip(view.standards.columns, standard, strict=True) if need > 0
        ]
    assert compared > 20


def test_a_post_bound_to_a_profession_is_searched_among_its_holders(
    index: VacancyIndex, country: tuple[View, object], scorer: object
) -> None:
    """A hospital director's or a puskesmas head's post: the index offers only people who hold
    the profession (as the province's eligibility reads it), and the people it leaves out
    include some that hold the post's family otherwise."""
    from features.rules.professions import holds

    view, _ = country
    bound = index.posts[index.posts["profession"] != ""]
    assert len(bound), "the small country has posts bound to a profession"
    searched = 0
    for position_id, profession in bound["profession"].items():
        found = index.search(str(position_id), scorer, k=50)  # type: ignore[arg-type]
        held = holds(view.facts, str(profession))
        assert all(held[r["employee_id"]] for r in found), position_id
        family = view.eligibility(str(bound.loc[position_id, "family"])).eligible
        searched += int((family & ~held).any())  # someone eligible by family was left out
    assert searched


def test_a_search_can_be_narrowed_to_agencies(
    index: VacancyIndex, country: tuple[View, object], scorer: object
) -> None:
    view, records = country
    position_id = next(
        p
        for p in index.posts.index
        if len(index.search(p, scorer, k=50)) >= 5  # type: ignore[arg-type]
    )
    agency = index.search(position_id, scorer, k=50)[-1]["agency_id"]  # type: ignore[arg-type]
    post = vacancy_post(records, position_id, view.standards)  # type: ignore[arg-type]
    among = (view.frame["agency_id"] == agency).to_numpy()
    expected = rank_candidates(view, post, scorer, k=10, among=among)  # type: ignore[arg-type]
    found = index.search(position_id, scorer, k=10, agencies=(agency,))  # type: ignore[arg-type]
    assert [r["employee_id"] for r in found] == list(expected["employee_id"])
    assert {r["agency_id"] for r in found} == {agency}


def test_a_post_the_index_cannot_rank_is_named(index: VacancyIndex, country) -> None:  # type: ignore[no-untyped-def]
    view, _ = country
    functional = view.frame.loc[~view.frame["family"].isin(STRUCTURAL_FAMILIES), "position_id"]
    with pytest.raises(KeyError, match="not a structural post"):
        index.post(str(functional.iloc[0]))
    with pytest.raises(KeyError, match="'NOPE' is not a structural post"):
        index.post("NOPE")


def test_no_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="build one with `jenjang batch index`"):
        VacancyIndex.latest(tmp_path)


def test_ranking_a_chunk_at_a_time_changes_no_answer(
    index: VacancyIndex, scorer: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A country's family is ranked 16,384 people at a time; the small country's fits in one
    chunk, so chunks of 7 check that cutting the family changes nobody's place. A score may
    differ in its last bit (the model's arithmetic is vectorised over the rows it is given)."""
    from training.national import vacancies

    posts = list(index.posts.index)[:40]
    whole = [index.search(p, scorer, k=10) for p in posts]  # type: ignore[arg-type]
    # and among one agency (rows picked out of the family rather than ranges of it)
    narrowed = [
        (p, (found[-1]["agency_id"],)) for p, found in zip(posts, whole, strict=True) if found
    ]
    among = [index.search(p, scorer, 10, a) for p, a in narrowed]  # type: ignore[arg-type]
    monkeypatch.setattr(vacancies, "SEARCH_CHUNK", 7)
    chunked = [index.search(p, scorer, k=10) for p in posts]  # type: ignore[arg-type]
    assert [_rounded(found) for found in chunked] == [_rounded(found) for found in whole]
    assert sum(len(found) for found in whole) > 100
    chunked_among = [index.search(p, scorer, 10, a) for p, a in narrowed]  # type: ignore[arg-type]
    assert [_rounded(f) for f in chunked_among] == [_rounded(f) for f in among]
    assert sum(len(found) > 7 for found in among) > 3  # some span two chunks of 7


def _rounded(found: list[dict[str, object]]) -> list[dict[str, object]]:
    """Answers with their numbers to 12 significant digits (NaN as None, so it equals itself)."""

    def number(value: object) -> object:
        if isinstance(value, float):
            return None if np.isnan(value) else float(f"{value:.12g}")
        return value

    return [{key: number(value) for key, value in answer.items()} for answer in found]


def test_the_index_holds_each_family_searched_and_each_person_once(index: VacancyIndex) -> None:
    """Loaded: the families some post belongs to (nobody is searched for the others), each
    person's id once, and only the competencies some post's standard requires."""
    import pyarrow.parquet as pq

    from training.national.eligible import from_column

    written = pq.ParquetDataset(index.folder / "people").read().to_pandas()
    eligible = index.eligible
    searched = set(index.posts["family"])
    assert set(eligible.families) == searched
    for family in searched:
        expected = written.loc[written[from_column(family)].notna()].sort_values("order")
        pool = index.pool(family)
        held = eligible.ids.take(pool.person_rows).to_pylist()
        assert held == list(expected["employee_id"]), family
        assert list(pool.eligible_from.decode(np.arange(len(pool)))) == list(
            expected[from_column(family)]
        )
    ids = eligible.ids.to_pylist()
    assert len(ids) == len(set(ids)) <= index.manifest["subjects"]
    assert sum(len(index.pool(f)) for f in searched) > len(ids)  # some are in two families
    assert set(eligible.kept) == {
        int(c) for required in index.posts["required"] for c in np.flatnonzero(required)
    }
