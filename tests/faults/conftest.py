"""Fixtures of the fault tests: copies of the session's served stores, so that a fault never
touches what the other tests use, and an MLflow client that gives up at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from service.settings import ServiceSettings
from service.state.snapshot import Snapshot
from tests.service.test_model_moves import _copied


@pytest.fixture
def stores(served: ServiceSettings, tmp_path: Path) -> Iterator[ServiceSettings]:
    """Settings on copies of the served database and registry, with a model cache and an
    answers folder of their own; MLflow is pointed back at the served store afterwards."""
    yield _copied(served, tmp_path, answers_dir=str(tmp_path / "answers"))
    mlflow.set_tracking_uri(served.tracking_uri)
    mlflow.set_registry_uri(served.tracking_uri)


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """An MLflow client that asks an unreachable registry once, for two seconds at most."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")


@pytest.fixture(scope="session")
def served_snapshot(served: ServiceSettings) -> Snapshot:
    """The served database described on the service's date (what a model store prepares its
    models on)."""
    from features.store.database import create_db_engine
    from service.state.snapshot import build_snapshot, service_date

    engine = create_db_engine(served.database_url)
    try:
        return build_snapshot(engine, service_date(served, engine))
    finally:
        engine.dispose()
