"""Ingestion: one transaction, idempotent upserts, recorded batches, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from features.ingest.sources import read_folder
from features.ingest.upsert import IngestRejected, ingest_folder
from features.ingest.validation import validate_folder
from features.store.database import current_revision
from tests.factories.export import EMPLOYEES, EVALUATIONS, write_export

TODAY = dt.date(2026, 11, 28)


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_round_trip_then_reingest_changes_nothing(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    folder = write_export(tmp_path / "export")
    first = ingest_folder(folder, sqlite_engine, today=TODAY)
    assert first.counts["employees"].inserted == 2
    assert first.counts["courses"].inserted >= 150  # catalogue seeded from reference data
    assert current_revision(sqlite_engine) is not None
    with sqlite_engine.connect() as connection:
        stored = pd.read_sql(
            sa.text("SELECT * FROM evaluations ORDER BY employee_id, year"), connection
        )
    assert list(stored["rating"]) == ["baik", "baik", "sangat_baik"]
    assert stored["score"].iloc[0] == pytest.approx(84.5)
    steps: list[str] = []
    second = ingest_folder(folder, sqlite_engine, today=TODAY, on_step=steps.append)
    assert steps == ["validate", *(f"write {table}" for table in second.counts)]  # as they end
    assert second.total("inserted") == 0 and second.total("updated") == 0
    assert second.total("unchanged") == sum(first.counts[t].inserted for t in second.counts)
    assert "courses" not in second.counts  # the seeded catalogue is not seeded again
    assert _count(sqlite_engine, "ingest_batches") == 2


def test_changed_rows_are_updated(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    ingest_folder(write_export(tmp_path / "a"), sqlite_engine, today=TODAY)
    moved = EMPLOYEES.copy()
    moved.loc[0, ["exit_date", "exit_reason"]] = ["2025-06-30", "pindah_instansi"]
    result = ingest_folder(
        write_export(tmp_path / "b", employees=moved), sqlite_engine, today=TODAY
    )
    assert (result.counts["employees"].updated, result.counts["employees"].unchanged) == (1, 1)
    with sqlite_engine.connect() as connection:
        reason = connection.execute(
            sa.text("SELECT exit_reason FROM employees WHERE employee_id = 'E1'")
        ).scalar_one()
    assert reason == "pindah_instansi"


def test_rejected_export_writes_nothing(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    bad = EVALUATIONS.copy()
    bad.loc[2, "rating"] = "luar biasa"
    with pytest.raises(IngestRejected) as rejected:
        ingest_folder(write_export(tmp_path, evaluations=bad), sqlite_engine, today=TODAY)
    assert len(rejected.value.report.errors) == 1
    for table in ("agencies", "employees", "evaluations", "ingest_batches"):
        assert _count(sqlite_engine, table) == 0


def test_a_later_export_may_reference_stored_rows(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    ingest_folder(write_export(tmp_path / "a"), sqlite_engine, today=TODAY)
    cycle = tmp_path / "cycle"
    cycle.mkdir()
    EVALUATIONS.assign(
        year=2023,
        period_start="2023-01-01",
        period_end="2023-12-31",
        recorded_at="2024-02-01 09:00:00",
    ).iloc[1:].to_csv(cycle / "penilaian_kinerja.csv", index=False)
    result = ingest_folder(cycle, sqlite_engine, today=TODAY)
    assert result.counts["evaluations"].inserted == 2
    assert "employees" not in result.counts


def test_generated_dataset_round_trips(small_dataset: Path, sqlite_engine: sa.Engine) -> None:
    raw, _ = read_folder(small_dataset)
    result = ingest_folder(small_dataset, sqlite_engine, today=TODAY)
    duplicates = (
        raw["training_records"]
        .frame.duplicated([c for c in raw["training_records"].frame.columns if c != "_row"])
        .sum()
    )
    assert duplicates > 0, "the generator plants duplicated training rows"
    for table in ("employees", "evaluations", "assessment_levels", "position_history"):
        assert (
            result.counts[table].inserted == len(raw[table].frame) == _count(sqlite_engine, table)
        )
    assert (
        result.counts["training_records"].inserted
        == len(raw["training_records"].frame) - duplicates
    )


@pytest.mark.postgres
def test_postgres_round_trip_and_idempotency(
    tmp_path: Path, small_dataset: Path, postgres_engine: sa.Engine
) -> None:
    first = ingest_folder(small_dataset, postgres_engine, today=TODAY)
    assert first.counts["evaluations"].inserted == _count(postgres_engine, "evaluations") > 0
    second = ingest_folder(small_dataset, postgres_engine, today=TODAY)
    assert second.total("inserted") == second.total("updated") == 0
    bad = EMPLOYEES.copy()
    bad.loc[0, "nip"] = "1990"
    with pytest.raises(IngestRejected):
        ingest_folder(write_export(tmp_path, employees=bad), postgres_engine, today=TODAY)
    assert _count(postgres_engine, "ingest_batches") == 2


def test_an_export_keyed_by_nip_gets_stable_employee_ids(
    tmp_path: Path, sqlite_engine: sa.Engine
) -> None:
    folder = write_export(tmp_path / "siasn")
    pegawai = EMPLOYEES.drop(columns="employee_id").rename(columns={"nip": "NIP Baru"})
    pegawai.to_csv(folder / "employees.csv", index=False)
    by_nip = dict(zip(EMPLOYEES["employee_id"], EMPLOYEES["nip"], strict=True))
    for name in ("position_history", "evaluations", "training_records"):
        frame = pd.read_csv(folder / f"{name}.csv")
        frame.insert(0, "nip", frame.pop("employee_id").map(by_nip))
        frame.to_csv(folder / f"{name}.csv", index=False)
    first = ingest_folder(folder, sqlite_engine, today=TODAY)
    assert first.counts["evaluations"].inserted == 3
    with sqlite_engine.connect() as connection:
        ids = dict(connection.execute(sa.text("SELECT nip, employee_id FROM employees")).all())
        owners = (
            connection.execute(
                sa.text(
                    "SELECT DISTINCT e.nip FROM evaluations v JOIN employees e USING (employee_id)"
                )
            )
            .scalars()
            .all()
        )
    assert sorted(ids.values()) == ["P0000001", "P0000002"]  # sequential, not from the NIP
    assert set(owners) == set(EMPLOYEES["nip"])
    again = ingest_folder(folder, sqlite_engine, today=TODAY)
    assert again.total("inserted") == again.total("updated") == 0


def test_an_unknown_nip_is_an_error(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    folder = write_export(tmp_path / "x")
    training = pd.read_csv(folder / "training_records.csv")
    training.insert(0, "nip", ["199001152015032001", "199912312020121999"])
    training.drop(columns="employee_id").to_csv(folder / "training_records.csv", index=False)
    with pytest.raises(IngestRejected) as rejected:
        ingest_folder(folder, sqlite_engine, today=TODAY)
    assert [str(e) for e in rejected.value.report.errors] == [
        "error: training_records.csv:3 [nip] the NIP is not a known employee (neither in this "
        "export's employees nor stored)"
    ]


def test_a_nip_that_contradicts_the_employee_id_is_an_error(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "x")
    training = pd.read_csv(folder / "training_records.csv")
    training.insert(1, "nip", list(reversed(EMPLOYEES["nip"])))  # each row names the other
    training.to_csv(folder / "training_records.csv", index=False)
    report = validate_folder(folder, today=TODAY)
    assert [str(e) for e in report.errors] == [
        "error: training_records.csv:2 [nip] the NIP belongs to another employee_id",
        "error: training_records.csv:3 [nip] the NIP belongs to another employee_id",
    ]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_migrations_build_exactly_the_declared_tables(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Alembic's head and `features.store.database.metadata` agree: no table or column is
    declared in one and forgotten in the other."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from features.store.database import metadata, migrate

    engine = request.getfixturevalue(f"{backend}_engine")
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_a_national_dataset_is_refused_with_where_it_belongs(
    tmp_path: Path, sqlite_engine: sa.Engine
) -> None:
    """A dataset partitioned by region is read by the Spark jobs, not loaded into a database:
    the report says so, on the employees folder, and nothing is written."""
    from dataclasses import replace

    from features.synth import GeneratorConfig
    from features.synth.partitioned import generate_partitioned

    config = replace(GeneratorConfig.for_scale("national", seed=3).first_regions(1), employees=60)
    generate_partitioned(config, tmp_path / "national", workers=1)
    report = validate_folder(tmp_path / "national")
    assert any(
        p.source == "employees/" and "jenjang batch score" in p.message for p in report.errors
    )
    with pytest.raises(IngestRejected):
        ingest_folder(tmp_path / "national", sqlite_engine)
    assert _count(sqlite_engine, "employees") == 0
