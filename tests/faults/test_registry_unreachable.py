"""The registry unreachable during a reload: the versions in service keep serving, `/ready`
says the reload failed (and why, by type), and the metrics count a failed reload per model
while the versions in service stay shown. When the registry answers again the next reload
loads the new champion, and the metrics stop showing the version it replaced."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from prometheus_client import REGISTRY

from service.access.accounts import create_user
from service.app import create_app
from service.settings import ServiceSettings
from service.state.model_store import MODEL_NAMES
from service.state.watch import behind
from tests.factories.api import PASSWORD
from tests.faults.states import UNREACHABLE
from training import registry
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
from training.contract import TRAINING_RECS

pytestmark = pytest.mark.slow


@pytest.fixture
def app(stores: ServiceSettings) -> Iterator[TestClient]:
    with TestClient(create_app(stores)) as client:
        yield client


def _reloads(model: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("jenjang_reloads_total", {"what": model, "outcome": outcome})
    return value or 0.0


def _in_service(model: str, version: str, source: str = "registry") -> float | None:
    labels = {"model": model, "version": version, "source": source}
    return REGISTRY.get_sample_value("jenjang_model_in_service", labels)


def _cut_off(app: TestClient, settings: ServiceSettings) -> None:
    """Point the running service (its watcher and its model store) at `settings`' registry."""
    state = app.app.state  # type: ignore[attr-defined]
    state.settings = state.models.settings = settings


def _trainings_version(app: TestClient, headers: dict[str, str]) -> str:
    person = str(app.app.state.models.current().snapshot.view.frame.index[0])  # type: ignore[attr-defined]
    answer = app.get(f"/api/v1/employees/{person}/trainings?k=3", headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["model"]["version"])


def test_the_old_versions_keep_serving_while_the_registry_is_unreachable(
    app: TestClient, stores: ServiceSettings, no_retries: None
) -> None:
    engine = app.app.state.engine  # type: ignore[attr-defined]
    create_user(engine, "fault-admin", PASSWORD, "admin")
    token = app.post("/api/v1/auth/token", data={"username": "fault-admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert _in_service(PLACEMENTS, "1") == 1.0 and _in_service(TRAINING_RECS, "1") == 1.0
    # a new champion is promoted, but the registry goes away before the service reloads
    client = MlflowClient(tracking_uri=stores.tracking_uri, registry_uri=stores.tracking_uri)
    first = client.get_model_version(PLACEMENTS, "1")
    second = client.create_model_version(
        PLACEMENTS, first.source, run_id=first.run_id, tags=first.tags
    ).version
    client.set_registered_model_alias(PLACEMENTS, registry.CHAMPION, second)
    failed = {name: _reloads(name, "failed") for name in MODEL_NAMES}
    _cut_off(app, stores.model_copy(update={"tracking_uri": UNREACHABLE}))

    assert behind(app.app.state)  # type: ignore[attr-defined]  # the watcher tried, and failed

    ready = app.get("/ready")
    assert ready.status_code == 200  # the old versions serve: still ready, and it says why
    for model in ready.json()["models"]:
        assert (model["version"], model["source"]) == ("1", "registry")
        assert model["last_reload"] == "failed"
        assert model["error"].startswith("MlflowException")
        assert "127.0.0.1" not in model["error"]  # /ready is public: the type only
    assert _trainings_version(app, headers) == "1"
    for name in MODEL_NAMES:
        assert _reloads(name, "failed") == failed[name] + 1
        assert _in_service(name, "1") == 1.0
    serving = app.app.state.models.current().snapshot  # type: ignore[attr-defined]
    assert REGISTRY.get_sample_value("jenjang_snapshot_date_seconds") == serving.as_of.timestamp()
    assert REGISTRY.get_sample_value("jenjang_snapshot_built_seconds") == serving.built_at

    # the registry is back: the next look loads the new champion, and says so
    _cut_off(app, stores)
    loaded = _reloads(PLACEMENTS, "loaded")
    assert behind(app.app.state)  # type: ignore[attr-defined]
    models = {m["name"]: m for m in app.get("/ready").json()["models"]}
    assert models[PLACEMENTS]["version"] == str(second)
    assert models[PLACEMENTS]["last_reload"] == "loaded" and models[PLACEMENTS]["error"] is None
    assert models[TRAINING_RECS]["last_reload"] == "unchanged"
    assert _reloads(PLACEMENTS, "loaded") == loaded + 1
    assert _in_service(PLACEMENTS, str(second)) == 1.0
    assert _in_service(PLACEMENTS, "1") is None  # the version it replaced is no longer shown
