"""Fixtures for the service tests: the champions of the session (`served`, tests/conftest.py)
over PostgreSQL too, clients with accounts of every role, and the day's answers precomputed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.settings import ServiceSettings
from service.state.precompute import score_day
from tests.factories.api import PASSWORD, Api
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
from training.contract import TRAINING_RECS


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

    engine = create_db_engine(served.database_url)
    return build_snapshot(engine, service_date(served, engine))


@pytest.fixture(scope="session")
def scored(served: ServiceSettings, tmp_path_factory: pytest.TempPathFactory) -> ServiceSettings:
    """The champions' answers of the service's date written into a folder of their own."""
    settings = served.model_copy(update={"answers_dir": str(tmp_path_factory.mktemp("answers"))})
    written = {one.model: one.written for one in score_day(settings, (TRAINING_RECS, PLACEMENTS))}
    assert written[TRAINING_RECS].subjects > 300 and written[TRAINING_RECS].rows > 3000
    assert written[PLACEMENTS].subjects > 10  # every structural post
    return settings
