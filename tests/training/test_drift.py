"""Drift of a cycle against the previous: the stability index on known distributions, and the
report and command on the small dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.drift import PSI_SHIFT, category_psi, drift_report, psi


def test_the_same_distribution_is_stable_and_a_shifted_one_is_not() -> None:
    rng = np.random.default_rng(0)
    before = rng.normal(0, 1, 5000)
    assert psi(before, rng.normal(0, 1, 5000)) < 0.02
    assert psi(before, rng.normal(1, 1, 5000)) > PSI_SHIFT
    assert np.isnan(psi(before, np.array([np.nan])))  # nothing to compare


def test_categories_that_change_shares_show_and_a_constant_feature_works() -> None:
    same = pd.Series(["a"] * 50 + ["b"] * 50)
    assert category_psi(same, same.sample(frac=1, random_state=1)) == pytest.approx(0.0, abs=1e-9)
    moved = pd.Series(["a"] * 90 + ["c"] * 10)
    assert category_psi(same, moved) > PSI_SHIFT
    assert psi(np.ones(100), np.ones(100)) == pytest.approx(0.0, abs=1e-9)
    assert psi(np.ones(100), np.r_[np.ones(50), np.zeros(50)]) > PSI_SHIFT


@pytest.mark.slow
def test_the_report_and_the_command_on_the_small_dataset(
    small_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from features.store.database import create_db_engine
    from features.store.reads import load_records
    from features.store.settings import get_settings
    from service.cli import app

    records = load_records(create_db_engine(small_database))
    found = drift_report(records, 2025)
    assert (found.previous, found.current) == (2024, 2025)
    assert found.features["psi"].notna().any() and set(found.features["level"]) <= {
        "stable",
        "moderate",
        "shift",
    }
    assert found.features["psi"].is_monotonic_decreasing  # the largest shift first
    rates = found.labels[["previous", "current"]].to_numpy()
    assert ((rates >= 0) & (rates <= 1)).all() and rates[0].min() > 0  # people train each year
    assert (found.coverage["new"] <= found.coverage["of"]).all()

    monkeypatch.setenv("JENJANG_DATABASE_URL", small_database)
    monkeypatch.setenv("JENJANG_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("JENJANG_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    try:
        path = tmp_path / "drift.html"
        run = CliRunner().invoke(app, ["cycle", "drift", "--year", "2025", "--report", str(path)])
        assert run.exit_code == 0, run.output
        page = path.read_text()
        assert "Drift of cycle 2025 against 2024" in page and "data:image/png;base64," in page
        wrong = CliRunner().invoke(app, ["cycle", "drift", "--year", "2025", "--against", "2026"])
        assert wrong.exit_code == 2 and "before 2025" in wrong.output
        empty = CliRunner().invoke(app, ["cycle", "drift", "--year", "1950"])
        assert empty.exit_code == 2 and "nobody is active" in " ".join(empty.output.split())
    finally:
        get_settings.cache_clear()
    import mlflow

    runs = mlflow.search_runs(experiment_names=["jenjang"], filter_string="tags.kind = 'drift'")
    assert len(runs) == 1 and any(c.startswith("metrics.psi.") for c in runs.columns)
