"""The champion models in service, with the data they answer from: loaded at start, swapped
together on reload, cached for bad days.

A request answers from one `Serving`: a data snapshot and the models prepared on it (handed its
records and warmed up by a real question). Reload builds the new `Serving` beside the one in use
and swaps it in one step, so no request mixes old data with a new model or the other way round,
and requests keep being answered meanwhile.

Each model (`MODEL_NAMES`) is loaded from ``models:/<name>@champion``; its artifacts are
downloaded into the local cache first, whole and with their checksums, and loaded from there
once they check (`service.state.model_cache`). Once a version has served, the cache records it:
when the registry is unreachable at start, the service loads that version instead and says so
in `/ready`. A model that fails to load keeps its old version serving, and the error is kept for
`/ready` (its type only) and the reload answer (in full, for analysts and admins); each reload's
outcome is counted and the versions in service shown in the metrics (`service.state.reloads`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
from cachetools import LRUCache

from service.settings import ServiceSettings
from service.state import reloads
from service.state.model_cache import ModelCache
from service.state.snapshot import Snapshot
from training import registry
from training.answers import AnswerKey, AnswerSet
from training.contract import PLACEMENT_SUCCESS, TRAINING_RECS, check_contract, served

log = logging.getLogger(__name__)

#: The models in service (their names are the contract's).
MODEL_NAMES = (TRAINING_RECS, PLACEMENT_SUCCESS)
#: Built answers kept per model in service (`Loaded.memo`): a list of ten explained candidates
#: is some tens of kB, so this bounds the memo to a few tens of MB.
MEMO_SIZE = 1024


class ModelUnavailable(RuntimeError):
    """No version of this model could be loaded."""


class ReloadBusy(RuntimeError):
    """Another reload is under way."""


@dataclass(frozen=True)
class Loaded:
    """One model in service and where it came from."""

    name: str
    version: str
    model: Any  # mlflow.pyfunc.PyFuncModel
    source: str  # "registry" or "cache"
    loaded_at: dt.datetime
    #: The day's precomputed answers of this version on the serving snapshot (`jenjang
    #: score`), if written: requests are answered by lookup, the rest by the model.
    answers: AnswerSet | None = None
    #: Explained answers already built by this version on its snapshot, by question (the
    #: service's routes fill it on the event loop): both never change while it serves, so an
    #: answer asked again is not built again. Bounded, least recently used first out.
    memo: LRUCache[tuple[Any, ...], Any] = field(
        init=False, repr=False, default_factory=lambda: LRUCache(maxsize=MEMO_SIZE)
    )

    @property
    def calibration(self) -> Any:
        """What the model's probability was calibrated on, for the pages to say what the number
        means (the placement model's `training.placement.model.Calibration`: rounds, placements,
        observed rate); None when it is not calibrated, or is a version from before calibration
        or a model without any."""
        try:
            fitted = served(self.model).fitted
        except (AttributeError, TypeError):
            return None
        return getattr(fitted, "calibration", None)


@dataclass(frozen=True)
class Serving:
    """What requests answer from: one snapshot and the models prepared on it."""

    snapshot: Snapshot
    models: Mapping[str, Loaded]

    def get(self, name: str) -> Loaded:
        if name not in self.models:
            raise ModelUnavailable(f"{name} is not available: see /ready")
        return self.models[name]


def _settle_heap() -> None:
    """Keep the garbage collector off what the service now holds.

    The data, models and answers in service are hundreds of thousands of long-lived Python
    objects; a full collection walks them all (a noticeable fraction of a second at province
    scale), and its pause lands
    on whatever requests are in flight. After a start or a reload this collects what the
    previous `Serving` left, then freezes everything alive into the collector's permanent
    generation (`gc.freeze`), so later collections see only what requests allocate."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class Reload:
    reloaded: list[str]
    failed: dict[str, str]  # name → why; the old version keeps serving
    data_refreshed: bool


Prepare = Callable[[Loaded, Snapshot], None]


