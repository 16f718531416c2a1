"""The champion models in service: loaded at start, swapped on reload, cached for bad days.

Each registered model (`MODEL_NAMES`) is loaded from ``models:/<name>@champion``. Its artifacts
are downloaded into ``model_cache_dir/<name>/<version>`` first and loaded from there, and
``current.json`` records that version: when the registry is unreachable at start, the service
loads the cached version instead and says so in `/ready`. `reload()` loads the current champion
beside the one in service and swaps them only when the new one loaded; if loading fails, the old
model keeps serving and the error is kept for `/ready` and the reload answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow

from service.settings import ServiceSettings
from training import registry

log = logging.getLogger(__name__)

MODEL_NAMES = ("training-recs", "placement-success")


class ModelUnavailable(RuntimeError):
    """No version of this model could be loaded."""


@dataclass(frozen=True)
class Loaded:
    """One model in service and where it came from."""

    name: str
    version: str
    model: Any  # mlflow.pyfunc.PyFuncModel
    source: str  # "registry" or "cache"
    loaded_at: dt.datetime


@dataclass
class ModelStore:
    """The models in service, by name, with the last error of each."""

    settings: ServiceSettings
    names: tuple[str, ...] = MODEL_NAMES
    #: Run on each newly loaded model before it serves (hand it the data, warm it up); a
    #: failure counts as a failed load.
    prepare: Callable[[Loaded], None] | None = None
    _loaded: dict[str, Loaded] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load_all(self) -> None:
        """Load every champion; fall back to the cache for the ones the registry cannot give."""
        for name in self.names:
            if not self.reload_one(name):
                self._from_cache(name)

    def reload_one(self, name: str) -> bool:
        """Swap `name` to the current champion; on failure keep the old one and the error."""
        try:
            loaded = self._from_registry(name)
            if self.prepare is not None:
                self.prepare(loaded)
        except Exception as error:  # noqa: BLE001 — any failure must leave the old model serving
            self.errors[name] = f"{type(error).__name__}: {error}"
            log.warning("could not load the champion of %s: %s", name, self.errors[name])
            return False
        with self._lock:
            self._loaded[name] = loaded
        self.errors.pop(name, None)
        log.info("serving %s v%s from the registry", name, loaded.version)
        return True

    def get(self, name: str) -> Loaded:
        with self._lock:
            loaded = self._loaded.get(name)
        if loaded is None:
            reason = self.errors.get(name, "not loaded")
            raise ModelUnavailable(f"{name} is not available: {reason}")
        return loaded

    def status(self) -> list[dict[str, object]]:
        """Per model: loaded or not, version, source, when, and the last error."""
        out = []
        for name in self.names:
            with self._lock:
                loaded = self._loaded.get(name)
            out.append(
                {
                    "name": name,
                    "loaded": loaded is not None,
                    "version": loaded.version if loaded else None,
                    "source": loaded.source if loaded else None,
                    "loaded_at": loaded.loaded_at.isoformat() if loaded else None,
                    "error": self.errors.get(name),
                }
            )
        return out

    def _from_registry(self, name: str) -> Loaded:
        client = registry.configure(self.settings)
        version = registry.alias_version(client, name, registry.CHAMPION)
        if version is None:
            raise ModelUnavailable(f"{name} has no champion in the registry")
        folder = self._folder(name) / version
        if not (folder / "MLmodel").exists():
            folder.mkdir(parents=True, exist_ok=True)
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{version}", dst_path=str(folder)
            )
        model = self._load_folder(folder)
        (self._folder(name) / "current.json").write_text(json.dumps({"version": version}))
        return Loaded(name, version, model, "registry", dt.datetime.now(dt.UTC))

    def _from_cache(self, name: str) -> None:
        marker = self._folder(name) / "current.json"
        if not marker.exists():
            return
        version = str(json.loads(marker.read_text())["version"])
        try:
            model = self._load_folder(self._folder(name) / version)
            loaded = Loaded(name, version, model, "cache", dt.datetime.now(dt.UTC))
            if self.prepare is not None:
                self.prepare(loaded)
        except Exception as error:  # noqa: BLE001
            self.errors[name] += f"; the cached v{version} failed too: {error}"
            return
        with self._lock:
            self._loaded[name] = loaded
        log.warning("serving %s v%s from the local cache: the registry failed", name, version)

    def _load_folder(self, folder: Path) -> Any:
        config = {"database_url": self.settings.database_url}
        return mlflow.pyfunc.load_model(str(folder), model_config=config)

    def _folder(self, name: str) -> Path:
        return Path(self.settings.model_cache_dir) / name
