"""The app factory, readiness and the models in service: champions from the registry, the local
cache when the registry is unreachable, the old model kept when a reload fails, and no start
without a secret in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.models import MODEL_NAMES, ModelStore, ModelUnavailable
from service.settings import ServiceSettings

pytestmark = pytest.mark.slow

#: A registry nobody answers at (port 9, discard), failing fast.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")


def test_ready_once_both_champions_are_loaded(served: ServiceSettings) -> None:
    with TestClient(create_app(served)) as client:
        assert client.get("/health").json() == {"status": "ok"}
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.json()
        body = ready.json()
        assert body["database"] == "ok" and body["degraded"] == []
        assert {m["name"]: (m["version"], m["source"]) for m in body["models"]} == {
            name: ("1", "registry") for name in MODEL_NAMES
        }


def test_starts_from_the_cache_when_the_registry_is_unreachable(
    served: ServiceSettings, no_retries: None
) -> None:
    ModelStore(served).load_all()  # a good start fills the cache
    cut_off = served.model_copy(update={"tracking_uri": UNREACHABLE})
    with TestClient(create_app(cut_off)) as client:
        body = client.get("/ready").json()
    assert body["ready"] and sorted(body["degraded"]) == sorted(MODEL_NAMES)
    for model in body["models"]:
        assert model["source"] == "cache" and model["version"] == "1" and model["error"]


def test_a_failed_reload_keeps_the_old_model_serving(
    served: ServiceSettings, no_retries: None
) -> None:
    store = ModelStore(served)
    store.load_all()
    before = store.get("placement-success")
    store.settings = served.model_copy(update={"tracking_uri": UNREACHABLE})
    assert store.reload_one("placement-success") is False
    assert store.get("placement-success") is before
    assert store.errors["placement-success"]


def test_not_ready_without_a_champion(served: ServiceSettings, tmp_path: Path) -> None:
    empty = served.model_copy(
        update={
            "tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "model_cache_dir": str(tmp_path / "cache"),
        }
    )
    with TestClient(create_app(empty)) as client:
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert all("no champion" in m["error"] for m in ready.json()["models"])
    store = ModelStore(empty)
    store.load_all()
    with pytest.raises(ModelUnavailable, match="training-recs has no champion"):
        store.get("training-recs")


def test_production_needs_its_own_secret() -> None:
    with pytest.raises(ValueError, match="JENJANG_SECRET_KEY is not set"):
        create_app(ServiceSettings(environment="production"))
    with pytest.raises(ValueError, match="too weak"):
        create_app(ServiceSettings(environment="production", secret_key="short"))
    demo = ServiceSettings().check_for_start()
    assert demo.secret_key and len(demo.secret_key) >= 32
    assert ServiceSettings().check_for_start().secret_key != demo.secret_key
