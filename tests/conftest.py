"""Shared fixtures: small generated datasets, fresh SQLite and PostgreSQL databases, and the
session's champions of both models (`served`)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from features.ingest.upsert import ingest_folder
from features.store.database import create_db_engine
from features.synth import GeneratorConfig, generate_dataset
from service.settings import ServiceSettings
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
from training.courses.kind import TrainConfig, TrainingRecs
from training.courses.model import RecommenderConfig
from training.placement.kind import PlacementConfig, PlacementSuccess
from training.promotion import promote
from training.run import train

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _hypothesis_skips_module_stand_ins() -> None:
    """While MLflow loads a models-from-code pyfunc it puts a stand-in object, not a module,
    in ``sys.modules["dbutils"]`` (`mlflow.models.utils._mock_dbutils`); hypothesis, scanning
    sys.modules for constants, reads its ``__file__`` (another stand-in) as a path and fails
    with "argument of type 'MockDbutils' is not iterable". A path that is not a string is no
    local module: say so, instead of letting a model load elsewhere fail a property test."""
    from hypothesis.internal import constants_ast
    from hypothesis.internal.conjecture import providers

    checked = constants_ast.is_local_module_file

    def is_local_module_file(path: object) -> bool:
        return isinstance(path, str) and checked(path)

    providers.is_local_module_file = is_local_module_file  # type: ignore[assignment]


_hypothesis_skips_module_stand_ins()


@pytest.fixture(scope="session", autouse=True)
def records_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Settings the tests make: the records and frames cache of the session
    (`features.store.reads.load_records`) in a temporary folder, so the checkout stays clean,
    services that reload only when asked (a test that follows the registry says so), and no
    address throttle of sign-ins: every test client signs in from the same address, so one
    test's refused sign-ins (schemathesis sends hundreds) would refuse the next tests' (the
    throttle's own tests set it; tests/service/test_sign_in_throttle.py)."""
    import os

    folder = tmp_path_factory.mktemp("records-cache")
    chosen = {
        "JENJANG_RECORDS_CACHE": str(folder),
        "JENJANG_RELOAD_POLL_SECONDS": "0",
        "JENJANG_SIGN_IN_ADDRESS_FAILURES": "1000000",
    }
    before = {name: os.environ.get(name) for name in chosen}
    os.environ.update(chosen)
    yield folder
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-person Gorontalo dataset (seed 7), generated once per test session."""
    folder = tmp_path_factory.mktemp("data") / "small"
    generate_dataset(GeneratorConfig.for_scale("province", employees=400, seed=7), folder)
    return folder


@pytest.fixture(scope="session")
def province_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The province-scale Gorontalo dataset (seed 42, about 40,000 people; half a minute),
    generated once per test session for the slow tests that need its size."""
    folder = tmp_path_factory.mktemp("province") / "gorontalo"
    generate_dataset(GeneratorConfig.for_scale("province", seed=42), folder)
    return folder


@pytest.fixture(scope="session")
def small_database(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The 400-person dataset ingested into a session SQLite database; returns its URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'jenjang.db'}"
    engine = create_db_engine(url)
    ingest_folder(small_dataset, engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The local server's maintenance database, for creating and dropping test databases."""
    return POSTGRES_ADMIN_URL


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'jenjang.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[sa.Engine]:
    """A fresh PostgreSQL database on the local server, dropped afterwards."""
    name = f"jenjang_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
