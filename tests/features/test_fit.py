"""Competency fit: hand-computed values and its direction (gaining a competency never hurts)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.asof.fit import breakdown, competency_fit
from features.asof.positions import competency_codes

C = len(competency_codes())


def test_shortfall_weighs_more_than_surplus() -> None:
    required = np.zeros(C)
    required[[0, 1]] = 3  # M.01, M.02 at level 3
    levels = np.full((2, C), 1.0)
    levels[0, [0, 1]] = [2, 4]  # one level short on M.01, one above on M.02
    levels[1, [0, 1]] = [3, 3]  # exactly the standard
    fit = competency_fit(levels, required)
    assert fit.score[0] == pytest.approx(-1 / 2 + 0.1 * 1 / 2)
    assert fit.score[1] == pytest.approx(0.0)
    assert fit.score[1] > fit.score[0]
    table = breakdown(fit, 0, levels, required)
    assert table["competency_code"].tolist() == ["M.01", "M.02"]
    assert table["shortfall"].tolist() == [1.0, 0.0] and table["surplus"].tolist() == [0.0, 1.0]


def test_field_match_adds_a_little() -> None:
    required = np.zeros(C)
    required[0] = 2
    levels = np.full((2, C), 2.0)
    fit = competency_fit(levels, required, np.array(["kesehatan", "pendidikan"]), "kesehatan")
    assert fit.score[0] - fit.score[1] == pytest.approx(0.1)


@settings(max_examples=200, deadline=None)
@given(
    levels=st.lists(st.floats(1, 5), min_size=C, max_size=C),
    required=st.lists(st.integers(0, 5), min_size=C, max_size=C),
    which=st.integers(0, C - 1),
    gain=st.floats(0, 2),
)
def test_gaining_a_competency_never_lowers_fit(
    levels: list[float], required: list[int], which: int, gain: float
) -> None:
    before = np.array([levels])
    after = before.copy()
    after[0, which] = min(5.0, after[0, which] + gain)
    standard = np.array(required, dtype=float)
    assert (
        competency_fit(after, standard).score[0]
        >= competency_fit(before, standard).score[0] - 1e-12
    )


def test_one_person_against_many_posts_equals_one_post_at_a_time() -> None:
    rng = np.random.default_rng(3)
    person = rng.uniform(1, 5, C)
    posts = np.where(rng.random((6, C)) < 0.2, rng.integers(1, 6, (6, C)), 0).astype(float)
    fields = np.array(["kesehatan", "pendidikan", "", "kesehatan", "keuangan", "kesehatan"])
    many = competency_fit(np.tile(person, (6, 1)), posts, np.full(6, "kesehatan"), fields)
    for i in range(6):
        one = competency_fit(person[None, :], posts[i], np.array(["kesehatan"]), fields[i] or None)
        assert many.score[i] == pytest.approx(one.score[0])
    assert many.field_match.tolist() == [1, 0, 0, 1, 0, 1]
