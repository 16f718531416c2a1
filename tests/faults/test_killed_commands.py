"""kill -9 in the middle of an ingest, a training run and a promotion: the real `jenjang`
command on copies of the served stores, killed (SIGKILL, its whole process group) at a few
points of its work, chosen by what it prints as it goes. After each kill the database (every
table's rows), the registry (versions, their tags, aliases) and the history of alias moves are
exactly as before, and a run to the end afterwards completes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from features.synth import GeneratorConfig, generate_dataset
from service.settings import ServiceSettings
from tests.faults.states import (
    JENJANG,
    command_env,
    database_state,
    incomplete_versions,
    registry_state,
    run_and_kill,
    run_to_end,
)
from training import registry
from training.contract import CONTRACT_VERSION, TRAINING_RECS
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def other_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another 400-person export (seed 8): on top of the served data, an ingest that inserts
    and updates rows in most tables."""
    folder = tmp_path_factory.mktemp("other-export") / "seed8"
    generate_dataset(GeneratorConfig.for_scale("province", employees=400, seed=8), folder)
    return folder


#: Where an ingest is killed: three seconds in (reading and validating the files), then twice
#: inside its one write transaction (after the positions, after the evaluations).
INGEST_KILLS: list[tuple[str | None, float]] = [
    (None, 3.0),
    ("table positions:", 0.0),
    ("table evaluations:", 0.0),
]


