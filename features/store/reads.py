"""Reading the feature tables from the database as `Records`, and naming the data snapshot.

The only place feature data is read from the database; personal columns are never loaded
(`features.store.personal` loads the two protected attributes apart, for two uses).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from features.asof.records import Records, _excluded, typed
from features.schema import TABLES

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
    "training_records",
)


def load_records(engine: sa.Engine, tables: Iterable[str] = FEATURE_TABLES) -> Records:
    """Read the feature tables from the database (without personal columns)."""
    frames = {}
    with engine.connect() as connection:
        for name in tables:
            spec = TABLES[name]
            columns = ", ".join(c.name for c in spec.columns if c.name not in _excluded(spec))
            query = sa.text(f"SELECT {columns} FROM {name}")  # names come from the schema
            frames[name] = typed(spec, pd.read_sql(query, connection))
        snapshot = database_snapshot_id(connection)
    return Records(frames, snapshot)


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
