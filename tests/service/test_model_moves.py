"""Promote and roll back from the analyst's page: the gate runs, the move is recorded with who
and why, and the running service answers with the new champion. On a copy of the served stores,
so the other service tests keep their champions."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from fastapi.testclient import TestClient

from service.settings import ServiceSettings
from tests.factories.api import PASSWORD
from training import registry
from training.contract import TRAINING_RECS as MODEL_NAME

pytestmark = pytest.mark.slow


@pytest.fixture
def moving(served: ServiceSettings, tmp_path: Path) -> Iterator[tuple[TestClient, ServiceSettings]]:
    """An app on copies of the served database and registry, where training-recs has a
    challenger v2 registered from v1's run (the same model, so it passes the gate), and a
    signed-in analyst."""
    from features.store.database import create_db_engine
    from service.access.accounts import create_user
    from service.app import create_app

    settings = _copied(served, tmp_path)
    client = registry.configure(settings)
    first = client.get_model_version(MODEL_NAME, "1")
    second = client.create_model_version(
        MODEL_NAME, first.source, run_id=first.run_id, tags=first.tags
    )
    client.set_registered_model_alias(MODEL_NAME, registry.CHALLENGER, second.version)
    create_user(create_db_engine(settings.database_url), "mover", PASSWORD, "analyst")
    with TestClient(create_app(settings)) as app:
        app.post("/masuk", data={"username": "mover", "password": PASSWORD})
        yield app, settings
    mlflow.set_tracking_uri(served.tracking_uri)  # back to the shared store for later tests
    mlflow.set_registry_uri(served.tracking_uri)


def _copied(served: ServiceSettings, folder: Path, **update: object) -> ServiceSettings:
    """Settings on copies of the served database and registry in `folder`."""
    _copy(served.database_url, folder / "jenjang.db")
    _copy(served.tracking_uri, folder / "mlflow.db")
    return served.model_copy(
        update={
            "database_url": f"sqlite:///{folder / 'jenjang.db'}",
            "tracking_uri": f"sqlite:///{folder / 'mlflow.db'}",
            "model_cache_dir": str(folder / "cache"),
        }
        | update
    )


def _copy(url: str, to: Path) -> None:
    """A consistent copy of a SQLite database, write-ahead log included."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(to) as copy:
        source.backup(copy)


def _in_service(app: TestClient) -> str:
    models = app.app.state.models.status()  # type: ignore[attr-defined]
    return next(str(m["version"]) for m in models if m["name"] == MODEL_NAME)


def test_promote_then_roll_back_from_the_page(moving: tuple[TestClient, ServiceSettings]) -> None:
    app, settings = moving
    assert _in_service(app) == "1"
    page = app.get("/model")
    assert "v2 · penantang" in page.text and "Promosikan v2" in page.text  # Indonesian page

    compared = app.post(f"/model/{MODEL_NAME}/banding")
    assert compared.status_code == 200 and 'id="gate"' in compared.text
    assert "Lolos gerbang" in compared.text  # the same model on the same cycle passes
    assert _in_service(app) == "1"  # comparing moves nothing

    promoted = app.post(f"/model/{MODEL_NAME}/promosi", data={"reason": "better on 2025"})
    assert promoted.status_code == 200 and promoted.url.path == "/model"
    assert 'class="notice"' in promoted.text
    client = registry.configure(settings)
    assert registry.alias_version(client, MODEL_NAME, registry.CHAMPION) == "2"
    assert _in_service(app) == "2"  # the page reloaded the service
    from features.store.database import create_db_engine

    engine = create_db_engine(settings.database_url)
    last = registry.history(engine, MODEL_NAME).iloc[-1]
    assert (last["version"], last["previous_version"]) == ("2", "1")
    assert last["moved_by"] == "mover" and last["reason"] == "better on 2025"
    assert last["evidence"]["passed"] is True  # the gate's table is kept with the move

    rolled = app.post(f"/model/{MODEL_NAME}/kembalikan", data={"reason": "complaints"})
    assert rolled.status_code == 200
    assert registry.alias_version(client, MODEL_NAME, registry.CHAMPION) == "1"
    assert _in_service(app) == "1"
    last = registry.history(engine, MODEL_NAME).iloc[-1]
    assert last["reason"] == "rollback: complaints" and last["moved_by"] == "mover"
    history = re.findall(r"<td>(v\d+|–) → (v\d+|–)</td>", app.get("/model").text)
    assert history[:2] == [("v2", "v1"), ("v1", "v2")]  # newest first


