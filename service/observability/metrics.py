"""The service's Prometheus metrics, defined once here and recorded where things happen.

Every worker process records into its own files when ``PROMETHEUS_MULTIPROC_DIR`` is set
(`jenjang serve` sets it for more than one worker), and ``/metrics`` sums them; with one process
the default registry is read. Gauges that describe one worker (the models it serves, its
snapshot) keep a ``pid`` label in multiprocess mode ("liveall"), so a worker that failed to
reload shows as itself, and a worker that stopped drops out (`forget_worker`).
`docs/operations.md` says what each metric means and when to worry.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)

#: Model versions a worker serves: 1 for (model, version, source) now in service, where source
#: is "registry" or "cache" (the registry was unreachable at load).
MODEL_IN_SERVICE = Gauge(
    "jenjang_model_in_service",
    "1 for each model version this worker serves, by where it was loaded from.",
    ["model", "version", "source"],
    multiprocess_mode="liveall",
)

#: Reload attempts of the champions or the data, by outcome ("loaded", "unchanged", "failed").
RELOADS = Counter(
    "jenjang_reloads",
    "Reloads of a champion model or of the day's data, by what and outcome.",
    ["what", "outcome"],
)

#: The day the worker's data describes, as a Unix time (the service's date).
SNAPSHOT_DATE = Gauge(
    "jenjang_snapshot_date_seconds",
    "The service's date of the data this worker serves (Unix time).",
    multiprocess_mode="liveall",
)

#: When the worker built its snapshot; now minus this is the snapshot's age.
SNAPSHOT_BUILT = Gauge(
    "jenjang_snapshot_built_seconds",
    "When this worker built the data snapshot it serves (Unix time).",
    multiprocess_mode="liveall",
)

#: Audit rows waiting for the group commit.
AUDIT_QUEUE = Gauge(
    "jenjang_audit_queue_depth",
    "Audit rows waiting to be written by this worker.",
    multiprocess_mode="liveall",
)

#: Audit rows by outcome: written, or failed (their answers failed with them: nothing is
#: answered without its row).
AUDIT_ROWS = Counter("jenjang_audit_rows", "Audit rows by outcome (written, failed).", ["outcome"])

#: Refused sign-ins, by why ("password", "unknown", "disabled", "locked", "throttled").
SIGN_IN_FAILURES = Counter("jenjang_sign_in_failures", "Sign-ins refused, by reason.", ["reason"])


def multiprocess_dir() -> str | None:
    """Where the workers' metric files are (``PROMETHEUS_MULTIPROC_DIR``), if several processes
    serve; None for one process."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """Every metric in Prometheus's text format: summed over the workers' files in
    multiprocess mode, else this process's registry."""
    if multiprocess_dir() is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def forget_worker() -> None:
    """On a worker's clean stop: drop its per-worker gauges (models, snapshot, queue), so
    `/metrics` shows the workers that serve, not those that did."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())


def forget_dead_workers() -> list[int]:
    """At a worker's start: drop the per-worker gauges of workers that died without a clean
    stop (kill -9, out of memory, killed by the supervisor), whose files would otherwise show
    their last models and queue for as long as the service runs. Returns their pids."""
    folder = multiprocess_dir()
    if folder is None:
        return []
    dead = sorted({pid for pid in _gauge_pids(Path(folder)) if not _alive(pid)})
    for pid in dead:
        multiprocess.mark_process_dead(pid, folder)
    return dead


#: Metric files prometheus_client writes in multiprocess mode (``gauge_liveall_<pid>.db`` …).
METRIC_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def _gauge_pids(folder: Path) -> set[int]:
    names = (f.stem.rsplit("_", 1)[-1] for f in folder.glob("gauge_live*_*.db"))
    return {int(name) for name in names if name.isdigit()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
