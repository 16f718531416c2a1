"""Tracking, registry and promotion end to end in a temporary MLflow store: train, register as
challenger, promote through the gate, load `models:/training-recs@champion` and predict; refuse
a worse challenger, force with a reason, history and rollback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import mlflow
import pandas as pd
import pytest

from features.store.database import create_db_engine
from training import registry
from training.contract import TRAINING_RECS as MODEL_NAME
from training.contract import FeatureSetMismatch
from training.courses.kind import TrainConfig, TrainingRecs
from training.courses.model import RecommenderConfig
from training.courses.pyfunc import TrainingRecsModel
from training.promotion import PromotionRefused, compare, promote, rollback
from training.registry import RegistrySettings as Settings
from training.run import train

pytestmark = pytest.mark.slow


def _train(settings: Settings, small_dataset: Path, **changes: object) -> str:
    tiny = RecommenderConfig(people_per_cycle=400, uptake_max_iter=40, level_max_iter=40)
    config = TrainConfig(truth_dir=small_dataset, recommender=dataclasses.replace(tiny, **changes))
    return train(TrainingRecs(config), settings).version


def test_train_promote_load_and_predict(
    store_settings: Settings, small_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = _train(store_settings, small_dataset)
    client = registry.configure(store_settings)
    assert registry.alias_version(client, MODEL_NAME, "challenger") == version
    tags = client.get_model_version(MODEL_NAME, version).tags
    assert {"git_commit", "feature_set_version", "data_snapshot", "training_cutoff"} <= set(tags)
    run = client.get_run(client.get_model_version(MODEL_NAME, version).run_id)
    assert "ndcg_at_10" in run.data.metrics and "true_fit_gain_at_5" in run.data.metrics
    assert any(k.startswith("baseline.gap_rule.") for k in run.data.metrics)
    assert any(k.startswith("family.") for k in run.data.metrics)
    # the fairness audit of the suggestions and of the historical starts, by sex and age band
    for who in ("learned", "historical", "gap_rule"):
        for attribute in ("sex", "age_band"):
            ratio = run.data.metrics[f"fairness.{who}.{attribute}.min_impact_ratio_at_5"]
            assert 0.0 <= ratio <= 1.0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert "evaluation/report.html" in artifacts and "evaluation/metrics_by_family.csv" in artifacts

    comparison = promote(store_settings, reason="first champion")
    assert comparison.passed and comparison.champion is None
    model = mlflow.pyfunc.load_model(
        f"models:/{MODEL_NAME}@champion",
        model_config={"database_url": store_settings.database_url},
    )
    as_of = tags["training_cutoff"]
    person = _an_active_employee(store_settings, as_of)
    out = model.predict(pd.DataFrame({"employee_id": [person], "k": [5], "as_of": [as_of]}))
    assert len(out) == 5 and set(out["employee_id"]) == {person}
    assert out["score"].is_monotonic_decreasing
    bad_inputs = [
        ({"k": [500]}, "k must be between 1 and 50"),
        ({"kinds": ["yoga"]}, "unknown course kinds"),
        ({"as_of": ["kemarin"]}, "is not a date"),
        ({"as_of": ["2001-01-01"]}, "before this model's training cutoff"),
    ]
    for change, message in bad_inputs:
        request = {"employee_id": [person], "k": [5], "as_of": [as_of]} | change
        with pytest.raises(Exception, match=message):
            model.predict(pd.DataFrame(request))

    # the analyst's view from the command line
    from typer.testing import CliRunner

    from features.store.settings import get_settings
    from service.cli import app

    monkeypatch.setenv("JENJANG_DATABASE_URL", store_settings.database_url)
    monkeypatch.setenv("JENJANG_TRACKING_URI", store_settings.tracking_uri)
    get_settings.cache_clear()
    try:
        status = CliRunner().invoke(app, ["models", "status", "training-recs"])
        assert status.exit_code == 0, status.output
        assert "champion" in status.output and "challenger" in status.output
        history = CliRunner().invoke(app, ["models", "history", "training-recs"])
        # Rich wraps table cells at the test terminal's width: look for the words
        assert history.exit_code == 0 and {"first", "champion"} <= set(history.output.split())
        unknown = CliRunner().invoke(app, ["models", "status", "placements"])
        assert unknown.exit_code == 2 and "unknown model" in unknown.output
    finally:
        get_settings.cache_clear()


def test_gate_refuses_a_worse_challenger_until_forced_and_history_answers(
    store_settings: Settings, small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _train(store_settings, small_dataset)
    promote(store_settings, reason="first champion", by="analyst-a")
    promoted_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # a one-tree uptake model and no regard for gains: a much worse ranking
    worse = _train(
        store_settings, small_dataset, gain_rank_weight=0.0, helpful_slots=1, uptake_max_iter=1
    )
    with pytest.raises(PromotionRefused) as refused:
        promote(store_settings, truth_dir=small_dataset)
    assert refused.value.evidence["passed"] is False

    # asked again, the gate reads its evaluations back instead of running them again
    def evaluated_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the same question was evaluated twice")

    with monkeypatch.context() as patched:
        patched.setattr(TrainingRecs, "evaluate", evaluated_again)
        again = compare(store_settings, truth_dir=small_dataset)
    assert again.evidence() == refused.value.evidence
    _the_comparison_report_says_it_fails(store_settings, small_dataset, tmp_path, monkeypatch)
    with pytest.raises(ValueError, match="needs a --reason"):
        promote(store_settings, force=True)
    client = registry.configure(store_settings)
    assert registry.alias_version(client, MODEL_NAME, "champion") == first
    promote(
        store_settings,
        reason="pilot of the uptake-first list",
        force=True,
        by="analyst-b",
        truth_dir=small_dataset,
    )
    assert registry.alias_version(client, MODEL_NAME, "champion") == worse

    engine = create_db_engine(store_settings.database_url)
    moves = registry.history(engine, MODEL_NAME).query("alias == 'champion'")
    assert moves["moved_by"].tolist() == ["analyst-a", "analyst-b"]
    assert moves["forced"].tolist() == [False, True]
    assert moves.iloc[-1]["reason"] == "pilot of the uptake-first list"
    assert registry.version_at(engine, MODEL_NAME, promoted_at) == first
    assert registry.version_at(engine, MODEL_NAME, dt.datetime(2000, 1, 1)) is None

    with pytest.raises(ValueError, match="needs a --reason"):
        rollback(store_settings)
    assert rollback(store_settings, reason="NDCG fell in the pilot") == first
    assert registry.alias_version(client, MODEL_NAME, "champion") == first


def test_a_model_of_another_feature_set_is_refused(tmp_path: Path) -> None:
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"feature_set_version": "0"}))
    context = SimpleNamespace(artifacts={"metadata": str(metadata)}, model_config={})
    with pytest.raises(FeatureSetMismatch, match="feature set '0'"):
        TrainingRecsModel().load_context(context)


def _an_active_employee(settings: Settings, as_of: str) -> str:
    from features.asof.records import active_at
    from features.store.reads import load_records

    records = load_records(create_db_engine(settings.database_url))
    people = active_at(records, pd.Timestamp(as_of))["employee_id"]
    history = records["position_history"]
    placed = set(history[history["start_date"] < pd.Timestamp(as_of)]["employee_id"])
    return str(next(p for p in people if p in placed))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"employee_id": [""]}, "row 0: employee_id must be a non-empty string"),
        ({"employee_id": ["E1"], "k": ["ten"]}, "row 0: k must be a whole number"),
        ({"employee_id": ["E1"], "k": [2.5]}, "row 0: k must be a whole number"),
        ({"employee_id": ["E1"], "kinds": [["technical"]]}, "comma-separated string"),
        ({"k": [3]}, "needs the 'employee_id' column"),
    ],
)
def test_bad_requests_name_the_row_and_the_field(row: dict, message: str) -> None:
    from training.courses.pyfunc import TrainingRecsModel

    with pytest.raises(ValueError, match=message):
        TrainingRecsModel().requests(pd.DataFrame(row))


@pytest.mark.slow
def test_train_all_registers_both_challengers_and_stops_at_the_first_failure(
    store_settings: Settings, small_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    from typer.testing import CliRunner

    from features.store.settings import get_settings
    from service.cli import app
    from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
    from training.courses import kind
    from training.courses.model import RecommenderConfig

    tiny = RecommenderConfig(people_per_cycle=400, uptake_max_iter=40, level_max_iter=40)
    monkeypatch.setattr(kind, "TrainConfig", functools.partial(TrainConfig, recommender=tiny))
    monkeypatch.setenv("JENJANG_DATABASE_URL", store_settings.database_url)
    monkeypatch.setenv("JENJANG_TRACKING_URI", store_settings.tracking_uri)
    monkeypatch.setenv("JENJANG_ARTIFACT_ROOT", store_settings.artifact_root)
    get_settings.cache_clear()
    try:

        def broken(*args: object, **kwargs: object) -> None:
            raise ValueError("the recommender could not be trained")

        with monkeypatch.context() as patch:
            patch.setattr(kind.TrainingRecs, "train", broken)
            failed = CliRunner().invoke(app, ["train", "all"])
        assert failed.exit_code == 2 and "could not be trained" in failed.output
        client = registry.configure(store_settings)
        assert registry.alias_version(client, PLACEMENTS, "challenger") is None  # never started
        done = CliRunner().invoke(app, ["train", "all", "--truth", str(small_dataset)])
        assert done.exit_code == 0, done.output
        for name in (MODEL_NAME, PLACEMENTS):
            assert registry.alias_version(client, name, "challenger") is not None
            assert registry.alias_version(client, name, "champion") is None  # nothing moved
    finally:
        get_settings.cache_clear()


def test_a_crash_never_leaves_champion_on_an_unregistered_or_unevaluated_version(
    store_settings: Settings, small_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crashes at three points: while registering a new version, while evaluating it for
    promotion, and while moving the alias. Each time champion stays where it was, the history
    records no move, and no version is left half-registered."""
    from mlflow import MlflowClient

    from features.store.database import create_db_engine
    from training import promotion

    first = _train(store_settings, small_dataset)
    promote(store_settings, reason="first champion")
    engine = create_db_engine(store_settings.database_url)
    moves = len(registry.history(engine, MODEL_NAME))
    client = registry.configure(store_settings)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the machine went down")

    # 1. while registering: a version is created with its tags in one step, so a crash there
    # leaves no version at all (tests/faults/test_killed_commands.py kills it for real)
    def newest() -> int:
        return max(int(v.version) for v in client.search_model_versions(f"name = '{MODEL_NAME}'"))

    before = newest()
    with monkeypatch.context() as patch:
        patch.setattr(MlflowClient, "_create_model_version", crash)
        with pytest.raises(RuntimeError):
            _train(store_settings, small_dataset)
    assert newest() == before
    for alias in ("champion", "challenger"):
        assert registry.alias_version(client, MODEL_NAME, alias) == first

    # 2. while evaluating a proper challenger for promotion
    second = _train(store_settings, small_dataset)
    with monkeypatch.context() as patch:
        patch.setattr(promotion, "load_records", crash)
        with pytest.raises(RuntimeError):
            promote(store_settings, reason="better")
    assert registry.alias_version(client, MODEL_NAME, "champion") == first

    # 3. while moving the alias: the recorded move is rolled back with it
    with monkeypatch.context() as patch:
        patch.setattr(MlflowClient, "set_registered_model_alias", crash)
        with pytest.raises(RuntimeError):
            promote(store_settings, reason="better")
    assert registry.alias_version(client, MODEL_NAME, "champion") == first
    assert registry.alias_version(client, MODEL_NAME, "challenger") == second
    assert len(registry.history(engine, MODEL_NAME)) == moves + 1  # only the challenger's


