"""Training impact: the doubly robust estimator on data with a known effect and a known
confounder, and the course-by-course analysis on the small generated dataset with its truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.analyses.impact import (
    aipw_att,
    compare_with_truth,
    competency_effects,
    performance_effects,
)


def _confounded(seed: int, effect: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Those with a larger x take the course more often and gain more anyway."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4000, 2))
    treated = rng.random(4000) < 1 / (1 + np.exp(-1.5 * x[:, 0]))
    outcome = 2.0 * x[:, 0] - 0.5 * x[:, 1] + effect * treated + rng.normal(0, 1, 4000)
    return x, treated, outcome


def test_the_estimator_recovers_a_known_effect_that_the_naive_comparison_misses() -> None:
    x, treated, outcome = _confounded(seed=1, effect=0.5)
    estimate = aipw_att(x, treated, outcome)
    assert estimate.low < 0.5 < estimate.high
    assert abs(estimate.effect - 0.5) < 0.1
    assert estimate.naive > 1.5  # the takers' head start, mistaken for the course's effect
    assert estimate.treated + estimate.controls == 4000


def test_the_interval_holds_the_true_effect_about_95_times_in_100() -> None:
    inside = 0
    for seed in range(40):
        estimate = aipw_att(*_confounded(seed=100 + seed, effect=0.3))
        inside += estimate.low <= 0.3 <= estimate.high
    assert inside >= 34  # 95% nominal; 34 of 40 or more unless the interval is too narrow


def test_no_effect_reads_as_none() -> None:
    estimate = aipw_att(*_confounded(seed=7, effect=0.0))
    assert estimate.low < 0.0 < estimate.high


def test_rows_of_the_same_person_do_not_narrow_the_interval() -> None:
    x, treated, outcome = _confounded(seed=3, effect=0.5)
    once = aipw_att(x, treated, outcome)
    thrice = [np.repeat(a, 3, axis=0) for a in (x, treated, outcome)]
    people = np.repeat(np.arange(len(outcome)), 3)
    clustered = aipw_att(*thrice, people=people)
    naive = aipw_att(*thrice)
    width = once.high - once.low
    assert abs((clustered.high - clustered.low) / width - 1) < 0.15  # the same evidence
    assert (naive.high - naive.low) / width < 0.7  # what ignoring the repeats would claim


def test_a_rare_course_does_not_break_the_folds() -> None:
    x, _, outcome = _confounded(seed=5, effect=0.0)
    treated = np.zeros(len(outcome), dtype=bool)
    treated[:6] = True  # six takers: every fold still gets some
    estimate = aipw_att(x, treated, outcome)
    assert estimate.treated == 6 and np.isfinite(estimate.effect)


def test_a_table_without_truth_compares_nothing() -> None:
    empty = pd.DataFrame(columns=["effect", "low", "high", "naive", "true_effect"])
    assert compare_with_truth(empty) == {"estimates": 0.0}


@pytest.fixture(scope="module")
def small(small_database: str, small_dataset: Path) -> Iterator[tuple[object, object]]:
    from features.store.database import create_db_engine
    from features.store.reads import load_records
    from training.truth import Truth

    yield load_records(create_db_engine(small_database)), Truth.load(small_dataset)


@pytest.mark.slow
def test_course_effects_on_the_small_dataset_sit_beside_their_truth(
    small: tuple[object, object],
) -> None:
    records, truth = small
    cutoff = pd.Timestamp("2026-06-30")  # the small dataset's extraction date
    competencies = competency_effects(records, cutoff, truth, min_takers=10)  # type: ignore[arg-type]
    performance = performance_effects(records, cutoff, truth, min_takers=20)  # type: ignore[arg-type]
    for table in (competencies, performance):
        assert len(table) > 0
        assert (table["treated"] >= 10).all() and table["true_effect"].notna().all()
    # on 400 people the intervals are wide, and should mostly hold the truth
    check = compare_with_truth(competencies)
    assert check["coverage"] >= 0.7 and check["mae"] < 0.4
    assert compare_with_truth(performance)["coverage"] >= 0.7
    # nothing recorded after the cutoff is used: an early cutoff leaves fewer estimates
    early = competency_effects(records, pd.Timestamp("2021-01-01"), None, min_takers=10)  # type: ignore[arg-type]
    assert len(early) < len(competencies) and "true_effect" not in early
    # a course's true gain in a competency it develops is positive
    assert (competencies["true_effect"] > 0).all()
    assert set(competencies["course_id"]) <= set(records["course_competencies"]["course_id"])  # type: ignore[index]


@pytest.mark.slow
def test_the_command_writes_the_tables_and_refuses_a_tiny_threshold(
    small_database: str, small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from features.store.settings import get_settings
    from service.cli import app

    monkeypatch.setenv("JENJANG_DATABASE_URL", small_database)
    get_settings.cache_clear()
    try:
        run = CliRunner(env={"COLUMNS": "160"}).invoke(
            app,
            ["analyses", "impact", "--truth", str(small_dataset), "--min-takers", "10"]
            + ["--out", str(tmp_path)],
        )
        assert run.exit_code == 0, run.output
        assert "95% coverage" in run.output
        summary = next(line for line in run.output.splitlines() if "competencies" in line)
        assert len(summary.split("│")) == 9  # the row has its figures
        table = pd.read_csv(tmp_path / "impact_competencies.csv")
        assert {"course_id", "effect", "low", "high", "true_effect"} <= set(table.columns)
        assert (tmp_path / "impact_performance.csv").exists()
        tiny = CliRunner().invoke(app, ["analyses", "impact", "--min-takers", "2"])
        assert tiny.exit_code == 2 and "at least 10" in tiny.output
    finally:
        get_settings.cache_clear()
