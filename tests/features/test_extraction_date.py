"""Each ingest records the export's extraction date when it is known: the one given with
--extracted-on, else the one a generated dataset's manifest states; the database's data date is
the latest recorded (the service's date defaults to it)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import sqlalchemy as sa

from features.ingest.sources import stated_extraction_date
from features.ingest.upsert import ingest_folder
from features.store.database import migrate
from features.store.reads import extraction_date
from tests.factories.export import write_export

TODAY = dt.date(2026, 11, 28)


def _data_date(engine: sa.Engine) -> dt.date | None:
    with engine.connect() as connection:
        return extraction_date(connection)


def _manifest_date(dataset: Path) -> dt.date:
    manifest = json.loads((dataset / "truth" / "manifest.json").read_text())
    return dt.date.fromisoformat(manifest["extraction_date"])


def test_a_generated_dataset_is_dated_by_its_manifest(
    small_dataset: Path, sqlite_engine: sa.Engine
) -> None:
    stated = _manifest_date(small_dataset)
    assert stated_extraction_date(small_dataset) == stated < TODAY
    migrate(sqlite_engine)
    assert _data_date(sqlite_engine) is None  # nothing ingested: no date
    ingest_folder(small_dataset, sqlite_engine)
    assert _data_date(sqlite_engine) == stated


def test_an_export_is_dated_only_when_its_date_is_given(
    tmp_path: Path, sqlite_engine: sa.Engine
) -> None:
    folder = write_export(tmp_path / "export")
    assert stated_extraction_date(folder) is None
    ingest_folder(folder, sqlite_engine, today=TODAY)
    assert _data_date(sqlite_engine) is None  # undated: the service keeps today's date
    ingest_folder(folder, sqlite_engine, today=TODAY, extracted_on=dt.date(2026, 10, 31))
    ingest_folder(folder, sqlite_engine, today=TODAY)  # a later undated ingest keeps it
    assert _data_date(sqlite_engine) == dt.date(2026, 10, 31)


def test_the_migration_dates_batches_ingested_before_it(
    small_dataset: Path, sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    from alembic import command

    from features.store.database import alembic_config

    dataset = tmp_path / "dataset"
    shutil.copytree(small_dataset, dataset)
    ingest_folder(dataset, sqlite_engine)
    command.downgrade(alembic_config(sqlite_engine), "0006")  # as before the date was recorded
    columns = {c["name"] for c in sa.inspect(sqlite_engine).get_columns("ingest_batches")}
    assert "extracted_on" not in columns
    migrate(sqlite_engine)
    assert _data_date(sqlite_engine) == _manifest_date(small_dataset)