def test_a_rollback_to_an_unknown_version_is_refused_visibly(
    moving: tuple[TestClient, ServiceSettings],
) -> None:
    app, settings = moving
    answer = app.post(f"/model/{MODEL_NAME}/kembalikan", data={"reason": "x", "version": "99"})
    assert answer.status_code == 409 and 'role="alert"' in answer.text
    bad = app.post(f"/model/{MODEL_NAME}/kembalikan", data={"reason": "x", "version": "v1"})
    assert bad.status_code == 422 and "version" in bad.text
    client = registry.configure(settings)
    assert registry.alias_version(client, MODEL_NAME, registry.CHAMPION) == "1"
    assert _in_service(app) == "1"


def test_a_move_whose_model_fails_to_load_says_so(
    moving: tuple[TestClient, ServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.state.model_store import Reload

    app, settings = moving
    store = app.app.state.models  # type: ignore[attr-defined]
    failed = Reload([], {MODEL_NAME: "OSError: artifact missing at /x"}, data_refreshed=False)
    monkeypatch.setattr(store, "reload", lambda snapshot: failed)
    answer = app.post(f"/model/{MODEL_NAME}/promosi", data={"reason": "try"})
    assert answer.status_code == 500 and "belum memuatnya" in answer.text
    assert "OSError" in answer.text and "/x" not in answer.text
    assert _in_service(app) == "1"  # the old version keeps serving, and the page says so
    client = registry.configure(settings)
    assert registry.alias_version(client, MODEL_NAME, registry.CHAMPION) == "2"


def test_every_worker_follows_a_new_champion_and_new_data(
    served: ServiceSettings, tmp_path: Path
) -> None:
    """Two worker processes of one service (two apps on the same stores): a champion moved in
    the registry, then newly ingested data, reach both without a reload request to either."""
    import time

    import sqlalchemy as sa

    from features.store.database import create_db_engine
    from service.app import create_app

    settings = _copied(served, tmp_path, reload_poll_seconds=0.3)
    client = registry.configure(settings)
    first = client.get_model_version(MODEL_NAME, "1")
    second = client.create_model_version(
        MODEL_NAME, first.source, run_id=first.run_id, tags=first.tags
    )

    def until(check) -> bool:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.2)
        return False

    try:
        with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
            workers = (one, two)
            assert [_in_service(w) for w in workers] == ["1", "1"]
            client.set_registered_model_alias(MODEL_NAME, registry.CHAMPION, second.version)
            assert until(lambda: [_in_service(w) for w in workers] == ["2", "2"])

            before = [w.app.state.models.current().snapshot.snapshot_id for w in workers]  # type: ignore[attr-defined]
            engine = create_db_engine(settings.database_url)
            with engine.begin() as connection:  # an ingest, as far as the snapshot id can tell
                connection.execute(
                    sa.text(
                        "INSERT INTO ingest_batches (source, started_at, finished_at, inserted,"
                        " updated, unchanged, warnings, counts) VALUES ('test',"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 0, 0, 0, '{}')"
                    )
                )
            engine.dispose()

            def refreshed() -> bool:
                now = [w.app.state.models.current().snapshot.snapshot_id for w in workers]  # type: ignore[attr-defined]
                return all(a != b for a, b in zip(now, before, strict=True))

            assert until(refreshed)
            assert [w.get("/ready").status_code for w in workers] == [200, 200]
    finally:
        mlflow.set_tracking_uri(served.tracking_uri)
        mlflow.set_registry_uri(served.tracking_uri)
