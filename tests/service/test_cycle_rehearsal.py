"""The analyst's whole yearly cycle, rehearsed: generate → ingest → train → serve → generate
the next cycle → ingest → drift → retrain → compare → promote → the running service answers
with the new versions after its reload → rollback → it answers with the old ones again.

Small (300 people, tiny models): the test checks that the steps fit together and that the
service follows the registry's moves, not the models' quality."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from features.ingest.cycle import ingest_cycle
from features.store.database import create_db_engine
from features.store.reads import load_records
from features.synth import GeneratorConfig, generate_dataset, next_cycle_config
from service.settings import ServiceSettings
from tests.factories.api import PASSWORD
from training import registry
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
from training.contract import TRAINING_RECS as TRAININGS
from training.courses.kind import TrainConfig, TrainingRecs
from training.courses.model import RecommenderConfig
from training.drift import drift_report
from training.placement.kind import PlacementConfig, PlacementSuccess
from training.promotion import PromotionRefused, compare, promote, rollback
from training.run import train

pytestmark = pytest.mark.slow

TINY = RecommenderConfig(people_per_cycle=400, uptake_max_iter=40, level_max_iter=40)
V1 = "/api/v1"


def _train_both(settings: ServiceSettings, truth: Path) -> dict[str, str]:
    return {
        TRAININGS: train(
            TrainingRecs(TrainConfig(truth_dir=truth, recommender=TINY)), settings
        ).version,
        PLACEMENTS: train(PlacementSuccess(PlacementConfig(truth_dir=truth)), settings).version,
    }


def _promote_through_the_gate(settings: ServiceSettings, name: str, truth: Path) -> bool:
    """Promote the challenger; when the gate refuses (tiny models on 300 people may lose to
    their champion by chance), force it with a reason, as an analyst may. True if forced."""
    try:
        promote(settings, name, reason="the 2026 cycle", by="rehearsal", truth_dir=truth)
        return False
    except PromotionRefused as refused:
        assert refused.evidence["passed"] is False and refused.evidence["metrics"]
        promote(
            settings,
            name,
            reason="rehearsal: forced past the gate",
            force=True,
            by="rehearsal",
            truth_dir=truth,
        )
        return True


def _versions_served(client: TestClient, headers: dict[str, str], person: str, post: str):  # type: ignore[no-untyped-def]
    trainings = client.get(f"{V1}/employees/{person}/trainings", headers=headers, params={"k": 3})
    candidates = client.get(f"{V1}/positions/{post}/candidates", headers=headers, params={"k": 3})
    assert trainings.status_code == 200, trainings.json()
    assert candidates.status_code == 200, candidates.json()
    return trainings.json()["model"]["version"], candidates.json()["model"]["version"]


def _reload(client: TestClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    answer = client.post(f"{V1}/models/reload", headers=headers)
    assert answer.status_code == 200, answer.json()
    assert not answer.json()["failed"]
    return answer.json()


def test_the_whole_cycle_from_generation_to_rollback(tmp_path: Path) -> None:
    from service.access.accounts import create_user
    from service.app import create_app

    first, second = tmp_path / "cycle-2025", tmp_path / "cycle-2026"
    generate_dataset(GeneratorConfig.for_scale("province", employees=300, seed=23), first)
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 'jenjang.db'}",
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=str(tmp_path / "artifacts"),
        model_cache_dir=str(tmp_path / "cache"),
        as_of=dt.date(2027, 7, 1),  # after the next cycle's extraction: one date throughout
    )
    engine = create_db_engine(settings.database_url)
    ingest_cycle(first, engine, 2025, extracted_on=dt.date(2026, 6, 30))
    assert _train_both(settings, first) == {TRAININGS: "1", PLACEMENTS: "1"}
    for name in (TRAININGS, PLACEMENTS):
        promote(settings, name, reason="first champion", by="rehearsal")

    with TestClient(create_app(settings)) as client:
        create_user(engine, "cycle-admin", PASSWORD, "admin")
        token = client.post(
            f"{V1}/auth/token", data={"username": "cycle-admin", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        snapshot = client.app.state.models.current().snapshot  # type: ignore[attr-defined]
        person = str(snapshot.view.frame.index[0])
        post = str(snapshot.positions.index[snapshot.positions["family"] == "pengawas"][0])
        assert _versions_served(client, headers, person, post) == ("1", "1")

        # The next cycle arrives: the same people one year on.
        generate_dataset(next_cycle_config(first), second)
        report = ingest_cycle(second, engine, 2026, extracted_on=dt.date(2027, 6, 30))
        assert report.added_by_year["evaluations"]["cycle"] > 200
        assert report.result.counts["position_history"].changed_columns.keys() == {"end_date"}
        drift = drift_report(load_records(engine), 2026, 2025)
        assert len(drift.labels) >= 2 and drift.features["psi"].notna().any()

        assert _train_both(settings, second) == {TRAININGS: "2", PLACEMENTS: "2"}
        for name in (TRAININGS, PLACEMENTS):
            comparison = compare(settings, name, truth_dir=second)
            assert (comparison.champion, comparison.challenger) == ("1", "2")
            assert comparison.test_year == 2026  # both judged on the newest held-out cycle
            forced = _promote_through_the_gate(settings, name, second)
            assert forced is not comparison.passed

        # The service still answers with v1 until it reloads, then with v2 on the new data.
        assert _versions_served(client, headers, person, post) == ("1", "1")
        reloaded = _reload(client, headers)
        assert set(reloaded["reloaded"]) == {TRAININGS, PLACEMENTS}
        assert reloaded["data_refreshed"]
        assert _versions_served(client, headers, person, post) == ("2", "2")

        for name in (TRAININGS, PLACEMENTS):
            assert rollback(settings, name, reason="rehearsal rollback", by="rehearsal") == "1"
        _reload(client, headers)
        assert _versions_served(client, headers, person, post) == ("1", "1")

    history = registry.history(engine, TRAININGS).query("alias == 'champion'")
    assert history["version"].tolist() == ["1", "2", "1"]
    assert history.iloc[-1]["reason"].endswith("rehearsal rollback")
    engine.dispose()
