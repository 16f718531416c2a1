"""The app factory, readiness and the models in service: champions from the registry, the local
cache when the registry is unreachable, the old model kept when a reload fails, and no start
without a secret in production."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import ServiceSettings
from service.state import serving
from service.state.model_store import MODEL_NAMES, ModelStore, ModelUnavailable, ReloadBusy
from service.state.snapshot import Snapshot
from tests.factories.api import Api

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


def test_everyone_is_described_once_at_start_for_the_service_and_both_models(
    served: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot's view of everyone active on the service's date is the one both models
    answer from: starting (and warming both models up) describes the date once, and a
    recommendation and a candidate list after that describe it no more."""
    from features import view
    from service.state import snapshot
    from training import contract

    built: list[object] = []

    def counted(*args: object, **kwargs: object) -> view.View:
        built.append(args[1])
        return view.build_view(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot, "build_view", counted)
    monkeypatch.setattr(contract, "build_view", counted)
    with TestClient(create_app(served)) as client:
        assert client.get("/ready").status_code == 200
        store = client.app.state.models  # type: ignore[attr-defined]
        day = store.current().snapshot
        person = str(day.view.frame.index[0])
        post = str(day.positions.index[day.positions["rankable"]][0])
        serving.trainings(store.get(MODEL_NAMES[0]), day, person, 3, [])
        serving.candidates(store.get(MODEL_NAMES[1]), day, post, 3, False, None)
    assert len(built) == 1


def test_starts_from_the_cache_when_the_registry_is_unreachable(
    served: ServiceSettings, snapshot: Snapshot, no_retries: None
) -> None:
    ModelStore(served, prepare=serving.prepare).start(snapshot)  # a good start fills the cache
    cut_off = served.model_copy(update={"tracking_uri": UNREACHABLE})
    with TestClient(create_app(cut_off)) as client:
        body = client.get("/ready").json()
    assert body["ready"] and sorted(body["degraded"]) == sorted(MODEL_NAMES)
    for model in body["models"]:
        assert model["source"] == "cache" and model["version"] == "1" and model["error"]
        assert "127.0.0.1" not in model["error"]  # /ready is public: the error's type only


def test_a_failed_reload_keeps_the_old_models_and_data_serving(
    served: ServiceSettings, snapshot: Snapshot, no_retries: None
) -> None:
    store = ModelStore(served, prepare=serving.prepare)
    store.start(snapshot)
    before = store.current()
    store.settings = served.model_copy(update={"tracking_uri": UNREACHABLE})
    same_data = store.reload(snapshot)
    assert same_data.reloaded == [] and set(same_data.failed) == set(MODEL_NAMES)
    assert store.get("placement-success") is before.get("placement-success")
    # newer data waits until every model loads on it: nothing mixes old models and new data
    newer = dataclasses.replace(snapshot, snapshot_id="db-newer")
    held = store.reload(newer)
    assert not held.data_refreshed and store.current() is before
    assert all("MlflowException" in e or "Error" in e for e in store.errors.values())


def test_a_reload_onto_new_data_swaps_data_and_models_together(
    served: ServiceSettings, snapshot: Snapshot
) -> None:
    store = ModelStore(served, prepare=serving.prepare)
    store.start(snapshot)
    newer = dataclasses.replace(snapshot, snapshot_id="db-newer")
    done = store.reload(newer)
    assert done.data_refreshed and done.reloaded == sorted(MODEL_NAMES)
    current = store.current()
    assert current.snapshot is newer
    assert all(m.loaded_at > snapshot.as_of.tz_localize("UTC") for m in current.models.values())


