"""Loading a validated export into the database: one transaction, idempotent upserts.

Rows are matched on their natural keys (`features.schema.Table.key`): new keys are inserted,
changed rows updated, identical rows left alone, so ingesting the same files twice changes
nothing. Either every table of the export is written or none is; each ingest is recorded in
``ingest_batches`` with its counts.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.ingest.sources import ROW, stated_extraction_date
from features.ingest.validation import ValidationReport, coerce, validate_folder
from features.schema import LOAD_ORDER, TABLES, Table
from features.store.database import ingest_batches, metadata, migrate

log = logging.getLogger(__name__)


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Per column, how many updated rows changed it (an exit date, a placement's end …).
    changed_columns: dict[str, int] = field(default_factory=dict)


@dataclass
class UpsertPlan:
    """What an upsert of one table will do: the new rows, the changed rows, the count of
    identical ones. Kept apart from writing so a cycle's report can look at the new rows."""

    spec: Table
    new: pd.DataFrame
    changed: pd.DataFrame
    changed_columns: dict[str, int]
    unchanged: int

    @property
    def counts(self) -> TableCounts:
        """The plan as the counts an ingest reports and records."""
        return TableCounts(len(self.new), len(self.changed), self.unchanged, self.changed_columns)


@dataclass
class IngestResult:
    """What an ingest wrote, table by table, and the validation report behind it."""

    batch_id: int
    report: ValidationReport
    counts: dict[str, TableCounts] = field(default_factory=dict)

    def total(self, what: str) -> int:
        return sum(getattr(c, what) for c in self.counts.values())


class IngestRejected(Exception):
    """The export has errors; nothing was written. `report` lists every problem."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(f"{len(report.errors)} errors in the export; nothing was written")


def ingest_folder(
    folder: Path,
    engine: sa.Engine,
    today: dt.date | None = None,
    on_step: Callable[[str], None] | None = None,
    mapping: Path | None = None,
    extracted_on: dt.date | None = None,
) -> IngestResult:
    """Validate `folder` and load it into `engine` in one transaction (see module doc).
    `on_step` is told each step as it ends ("validate", then "write <table>" per table), so a
    terminal can show where a minute-long ingest is. `mapping` and `extracted_on` are as in
    `features.ingest.validation.validate_folder`; the batch records `extracted_on`, else the
    date a generated dataset states (`stated_extraction_date`), as the data's date."""
    migrate(engine)
    report = validate_folder(
        folder, engine=engine, today=today, mapping=mapping, extracted_on=extracted_on
    )
    if not report.ok:
        raise IngestRejected(report)
    if on_step is not None:
        on_step("validate")
    dated = extracted_on or stated_extraction_date(folder)
    return load_report(report, engine, source=str(folder), on_step=on_step, extracted_on=dated)


def load_report(
    report: ValidationReport,
    engine: sa.Engine,
    source: str,
    inspect: Callable[[UpsertPlan], None] | None = None,
    check: Callable[[sa.Connection], None] | None = None,
    rejected: Mapping[str, int] | None = None,
    on_step: Callable[[str], None] | None = None,
    extracted_on: dt.date | None = None,
) -> IngestResult:
    """Write a validated report's tables in one transaction and record the batch.

    `check` runs first inside the transaction (a cycle's "no later cycle is stored", so two
    ingests cannot both pass it); `inspect` sees each table's plan before it is written (the
    cycle report counts the new rows by the year of their facts). An exception from either
    rolls everything back. `rejected` (rows left out, per table) is recorded with the batch.
    `on_step` is told each table once it is written. `extracted_on`, the export's extraction
    date when known, is recorded with the batch: the service's date defaults to the latest
    (`features.store.reads.extraction_date`).
    """
    if not report.ok:
        raise IngestRejected(report)
    started = dt.datetime.now()
    counts: dict[str, TableCounts] = {}
    with engine.begin() as connection:
        if check is not None:
            check(connection)
        for name in LOAD_ORDER:
            if name in report.tables:
                plan = plan_upsert(connection, TABLES[name], report.tables[name])
                if inspect is not None:
                    inspect(plan)
                apply_upsert(connection, plan)
                counts[name] = plan.counts
                log.info("table %s: %s", name, counts[name])
                if on_step is not None:
                    on_step(f"write {name}")
        result = IngestResult(0, report, counts)
        batch = connection.execute(
            ingest_batches.insert().values(
                source=source,
                started_at=started,
                finished_at=dt.datetime.now(),
                inserted=result.total("inserted"),
                updated=result.total("updated"),
                unchanged=result.total("unchanged"),
                warnings=len(report.warnings),
                extracted_on=extracted_on,
                counts={
                    k: asdict(v) | ({"rejected": rejected[k]} if rejected and k in rejected else {})
                    for k, v in counts.items()
                },
            )
        )
        (result.batch_id,) = batch.inserted_primary_key or (0,)
    return result