def _the_comparison_report_says_it_fails(
    settings: Settings, small_dataset: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jenjang models compare` writes the HTML report and logs it to the challenger's run."""
    from typer.testing import CliRunner

    from features.store.settings import get_settings
    from service.cli import app

    monkeypatch.setenv("JENJANG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("JENJANG_TRACKING_URI", settings.tracking_uri)
    monkeypatch.setenv("JENJANG_ARTIFACT_ROOT", settings.artifact_root)
    get_settings.cache_clear()
    try:
        path = folder / "compare.html"
        args = ["models", "compare", MODEL_NAME, "--truth", str(small_dataset)]
        run = CliRunner().invoke(app, [*args, "--report", str(path)])
        assert run.exit_code == 0, run.output
    finally:
        get_settings.cache_clear()
    page = path.read_text()
    assert "FAILS the gate" in page and "data:image/png;base64," in page
    assert "Fairness (each version on its own test cycle)" in page
    client = registry.configure(settings)
    challenger = registry.alias_version(client, MODEL_NAME, "challenger")
    run_id = client.get_model_version(MODEL_NAME, str(challenger)).run_id
    logged = {a.path for a in client.list_artifacts(str(run_id), "comparison")}
    assert logged == {"comparison/compare-v1.html"}


def test_a_version_built_for_another_contract_is_named_not_loaded(
    store_settings: Settings, small_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version registered before this code's pyfunc contract (untagged: contract 1) cannot be
    unpickled by it. It is refused by name: rollback to it, and `models status` exits 1 (so
    `make demo` retrains); a new challenger replaces such a champion through the gate, since
    nothing can be compared with a champion this code cannot load or serve."""
    from typer.testing import CliRunner

    from features.store.settings import get_settings
    from service.cli import app
    from training.contract import CONTRACT_VERSION, ContractMismatch

    old = _train(store_settings, small_dataset)
    promote(store_settings, MODEL_NAME, reason="first")
    client = registry.configure(store_settings)
    assert client.get_model_version(MODEL_NAME, old).tags["contract_version"] == CONTRACT_VERSION
    client.delete_model_version_tag(MODEL_NAME, old, "contract_version")  # as before the layout

    monkeypatch.setenv("JENJANG_DATABASE_URL", store_settings.database_url)
    monkeypatch.setenv("JENJANG_TRACKING_URI", store_settings.tracking_uri)
    monkeypatch.setenv("JENJANG_ARTIFACT_ROOT", store_settings.artifact_root)
    get_settings.cache_clear()
    try:
        status = CliRunner().invoke(app, ["models", "status", MODEL_NAME])
    finally:
        get_settings.cache_clear()
    said = " ".join(status.output.split())  # the console wraps at its width
    assert status.exit_code == 1 and f"v{old} was built for pyfunc contract 1" in said

    new = _train(store_settings, small_dataset)
    with pytest.raises(ContractMismatch, match=f"v{old} was built for pyfunc contract 1"):
        rollback(store_settings, MODEL_NAME, reason="back", to_version=old)
    comparison = promote(store_settings, MODEL_NAME, reason="the old one cannot be served")
    assert comparison.passed and comparison.champion == old and comparison.metrics.empty
    assert registry.alias_version(client, MODEL_NAME, registry.CHAMPION) == new
