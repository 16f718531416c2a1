"""Fixtures for the service tests: both models trained small and promoted in a temporary MLflow
store, once per session, with a copy of the small database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.settings import ServiceSettings
from service.state.precompute import score_day
from tests.factories.api import PASSWORD, Api
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
from training.contract import TRAINING_RECS
from training.courses.kind import TrainConfig, TrainingRecs
from training.courses.model import RecommenderConfig
from training.placement.kind import PlacementConfig, PlacementSuccess
from training.promotion import promote
from training.run import train

TINY = RecommenderConfig(people_per_cycle=400, uptake_max_iter=40, level_max_iter=40)


@pytest.fixture(scope="session")
def served(
    small_database: str, small_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> ServiceSettings:
    """Settings of a service whose two models each have a champion (version 1)."""
    folder = tmp_path_factory.mktemp("service")
    copy = folder / "jenjang.db"
    shutil.copyfile(small_database.removeprefix("sqlite:///"), copy)
    settings = ServiceSettings(
        database_url=f"sqlite:///{copy}",
        tracking_uri=f"sqlite:///{folder / 'mlflow.db'}",
        artifact_root=str(folder / "artifacts"),
        model_cache_dir=str(folder / "cache"),
    )
    train(TrainingRecs(TrainConfig(truth_dir=small_dataset, recommender=TINY)), settings)
    promote(settings, reason="service tests")
    train(PlacementSuccess(PlacementConfig(truth_dir=small_dataset)), settings)
    promote(settings, PLACEMENTS, reason="service tests")
    return settings


@pytest.fixture(scope="session")
def served_postgres(
    served: ServiceSettings, small_dataset: Path, postgres_admin_url: str
) -> Iterator[ServiceSettings]:
    """The same champions over the small dataset ingested into a fresh PostgreSQL database."""
    import uuid

    import sqlalchemy as sa

    from features.ingest.upsert import ingest_folder
    from features.store.database import create_db_engine

    name = f"jenjang_api_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    engine = create_db_engine(url)
    ingest_folder(small_dataset, engine)
    engine.dispose()
    try:
        yield served.model_copy(update={"database_url": url})
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api(request: pytest.FixtureRequest, served: ServiceSettings) -> Iterator[Api]:
    from service.access.accounts import create_user
    from service.app import create_app

    settings = served if request.param == "sqlite" else request.getfixturevalue("served_postgres")
    with TestClient(create_app(settings)) as client:
        snapshot = client.app.state.models.current().snapshot  # type: ignore[attr-defined]
        frame = snapshot.view.frame
        posts = snapshot.positions[snapshot.positions["family"] == "pengawas"]
        # the agencies with the most people eligible for a pengawas post of their own
        eligible = snapshot.view.eligibility("pengawas").eligible.to_numpy(dtype=bool)
        counts = frame["agency_id"][eligible].value_counts()
        agency, other = [a for a in counts.index if (posts["agency_id"] == a).any()][:2]
        mine = frame.index[frame["agency_id"] == agency]
        engine = client.app.state.engine  # type: ignore[attr-defined]
        accounts = {
            "asn": ("asn", {"employee_id": str(mine[0])}),
            "hr_planner": ("hr_planner", {"agencies": (agency,)}),
            "analyst": ("analyst", {}),
            "granted_analyst": ("analyst", {"agencies": (agency,)}),
            "admin": ("admin", {}),
        }
        headers = {}
        for key, (role, scope) in accounts.items():
            name = f"test-{key.replace('_', '-')}"
            create_user(engine, name, PASSWORD, role, **scope)  # type: ignore[arg-type]
            token = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
            headers[key] = {"Authorization": f"Bearer {token.json()['access_token']}"}
        yield Api(
            client,
            headers,
            own=str(mine[0]),
            colleague=str(mine[1]),
            outsider=str(frame.index[frame["agency_id"] == other][0]),
            agency=agency,
            other_agency=other,
            post=str(posts.index[posts["agency_id"] == agency][0]),
            other_post=str(posts.index[posts["agency_id"] == other][0]),
        )


@pytest.fixture(scope="session")
def snapshot(served: ServiceSettings):  # type: ignore[no-untyped-def]
    """The served database described on the service's date (for the model store's tests)."""
    from features.store.database import create_db_engine
    from service.state.snapshot import build_snapshot, service_date

    return build_snapshot(create_db_engine(served.database_url), service_date(served))


@pytest.fixture(scope="session")
def scored(served: ServiceSettings, tmp_path_factory: pytest.TempPathFactory) -> ServiceSettings:
    """The champions' answers of the service's date written into a folder of their own."""
    settings = served.model_copy(update={"answers_dir": str(tmp_path_factory.mktemp("answers"))})
    written = {one.model: one.written for one in score_day(settings, (TRAINING_RECS, PLACEMENTS))}
    assert written[TRAINING_RECS].subjects > 300 and written[TRAINING_RECS].rows > 3000
    assert written[PLACEMENTS].subjects > 10  # every structural post
    return settings
