"""Reading the feature tables from the database as `Records`, and naming the data snapshot.

The only place feature data is read from the database; personal columns are never loaded
(`features.store.personal` loads the two protected attributes apart, for two uses).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from features.asof.frame import feature_code_version
from features.asof.records import FrameCache, Records, _excluded, typed
from features.schema import TABLES
from features.store.database import ingest_batches

log = logging.getLogger(__name__)

#: Tables the feature builders read (the catalogues come with the database too).
FEATURE_TABLES = (
    "employees",
    "positions",
    "position_standards",
    "units",
    "position_history",
    "grade_history",
    "assessments",
    "assessment_levels",
    "evaluations",
    "unit_evaluations",
    "disciplinary_records",
    "courses",
    "course_competencies",
    "course_prerequisites",
    "course_audiences",
    "training_records",
)


def load_records(
    engine: sa.Engine, tables: Iterable[str] = FEATURE_TABLES, cache: Path | None = None
) -> Records:
    """Read the feature tables from the database (without personal columns).

    With `cache` (a folder; ``records_cache`` in the settings), the typed tables of each data
    snapshot are kept there after the first read: every command and the service then load
    the same snapshot in about a second instead of ten. A cached snapshot is found by the
    database's URL and snapshot id (any ingest makes a new one), so a changed database is
    never read from an old copy; the two latest snapshots of a database are kept.
    """
    tables = tuple(tables)
    with engine.connect() as connection:
        snapshot = database_snapshot_id(connection)
        folder = _cache_folder(cache, engine, snapshot, tables) if cache else None
        if folder is not None and (folder / "records.pkl").exists():
            try:
                return _cached(pd.read_pickle(folder / "records.pkl"), snapshot, folder)
            except Exception:  # noqa: BLE001 — a damaged cache is read again from the database
                log.warning("the records cache %s could not be read; reading the database", folder)
        frames = {}
        for name in tables:
            spec = TABLES[name]
            columns = ", ".join(c.name for c in spec.columns if c.name not in _excluded(spec))
            query = sa.text(f"SELECT {columns} FROM {name}")  # names come from the schema
            frames[name] = typed(spec, pd.read_sql(query, connection))
    if folder is None:
        return Records(frames, snapshot)
    _store(folder, frames)
    return _cached(frames, snapshot, folder)


def _cached(tables: dict[str, pd.DataFrame], snapshot: str, folder: Path) -> Records:
    """Records whose feature frames are kept on disk beside them, per version of the code."""
    frames = FrameCache(folder=folder / f"frames-{feature_code_version()}")
    return Records(tables, snapshot, frames=frames)


def _cache_folder(cache: Path, engine: sa.Engine, snapshot: str, tables: tuple[str, ...]) -> Path:
    """Where one database's snapshot is cached (pandas' version too: pickles are its own)."""
    url = engine.url.render_as_string(hide_password=True)
    key = json.dumps([url, list(tables), pd.__version__])
    database = hashlib.sha256(key.encode()).hexdigest()[:12]
    return Path(cache) / f"records-{database}" / snapshot


def _store(folder: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Write the snapshot's tables whole (a temporary file renamed into place), and drop all
    but the two latest snapshots of the database."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".records-{os.getpid()}.pkl"
    pd.to_pickle(frames, partial)  # type: ignore[attr-defined]
    partial.replace(folder / "records.pkl")
    older = sorted(folder.parent.iterdir(), key=lambda p: p.stat().st_mtime)[:-2]
    for old in older:
        shutil.rmtree(old, ignore_errors=True)


def extraction_date(connection: sa.Connection) -> dt.date | None:
    """The day the data in the database was extracted: the latest extraction date its ingest
    batches recorded (None when none did: an export ingested without --extracted-on)."""
    latest = connection.execute(sa.select(sa.func.max(ingest_batches.c.extracted_on))).scalar()
    return latest if isinstance(latest, dt.date) else None


def same_batch(connection: sa.Connection, snapshot_id: str) -> bool:
    """Whether the database's last ingest batch is the one `snapshot_id` was taken after: one
    cheap query, where the full id counts every table (a watcher asks every few seconds)."""
    batch = connection.execute(sa.text("SELECT max(batch_id) FROM ingest_batches")).scalar()
    return snapshot_id.startswith(f"db-b{batch or 0}-")


def database_snapshot_id(connection: sa.Connection) -> str:
    """A short id of the database's state: its last ingest batch (number and time) and row
    counts. Any ingest, even one that changes nothing, gives a new id."""
    batch = connection.execute(
        sa.text("SELECT max(batch_id), max(finished_at) FROM ingest_batches")
    ).one()
    counts = {
        name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
        for name in FEATURE_TABLES
    }
    digest = hashlib.sha256(json.dumps([str(batch[1]), counts], sort_keys=True).encode())
    return f"db-b{batch[0] or 0}-{digest.hexdigest()[:10]}"