@dataclass
class ModelStore:
    """The `Serving` in use, and the last load error of each model."""

    settings: ServiceSettings
    names: tuple[str, ...] = MODEL_NAMES
    #: Run on each newly loaded model before it serves (hand it the data, ask it one question);
    #: a failure counts as a failed load.
    prepare: Prepare | None = None
    errors: dict[str, str] = field(default_factory=dict)
    #: How the last reload of each model went (`service.state.reloads`), for `/ready`.
    last_reload: dict[str, str] = field(default_factory=dict)
    _serving: Serving | None = None
    _reloading: threading.Lock = field(default_factory=threading.Lock)

    def start(self, snapshot: Snapshot) -> None:
        """Load every champion on `snapshot`; the cache for the ones the registry cannot give."""
        loaded = {}
        for name in self.names:
            found = self._from_registry(name, snapshot) or self._from_cache(name, snapshot)
            if found is not None:
                loaded[name] = found
        self._swap(Serving(snapshot, loaded))

    def reload(self, snapshot: Snapshot) -> Reload:
        """Load the current champions on `snapshot` (the one in use, or a newer one) and swap
        them in with it. With a newer snapshot, a failure keeps everything as it was (the old
        models cannot answer from the new data); otherwise the models that loaded swap in and
        the others keep serving. Raises ReloadBusy while another reload runs."""
        if not self._reloading.acquire(blocking=False):
            raise ReloadBusy("a reload is already under way; try again when it has finished")
        try:
            current = self.current()
            new = {n: m for n in self.names if (m := self._from_registry(n, snapshot)) is not None}
            failed = {n: self.errors.get(n, "not loaded") for n in self.names if n not in new}
            refreshed = snapshot is not current.snapshot
            if refreshed and failed:
                log.warning("new data held back: %s failed to load on it", ", ".join(failed))
                self._count(current.models, current.models, failed, reloads.FAILED)
                return Reload([], failed, data_refreshed=False)
            if not new:
                self._count(current.models, current.models, failed, reloads.UNCHANGED)
                return Reload([], failed, data_refreshed=False)
            self._swap(Serving(snapshot, {**current.models, **new}), current)
            data = reloads.LOADED if refreshed else reloads.UNCHANGED
            self._count(current.models, new, failed, data)
            return Reload(sorted(new), failed, data_refreshed=refreshed)
        finally:
            self._reloading.release()

    def attach_answers(self) -> list[str]:
        """Attach the day's precomputed answers to the models serving without them, once
        `jenjang score` has written them; the names that got theirs. A promoted champion
        serves before its answers exist (they are scored after the promotion), and without
        this it answered every request through the model until the next reload: p99 161 ms
        before a promotion, about 1.5 s after it (bench/load_reload.py). Nothing else changes:
        the same versions on the same snapshot, swapped in one step. Skipped (empty) while a
        reload runs; the next look finds them."""
        if not self._reloading.acquire(blocking=False):
            return []
        try:
            current = self.current()
            found = {
                name: dataclasses.replace(loaded, answers=answers)
                for name, loaded in current.models.items()
                if loaded.answers is None
                and (answers := self._answers(loaded, current.snapshot)) is not None
            }
            if found:
                self._swap(Serving(current.snapshot, {**current.models, **found}), current)
            return sorted(found)
        finally:
            self._reloading.release()

    def _swap(self, serving: Serving, before: Serving | None = None) -> None:
        """Put `serving` in service: remember its versions for a start without the registry,
        show it in the metrics, and settle the heap."""
        self._serving = serving
        self._remember(serving.models.values())
        reloads.in_service(before.models if before else {}, serving.models)
        reloads.data_in_service(serving.snapshot)
        _settle_heap()

    def _count(
        self,
        before: Mapping[str, Loaded],
        after: Mapping[str, Loaded],
        failed: Mapping[str, str],
        data: str,
    ) -> None:
        """Count this reload's outcome per model and for the data, and keep it for `/ready`."""
        outcome = reloads.outcomes(before, after, failed)
        self.last_reload.update(outcome)
        reloads.count(outcome | {reloads.DATA: data})

    def current(self) -> Serving:
        if self._serving is None:
            raise ModelUnavailable("the service has not started")
        return self._serving

    def get(self, name: str) -> Loaded:
        return self.current().get(name)

    def status(self, detailed: bool = False) -> list[dict[str, object]]:
        """Per model: loaded or not, version, source, when, and the last error (its type only
        unless `detailed`: messages may name hosts and paths)."""
        models = self._serving.models if self._serving else {}
        out = []
        for name in self.names:
            loaded = models.get(name)
            error = self.errors.get(name)
            if error is not None and not detailed:
                error = error.split(":", 1)[0] + " (details in the service log)"
            out.append(
                {
                    "name": name,
                    "loaded": loaded is not None,
                    "version": loaded.version if loaded else None,
                    "source": loaded.source if loaded else None,
                    "loaded_at": loaded.loaded_at.isoformat() if loaded else None,
                    "error": error,
                    # "failed": the version shown still serves, the registry's was not loaded
                    "last_reload": self.last_reload.get(name),
                }
            )
        return out

    def _from_registry(self, name: str, snapshot: Snapshot) -> Loaded | None:
        try:
            client = registry.configure(self.settings)
            version = registry.alias_version(client, name, registry.CHAMPION)
            if version is None:
                raise ModelUnavailable(f"{name} has no champion in the registry")
            check_contract(client.get_model_version(name, version).tags, name, version)
            folder = self.cache.fetch(name, version)
            loaded = Loaded(
                name, version, self._load_folder(folder), "registry", dt.datetime.now(dt.UTC)
            )
            loaded = self._prepare(loaded, snapshot)
        except Exception as error:  # noqa: BLE001 — any failure must leave the old model serving
            self.errors[name] = f"{type(error).__name__}: {error}"
            log.warning("could not load the champion of %s: %s", name, self.errors[name])
            return None
        self.errors.pop(name, None)
        log.info("serving %s v%s from the registry", name, loaded.version)
        return loaded

    def _from_cache(self, name: str, snapshot: Snapshot) -> Loaded | None:
        """The version that served last, from the local cache, if its files check."""
        if not (self.cache.folder(name) / "current.json").exists():
            return None
        try:
            version, folder = self.cache.last_served(name)
            model = self._load_folder(folder)
            loaded = Loaded(name, version, model, "cache", dt.datetime.now(dt.UTC))
            loaded = self._prepare(loaded, snapshot)
        except Exception as error:  # noqa: BLE001
            self.errors[name] = self.errors.get(name, "") + f"; the cached one failed too: {error}"
            return None
        log.warning("serving %s v%s from the local cache: the registry failed", name, version)
        return loaded

    def _prepare(self, loaded: Loaded, snapshot: Snapshot) -> Loaded:
        """The model with the day's precomputed answers attached (if written), prepared."""
        loaded = dataclasses.replace(loaded, answers=self._answers(loaded, snapshot))
        if self.prepare is not None:
            self.prepare(loaded, snapshot)
        return loaded

    def _answers(self, loaded: Loaded, snapshot: Snapshot) -> AnswerSet | None:
        """The precomputed answers of `loaded`'s version on `snapshot`, if written."""
        key = AnswerKey(loaded.name, loaded.version, snapshot.as_of.date(), snapshot.snapshot_id)
        answers = AnswerSet.load(key, Path(self.settings.answers_dir))
        if answers is not None:
            log.info(
                "%s v%s: precomputed answers for %d on %s",
                key.model,
                key.version,
                len(answers),
                key.as_of,
            )
        return answers

    def _remember(self, loaded: Any) -> None:
        """Mark the versions now serving as the ones to start from when the registry fails."""
        for model in loaded:
            if model.source == "registry":
                self.cache.remember(model.name, model.version)

    def _load_folder(self, folder: Path) -> Any:
        """The pyfunc in `folder`. MLflow's check of the model's pip requirements against the
        installed packages is skipped (`suppress_warnings`): it scans every installed package
        (2 of the service's 10 s start) to print warnings, while what this code can load is
        decided by the contract version (`check_contract`) before the load."""
        config = {"database_url": self.settings.database_url}
        return mlflow.pyfunc.load_model(str(folder), model_config=config, suppress_warnings=True)

    @property
    def cache(self) -> ModelCache:
        """The local cache of the settings in use (a test may swap the settings)."""
        return ModelCache(Path(self.settings.model_cache_dir))