def test_requests_keep_being_answered_during_a_reload(api: Api) -> None:
    """A reload loads and warms the new models beside the old ones: nothing is dropped."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"/api/v1/employees/{api.own}/trainings"
    with ThreadPoolExecutor(max_workers=1) as pool:
        reload = pool.submit(api.client.post, "/api/v1/models/reload", headers=api.headers["admin"])
        answers = [api.client.get(url, headers=api.headers["asn"]).status_code]
        while not reload.done():
            answers.append(api.client.get(url, headers=api.headers["asn"]).status_code)
        assert reload.result().status_code == 200
    assert answers and set(answers) == {200}


def test_one_reload_at_a_time(served: ServiceSettings, snapshot: Snapshot) -> None:
    store = ModelStore(served, prepare=serving.prepare)
    store.start(snapshot)
    with store._reloading, pytest.raises(ReloadBusy, match="already under way"):
        store.reload(snapshot)
    assert store.reload(snapshot).reloaded == sorted(MODEL_NAMES)


def test_a_broken_cache_marker_does_not_stop_the_start(
    served: ServiceSettings, snapshot: Snapshot, tmp_path: Path, no_retries: None
) -> None:
    settings = served.model_copy(
        update={"tracking_uri": UNREACHABLE, "model_cache_dir": str(tmp_path)}
    )
    (tmp_path / "training-recs").mkdir()
    (tmp_path / "training-recs" / "current.json").write_text("{not json")
    store = ModelStore(settings, prepare=serving.prepare)
    store.start(snapshot)
    assert "cached one failed too" in store.errors["training-recs"]
    with pytest.raises(ModelUnavailable):
        store.get("training-recs")


def test_not_ready_without_a_champion(
    served: ServiceSettings, snapshot: Snapshot, tmp_path: Path
) -> None:
    empty = served.model_copy(
        update={
            "tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "model_cache_dir": str(tmp_path / "cache"),
        }
    )
    with TestClient(create_app(empty)) as client:
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert all(m["error"].startswith("ModelUnavailable") for m in ready.json()["models"])
    store = ModelStore(empty)
    store.start(snapshot)
    assert "training-recs has no champion" in store.status(detailed=True)[0]["error"]
    with pytest.raises(ModelUnavailable, match="training-recs is not available"):
        store.get("training-recs")


def test_production_needs_its_own_secret() -> None:
    with pytest.raises(ValueError, match="JENJANG_SECRET_KEY is not set"):
        create_app(ServiceSettings(environment="production"))
    with pytest.raises(ValueError, match="too weak"):
        create_app(ServiceSettings(environment="production", secret_key="short"))
    demo = ServiceSettings().check_for_start()
    assert demo.secret_key and len(demo.secret_key) >= 32
    assert ServiceSettings().check_for_start().secret_key != demo.secret_key


@pytest.fixture(scope="module")
def accounts(served: ServiceSettings) -> dict[str, str]:
    """One account per role in the served database; returns username → password."""
    import sqlalchemy as sa

    from features.store.database import create_db_engine
    from service.access.accounts import create_user

    engine = create_db_engine(served.database_url)
    with engine.connect() as connection:
        person = str(connection.execute(sa.text("SELECT employee_id FROM employees")).scalar())
    made = {
        "admin1": ("admin", {}),
        "analyst1": ("analyst", {}),
        "asn1": ("asn", {"employee_id": person}),
        "planner1": ("hr_planner", {"agencies": ("A1",)}),
    }
    for username, (role, extra) in made.items():
        create_user(engine, username, f"{username}-password", role, **extra)
    engine.dispose()
    return {username: f"{username}-password" for username in made}


def _token(client: TestClient, username: str, password: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.json()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_only_analysts_and_admins_see_and_reload_models(
    served: ServiceSettings, accounts: dict[str, str]
) -> None:
    with TestClient(create_app(served)) as client:
        assert client.get("/api/v1/models").status_code == 401
        for username in ("admin1", "analyst1"):
            seen = client.get(
                "/api/v1/models", headers=_token(client, username, accounts[username])
            )
            assert seen.status_code == 200 and {m["version"] for m in seen.json()} == {"1"}
        for username in ("asn1", "planner1"):
            headers = _token(client, username, accounts[username])
            refused = client.get("/api/v1/models", headers=headers)
            assert refused.status_code == 403 and "may not" in refused.json()["detail"]
            assert client.post("/api/v1/models/reload", headers=headers).status_code == 403
        reload = client.post(
            "/api/v1/models/reload", headers=_token(client, "analyst1", accounts["analyst1"])
        )
        assert reload.status_code == 200
        assert sorted(reload.json()["reloaded"]) == sorted(MODEL_NAMES)


def test_a_reload_that_fails_keeps_serving_and_says_why(
    served: ServiceSettings, accounts: dict[str, str], no_retries: None
) -> None:
    with TestClient(create_app(served)) as client:
        headers = _token(client, "admin1", accounts["admin1"])
        client.app.state.models.settings = served.model_copy(  # type: ignore[attr-defined]
            update={"tracking_uri": UNREACHABLE}
        )
        answer = client.post("/api/v1/models/reload", headers=headers).json()
        assert answer["reloaded"] == [] and set(answer["failed"]) == set(MODEL_NAMES)
        assert "MlflowException" in json.dumps(answer["failed"])  # in full for model operators
        assert all(m["loaded"] and m["version"] == "1" for m in answer["models"])
        assert client.get("/ready").status_code == 200


def test_wrong_forged_and_expired_tokens_are_refused(
    served: ServiceSettings, accounts: dict[str, str]
) -> None:
    import jwt

    from service.access.accounts import Account
    from service.access.security import issue_token

    with TestClient(create_app(served)) as client:
        wrong = client.post(
            "/api/v1/auth/token", data={"username": "admin1", "password": "not the password"}
        )
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        settings = client.app.state.settings  # type: ignore[attr-defined]
        admin = Account("admin1", "admin", None, ())
        forged = jwt.encode({"sub": "admin1", "role": "admin", "exp": 9_999_999_999}, "x" * 40)
        expired = issue_token(admin, settings.model_copy(update={"token_minutes": -1}))
        for token, message in ((forged, "not valid"), (expired, "expired")):
            answer = client.get("/api/v1/models", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401 and message in answer.json()["detail"]
        # a token of another service instance (another secret) is not valid here either
        other = settings.model_copy(update={"secret_key": "y" * 48})
        foreign = issue_token(admin, other)
        answer = client.get("/api/v1/models", headers={"Authorization": f"Bearer {foreign}"})
        assert answer.status_code == 401