def upsert(connection: sa.Connection, spec: Table, frame: pd.DataFrame) -> TableCounts:
    """Insert new keys, update changed rows, leave identical rows alone."""
    plan = plan_upsert(connection, spec, frame)
    apply_upsert(connection, plan)
    return plan.counts


def plan_upsert(connection: sa.Connection, spec: Table, frame: pd.DataFrame) -> UpsertPlan:
    """Compare `frame` with the stored rows on the natural key (nothing is written)."""
    frame = frame[spec.column_names].reset_index(drop=True)
    stored = _stored_rows(connection, spec)
    key = list(spec.key)
    if stored.empty:
        return UpsertPlan(spec, frame, frame.iloc[:0], {}, 0)
    merged = frame.merge(stored, on=key, how="left", suffixes=("", "__db"), indicator=True)
    new = (merged["_merge"] == "left_only").to_numpy()
    changed = np.zeros(len(frame), dtype=bool)
    columns: dict[str, int] = {}
    for column in spec.column_names:
        if column in key:
            continue
        differs = ~_same(merged[column], merged[f"{column}__db"]) & ~new
        if differs.any():
            columns[column] = int(differs.sum())
        changed |= differs
    unchanged = int((~new & ~changed).sum())
    return UpsertPlan(spec, frame.loc[new], frame.loc[changed], columns, unchanged)


def apply_upsert(connection: sa.Connection, plan: UpsertPlan) -> None:
    """Write a plan: insert its new rows, update its changed ones."""
    table = metadata.tables[plan.spec.name]
    _insert(connection, table, plan.spec, plan.new)
    if len(plan.changed):
        _update(connection, table, plan.spec, plan.changed)


def _stored_rows(connection: sa.Connection, spec: Table) -> pd.DataFrame:
    stored = pd.read_sql(sa.select(metadata.tables[spec.name]), connection)
    if stored.empty:
        return stored
    typed, _ = coerce(spec, stored.assign(**{ROW: 0}))
    return typed.drop(columns=ROW)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    both_missing = (a.isna() & b.isna()).to_numpy()
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        close = np.isclose(a.astype(float).to_numpy(), b.astype(float).to_numpy(), equal_nan=True)
        return close | both_missing
    equal = (a == b).fillna(False).to_numpy(dtype=bool)
    return equal | both_missing


def _records(spec: Table, frame: pd.DataFrame) -> list[dict[str, object]]:
    """Plain Python values for the database driver (dates as date, missing as None)."""
    out = pd.DataFrame(index=frame.index)
    for column in spec.columns:
        values = frame[column.name]
        if column.dtype == "date":
            out[column.name] = pd.Series(values.dt.date, dtype=object).where(values.notna(), None)
        elif column.dtype == "datetime":
            out[column.name] = pd.Series(values.dt.to_pydatetime(), dtype=object).where(
                values.notna(), None
            )
        else:
            out[column.name] = values.astype(object).where(values.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in out.to_dict("records")]


def _insert(connection: sa.Connection, table: sa.Table, spec: Table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    connection.execute(table.insert(), _records(spec, frame))


def _update(connection: sa.Connection, table: sa.Table, spec: Table, frame: pd.DataFrame) -> None:
    key = set(spec.key)
    statement = (
        table.update()
        .where(sa.and_(*(table.c[k] == sa.bindparam(f"k_{k}") for k in spec.key)))
        .values({c: sa.bindparam(c) for c in spec.column_names if c not in key})
    )
    records = _records(spec, frame)
    for record in records:
        for k in spec.key:
            record[f"k_{k}"] = record.pop(k)
    connection.execute(statement, records)