def test_a_killed_ingest_leaves_every_table_as_it_was(
    stores: ServiceSettings, other_export: Path, tmp_path: Path
) -> None:
    before = database_state(stores.database_url)
    command = [JENJANG, "-v", "data", "ingest", str(other_export)]
    env = command_env(stores, tmp_path / "records")
    for marker, delay in INGEST_KILLS:
        run = run_and_kill(command, env, tmp_path, marker, delay)
        assert run.killed, f"the ingest ended before its kill point {marker!r}:\n{run.output}"
        assert database_state(stores.database_url) == before, f"killed {delay} s after {marker!r}"
    rerun = run_to_end(command, env, tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    after = database_state(stores.database_url)
    assert after["ingest_batches"][0] == before["ingest_batches"][0] + 1
    assert after["employees"][0] > before["employees"][0]  # the other export's people came in


#: The migrations an ingest runs first, with alembic telling each step (MLflow, which the
#: command line imports, quiets alembic's log: here it is the kill point).
MIGRATE = """
import logging, sys
from features.store.database import create_db_engine, migrate
logging.basicConfig(level=logging.INFO)
logging.getLogger("alembic").setLevel(logging.INFO)
migrate(create_db_engine(sys.argv[1]))
"""


def test_migrations_killed_half_way_leave_no_table_half_made(
    small_dataset: Path, tmp_path: Path
) -> None:
    """The first ingest creates the tables (the migrations) before it writes: killed there,
    the database has all of them or none, never some without their revision (after which
    every ingest failed on "table already exists")."""
    url = f"sqlite:///{tmp_path / 'first.db'}"
    migrating = [sys.executable, "-c", MIGRATE, url]
    run = run_and_kill(migrating, dict(os.environ), Path.cwd(), "-> 0002", 0.0)
    assert run.killed, run.output
    killed = database_state(url)
    env = os.environ | {"JENJANG_DATABASE_URL": url, "JENJANG_RECORDS_CACHE": ""}
    ingest = run_to_end([JENJANG, "data", "ingest", str(small_dataset)], env, tmp_path)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert set(killed) in (set(), set(database_state(url))), f"half made: {sorted(killed)}"
    assert all(rows == 0 for name, (rows, _) in killed.items() if name != "alembic_version")


#: Where a training run is killed: while it fits, and while MLflow checks the logged model
#: (the artifacts are written, the version not yet registered).
TRAIN_KILLS = [
    (f"{PLACEMENTS}: examples done", 1.0),
    ("Validating input example against model signature", 0.0),
]


def test_a_killed_training_run_registers_nothing(
    stores: ServiceSettings, small_dataset: Path, tmp_path: Path
) -> None:
    before = (database_state(stores.database_url), registry_state(stores.tracking_uri))
    command = [JENJANG, "-v", "train", "placements", "--truth", str(small_dataset)]
    env = command_env(stores, tmp_path / "records")
    for marker, delay in TRAIN_KILLS:
        run = run_and_kill(command, env, tmp_path, marker, delay)
        assert run.killed, f"the run ended before its kill point {marker!r}:\n{run.output}"
        after = (database_state(stores.database_url), registry_state(stores.tracking_uri))
        assert after == before, f"killed {delay} s after {marker!r}"
    rerun = run_to_end(command, env, tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    models = registry_state(stores.tracking_uri)[PLACEMENTS]
    (new,) = set(models["versions"]) - set(before[1][PLACEMENTS]["versions"])
    assert models["aliases"] == before[1][PLACEMENTS]["aliases"] | {registry.CHALLENGER: new}
    assert models["versions"][new]["tags"]["contract_version"] == CONTRACT_VERSION
    assert incomplete_versions(stores.tracking_uri) == []
    events = database_state(stores.database_url)["model_alias_events"][0]
    assert events == before[0]["model_alias_events"][0] + 1


def test_a_version_is_registered_with_its_provenance_at_once(
    stores: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The moment a version appears in the registry it carries its contract and provenance
    tags: a run killed right after registering cannot leave a version the service refuses
    (its tags used to be set one by one after the version was created)."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    from training.placement.kind import PlacementConfig, PlacementSuccess
    from training.promotion import load_fitted
    from training.run import register_pyfunc

    created = SqlAlchemyStore.create_model_version
    seen: list[dict[str, str]] = []

    def watched(self: SqlAlchemyStore, name: str, *args: object, **kwargs: object) -> object:
        version = created(self, name, *args, **kwargs)  # type: ignore[arg-type]
        seen.append(dict(self.get_model_version(name, version.version).tags))
        return version

    monkeypatch.setattr(SqlAlchemyStore, "create_model_version", watched)
    registry.configure(stores)
    fitted, tags = load_fitted(PLACEMENTS, "1")
    kind = PlacementSuccess(PlacementConfig())
    register_pyfunc(fitted, kind, None, tags, stores.database_url)  # type: ignore[arg-type]
    (at_creation,) = seen
    assert at_creation == tags and at_creation["contract_version"] == CONTRACT_VERSION


#: Where a promotion is killed: while it starts (reading the registry and the records), and
#: twice while the gate evaluates champion and challenger (about a second on this data).
PROMOTE_KILLS: list[tuple[str | None, float]] = [
    (None, 1.5),
    (f"{TRAINING_RECS}: evaluating", 0.0),
    (f"{TRAINING_RECS}: evaluating", 0.3),
]


def test_a_killed_promotion_moves_no_alias(
    stores: ServiceSettings, small_dataset: Path, tmp_path: Path
) -> None:
    client = MlflowClient(tracking_uri=stores.tracking_uri, registry_uri=stores.tracking_uri)
    first = client.get_model_version(TRAINING_RECS, "1")
    second = client.create_model_version(
        TRAINING_RECS, first.source, run_id=first.run_id, tags=first.tags
    ).version
    client.set_registered_model_alias(TRAINING_RECS, registry.CHALLENGER, second)
    before = (database_state(stores.database_url), registry_state(stores.tracking_uri))
    command = [JENJANG, "-v", "models", "promote", TRAINING_RECS, "--truth", str(small_dataset)]
    command += ["--force", "--reason", "fault test"]  # the gate's verdict is not the point
    for number, (marker, delay) in enumerate(PROMOTE_KILLS):
        env = command_env(stores, tmp_path / f"records-{number}")  # nothing evaluated yet
        run = run_and_kill(command, env, tmp_path, marker, delay)
        assert run.killed, f"the promotion ended before its kill point {marker!r}:\n{run.output}"
        after = (database_state(stores.database_url), registry_state(stores.tracking_uri))
        assert after == before, f"killed {delay} s after {marker!r}"
    rerun = run_to_end(command, command_env(stores, tmp_path / "records-rerun"), tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    aliases = registry_state(stores.tracking_uri)[TRAINING_RECS]["aliases"]
    assert aliases[registry.CHAMPION] == str(second)
    events = database_state(stores.database_url)["model_alias_events"][0]
    assert events == before[0]["model_alias_events"][0] + 1
