"""A full disk while artifacts are written, simulated by a write that fails with ENOSPC after
part of its files landed: a clear error that names what failed, and nothing half-made that
anything reads. No registered version without its artifacts (nor a moved alias), no published
set of precomputed answers, no half-downloaded model in the service's cache."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

from service.settings import ServiceSettings
from service.state import model_cache
from service.state.model_store import ModelStore
from service.state.precompute import AnswersNotWritten, score_day
from service.state.snapshot import Snapshot
from tests.faults.states import database_state, incomplete_versions, registry_state
from training import answers
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
from training.contract import TRAINING_RECS
from training.placement.kind import PlacementConfig, PlacementSuccess
from training.run import RegistrationFailed, train

pytestmark = pytest.mark.slow


def _full(where: object) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))


def test_a_full_disk_while_logging_a_model_registers_no_version(
    stores: ServiceSettings, small_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model's files are copied into the artifact store one by one; the disk fills after
    the first."""
    original = LocalArtifactRepository.log_artifacts

    def fills_up(self: LocalArtifactRepository, local_dir: str, artifact_path: Any = None) -> None:
        files = sorted(p for p in Path(local_dir).rglob("*") if p.is_file())
        if not (Path(local_dir) / "MLmodel").exists():  # the run's report: it fits
            return original(self, local_dir, artifact_path)
        self.log_artifact(str(files[0]), artifact_path)
        raise _full(files[1])

    monkeypatch.setattr(LocalArtifactRepository, "log_artifacts", fills_up)
    before = (database_state(stores.database_url), registry_state(stores.tracking_uri))
    with pytest.raises(RegistrationFailed) as failure:
        train(PlacementSuccess(PlacementConfig(truth_dir=small_dataset)), stores)
    message = str(failure.value)
    assert message.startswith(f"{PLACEMENTS}: writing the run's files failed")
    assert "No space left on device" in message and "no version was registered" in message
    after = (database_state(stores.database_url), registry_state(stores.tracking_uri))
    assert after == before  # no version, no alias moved, no alias event
    assert incomplete_versions(stores.tracking_uri) == []
    client = MlflowClient(tracking_uri=stores.tracking_uri)
    (run,) = client.search_runs(
        [client.get_experiment_by_name("jenjang").experiment_id],  # type: ignore[union-attr]
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    assert run.info.status == "FAILED"  # the run says it did not finish


def test_a_full_disk_while_writing_the_days_answers_publishes_none(
    stores: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jenjang score` writes Parquet parts; the disk fills in the middle of the first."""

    def fills_up(table: object, where: object, **options: object) -> None:
        Path(str(where)).write_bytes(b"PAR1" + bytes(64))  # half a part
        raise _full(where)

    monkeypatch.setattr(answers.pq, "write_table", fills_up)
    with pytest.raises(AnswersNotWritten) as failure:
        score_day(stores, (TRAINING_RECS,))
    message = str(failure.value)
    assert message.startswith(f"{TRAINING_RECS} v1: writing the answers of ")
    assert "No space left on device" in message and "none were published" in message
    root = Path(stores.answers_dir)
    assert [p for p in root.rglob("*") if p.is_file()] == []  # no part, no manifest left
    assert list(root.rglob("snapshot=*")) == []  # the service finds no set to read


def test_a_full_disk_while_caching_a_champion_leaves_no_half_copy(
    stores: ServiceSettings, served_snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fills_up(artifact_uri: str, dst_path: str, **options: object) -> str:
        (Path(dst_path) / "MLmodel").write_text("flavors:\n")  # the first file, cut short
        raise _full(Path(dst_path) / "artifacts")

    monkeypatch.setattr(model_cache.mlflow.artifacts, "download_artifacts", fills_up)
    store = ModelStore(stores, (PLACEMENTS,))
    store.start(served_snapshot)
    (status,) = store.status(detailed=True)
    assert status["loaded"] is False
    assert "No space left on device" in str(status["error"])
    cache = Path(stores.model_cache_dir) / PLACEMENTS
    assert sorted(p.name for p in cache.iterdir()) == []  # no version, no partial folder
