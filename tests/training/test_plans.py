"""Placement plans: one post per person, eligible people only, never worse than greedy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from features.planning.plans import greedy_plan, placement_plan


def test_the_solver_beats_greedy_when_two_vacancies_want_the_same_person() -> None:
    # vacancy A: Ani 0.9, Budi 0.8; vacancy B: Ani 0.85, Budi 0.1
    scores = np.array([[0.9, 0.8], [0.85, 0.1]])
    eligible = np.ones_like(scores, dtype=bool)
    plan = placement_plan(scores, eligible, ["A", "B"], ["Ani", "Budi"])
    greedy = greedy_plan(scores, eligible, ["A", "B"], ["Ani", "Budi"])
    assert dict(zip(plan.assignments["vacancy"], plan.assignments["candidate"], strict=True)) == {
        "A": "Budi",
        "B": "Ani",
    }
    assert plan.total == pytest.approx(1.65) and greedy.total == pytest.approx(1.0)


def test_a_vacancy_nobody_eligible_can_fill_stays_open() -> None:
    scores = np.array([[0.5, 0.4], [0.9, 0.9]])
    eligible = np.array([[True, True], [False, False]])
    plan = placement_plan(scores, eligible, ["A", "B"], ["Ani", "Budi"])
    assert plan.unfilled == ["B"] and list(plan.assignments["vacancy"]) == ["A"]


def test_an_unfillable_vacancy_does_not_push_another_from_its_best_candidate() -> None:
    """Found by the property test below: V3 should get P3 (1.0), leaving V4 open."""
    scores = np.zeros((2, 2))
    scores[0, 1] = 1.0
    eligible = np.array([[True, True], [False, True]])
    plan = placement_plan(scores, eligible, ["V3", "V4"], ["P0", "P3"])
    assert plan.total == pytest.approx(1.0) and plan.unfilled == ["V4"]


def test_shapes_must_agree() -> None:
    with pytest.raises(ValueError, match="vacancies × candidates"):
        placement_plan(np.zeros((2, 3)), np.ones((2, 3), bool), ["A"], ["x", "y", "z"])


@settings(max_examples=300, deadline=None)
@given(
    scores=arrays(float, (6, 9), elements=st.floats(0, 1)),
    eligible=arrays(bool, (6, 9)),
)
def test_never_two_posts_never_ineligible_never_below_greedy(
    scores: np.ndarray, eligible: np.ndarray
) -> None:
    vacancies = [f"V{i}" for i in range(6)]
    people = [f"P{j}" for j in range(9)]
    plan = placement_plan(scores, eligible, vacancies, people)
    assert plan.assignments["candidate"].is_unique and plan.assignments["vacancy"].is_unique
    index = {p: j for j, p in enumerate(people)}
    for vacancy, person in zip(
        plan.assignments["vacancy"], plan.assignments["candidate"], strict=True
    ):
        assert eligible[vacancies.index(vacancy), index[person]]
    assert plan.total >= greedy_plan(scores, eligible, vacancies, people).total - 1e-6
