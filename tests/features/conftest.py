"""Fixtures of the feature-layer tests: the generator's people for the export-layout tests,
and a fresh database for the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from features.ingest.upsert import ingest_folder
from features.store.database import create_db_engine
from features.store.settings import get_settings
from tests.factories.hr_exports import ORGANISATION, PEOPLE


@pytest.fixture(scope="session")
def generated(small_dataset: Path) -> dict[str, pd.DataFrame]:
    """The generator's canonical tables for some people still in service."""
    tables = {p.stem: pd.read_parquet(p) for p in small_dataset.glob("*.parquet")}
    employees = tables["employees"]
    active = employees[employees["exit_date"].isna() & (employees["employment_type"] == "PNS")]
    chosen = set(active["employee_id"].head(PEOPLE))
    for name, frame in tables.items():
        if "employee_id" in frame and name not in ORGANISATION:
            tables[name] = frame[frame["employee_id"].isin(chosen)].reset_index(drop=True)
    levels = tables["assessment_levels"]
    kept = levels["assessment_id"].isin(tables["assessments"]["assessment_id"])
    tables["assessment_levels"] = levels[kept].reset_index(drop=True)
    return tables


@pytest.fixture(scope="session")
def canonical(generated, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The same people from the generator's own export, ingested."""
    folder = tmp_path_factory.mktemp("canonical")
    for name, frame in generated.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    engine = create_db_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'canonical.db'}")
    ingest_folder(folder, engine)
    return engine


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite file the `jenjang` command uses (JENJANG_DATABASE_URL)."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("JENJANG_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
