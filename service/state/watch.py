"""Every worker follows the database and the registry: a promotion, a rollback or newly
ingested data reaches each worker process, not only the one that was asked to reload.

A thread per worker looks every `reload_poll_seconds` (two cheap queries: the last ingest
batch and the champions' versions): when the database holds a newer ingest (or the service's
date moved on) or the registry names other champions than those serving, it reloads the way
`POST /models/reload` does (new models prepared beside the old ones and swapped in with their
data in one step). Several workers therefore converge on the same versions and data within one
interval, through the database and the registry they share, with no signal sent to a process.
When nothing moved, it looks for the day's answers that `jenjang score` wrote for a version
serving without them (a champion promoted before they were scored) and attaches them.

A registry that cannot be asked counts as champions moved: the reload then fails, the old
versions keep serving, and `/ready` and the metrics say so (`service.state.reloads`) rather
than the watcher only logging it. Data that cannot be read counts as a failed reload of the
data.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from features.store.reads import same_batch
from service.state import reloads
from service.state.model_store import ModelStore, ReloadBusy
from service.state.snapshot import Snapshot, refreshed, service_date
from training import registry

log = logging.getLogger(__name__)


def behind(state: Any) -> bool:
    """Reload if the data or the champions moved since what is serving; True if it did."""
    store: ModelStore = state.models
    current = store.current()
    try:
        snapshot = _data_now(state, current.snapshot)
    except Exception:
        reloads.count({reloads.DATA: reloads.FAILED})
        raise
    champions = _champions(state.settings, store.names)
    serving = {n: (m.version if (m := current.models.get(n)) else None) for n in store.names}
    if snapshot is current.snapshot and champions == serving:
        attached = store.attach_answers()
        if attached:
            log.info("precomputed answers written since the load: now used by %s", attached)
        return False
    done = store.reload(snapshot)
    log.info("followed the registry and the data: reloaded %s", done.reloaded or "nothing")
    return True


def _data_now(state: Any, snapshot: Snapshot) -> Snapshot:
    """`snapshot`, or a new one when the database holds a newer ingest or the date moved on."""
    settings = state.settings
    with state.engine.connect() as connection:
        ingested = not same_batch(connection, snapshot.snapshot_id)
    day = service_date(settings, state.engine)
    if ingested or day != snapshot.as_of:
        return refreshed(state.engine, snapshot, day, settings.records_cache_folder())
    return snapshot


def _champions(settings: Any, names: tuple[str, ...]) -> dict[str, str | None] | None:
    """The registry's champion of each model, or None when the registry cannot be asked."""
    try:
        client = registry.configure(settings)
        return {n: registry.alias_version(client, n, registry.CHAMPION) for n in names}
    except Exception as error:  # noqa: BLE001 — the reload that follows says why, in /ready
        log.warning("could not ask the registry for the champions: %s", type(error).__name__)
        return None


class Watcher:
    """The thread that keeps one worker up to date (`behind`), stopped with the service."""

    def __init__(self, state: Any, interval: float) -> None:
        self.state = state
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reload-watcher", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                behind(self.state)
            except ReloadBusy:
                pass  # another reload is under way: look again next time
            except Exception as error:  # noqa: BLE001 — the service keeps serving what it has
                log.warning("could not follow the registry and the data: %s", error)
