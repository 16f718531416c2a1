"""A corrupt model artifact in the service's local cache: one changed byte is caught by its
checksum and the copy is refused, never loaded. With the registry reachable the service
downloads the version again; without it, the model is not loaded and the service is not
ready for it."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from service.settings import ServiceSettings
from service.state.model_cache import CHECKSUMS
from service.state.model_store import ModelStore, ModelUnavailable
from service.state.snapshot import Snapshot
from tests.faults.states import UNREACHABLE
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS

pytestmark = pytest.mark.slow


def _artifact(cache: Path) -> Path:
    """The fitted model's joblib file of the cached version 1."""
    (path,) = (cache / PLACEMENTS / "1").rglob("*.joblib")
    return path


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def cached(stores: ServiceSettings, served_snapshot: Snapshot) -> tuple[ServiceSettings, Snapshot]:
    """The placement champion loaded once, which fills the cache; and the data it serves."""
    ModelStore(stores, (PLACEMENTS,)).start(served_snapshot)
    return stores, served_snapshot


def test_each_cached_artifact_has_its_checksum_written_beside_it(
    cached: tuple[ServiceSettings, Snapshot],
) -> None:
    settings, _ = cached
    folder = Path(settings.model_cache_dir) / PLACEMENTS / "1"
    listed = (folder / CHECKSUMS).read_text()
    assert _artifact(Path(settings.model_cache_dir)).relative_to(folder).as_posix() in listed
    assert "MLmodel" in listed
    check = subprocess.run(["sha256sum", "--check", "--quiet", CHECKSUMS], cwd=folder, check=False)
    assert check.returncode == 0  # the usual tool reads it: an operator can check by hand


def test_a_corrupt_cached_artifact_is_refused_when_the_registry_is_unreachable(
    cached: tuple[ServiceSettings, Snapshot],
    no_retries: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, snapshot = cached
    _flip_one_byte(_artifact(Path(settings.model_cache_dir)))
    loads: list[Path] = []
    monkeypatch.setattr(ModelStore, "_load_folder", lambda self, folder: loads.append(folder))
    store = ModelStore(settings.model_copy(update={"tracking_uri": UNREACHABLE}), (PLACEMENTS,))
    with caplog.at_level(logging.ERROR, logger="service.state.model_cache"):
        store.start(snapshot)
    assert loads == []  # refused before MLflow or joblib read a byte of it
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("does not match its sha256" in line and ".joblib" in line for line in refused)
    assert "does not match its sha256" in store.errors[PLACEMENTS]
    (status,) = store.status()
    assert status["loaded"] is False
    with pytest.raises(ModelUnavailable):
        store.get(PLACEMENTS)


def test_a_corrupt_cached_artifact_is_downloaded_again_from_the_registry(
    cached: tuple[ServiceSettings, Snapshot], caplog: pytest.LogCaptureFixture
) -> None:
    settings, snapshot = cached
    artifact = _artifact(Path(settings.model_cache_dir))
    good = artifact.read_bytes()
    _flip_one_byte(artifact)
    store = ModelStore(settings, (PLACEMENTS,))
    with caplog.at_level(logging.ERROR, logger="service.state.model_cache"):
        store.start(snapshot)
    assert any("downloading it again" in r.getMessage() for r in caplog.records)
    loaded = store.get(PLACEMENTS)
    assert (loaded.version, loaded.source) == ("1", "registry")
    assert _artifact(Path(settings.model_cache_dir)).read_bytes() == good
