"""What a worker serves and how its reloads went, told to the Prometheus metrics
(`service.observability.metrics`) as they happen.

`/ready` says what a worker serves now; the metrics keep the story: which versions each worker
serves and from where (``jenjang_model_in_service``: a worker left on the cached copy, or on
an old version after a failed reload, shows as itself), how each reload of a model or of the
data ended (``jenjang_reloads``: loaded, unchanged or failed), and the date and age of the data
(``jenjang_snapshot_*``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from service.observability.metrics import (
    MODEL_IN_SERVICE,
    RELOADS,
    SNAPSHOT_BUILT,
    SNAPSHOT_DATE,
)

if TYPE_CHECKING:
    from service.state.model_store import Loaded
    from service.state.snapshot import Snapshot

#: The `what` of a reload of the data (the others are the models' names).
DATA = "data"
LOADED, UNCHANGED, FAILED = "loaded", "unchanged", "failed"


def in_service(before: Mapping[str, Loaded], after: Mapping[str, Loaded]) -> None:
    """Set 1 for each (model, version, source) now serving and drop the ones that stopped. A
    dropped series is set to 0 first: with several workers, its last value stays in the
    worker's metrics file, and 0 there says "no longer served" rather than a stale 1."""
    now = {_labels(loaded) for loaded in after.values()}
    for gone in {_labels(loaded) for loaded in before.values()} - now:
        MODEL_IN_SERVICE.labels(*gone).set(0)
        MODEL_IN_SERVICE.remove(*gone)
    for labels in now:
        MODEL_IN_SERVICE.labels(*labels).set(1)


def data_in_service(snapshot: Snapshot) -> None:
    """The date the data in service describes, and when it was read from the database."""
    SNAPSHOT_DATE.set(snapshot.as_of.timestamp())
    SNAPSHOT_BUILT.set(snapshot.built_at)


def outcomes(
    before: Mapping[str, Loaded], after: Mapping[str, Loaded], failed: Iterable[str]
) -> dict[str, str]:
    """Each model's reload outcome: failed (the old version, if any, keeps serving), loaded
    (another version, or the same one from another source, now serves) or unchanged."""
    out = {name: FAILED for name in failed}
    for name, loaded in after.items():
        if name not in out:
            old = before.get(name)
            same = old is not None and _labels(old) == _labels(loaded)
            out[name] = UNCHANGED if same else LOADED
    return out


def count(outcome_of: Mapping[str, str]) -> None:
    """Count one reload per model (or the data) by its outcome."""
    for what, outcome in outcome_of.items():
        RELOADS.labels(what=what, outcome=outcome).inc()


def _labels(loaded: Loaded) -> tuple[str, str, str]:
    return (loaded.name, loaded.version, loaded.source)
