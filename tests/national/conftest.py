"""Fixtures of the national tests: a small dataset partitioned by region, one Spark session for
the whole test session (starting one takes seconds), and the session's champion downloaded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from features.asof.records import Records
from features.ingest.upsert import ingest_folder
from features.schema import TABLES
from features.store.database import create_db_engine
from features.store.personal import load_birth_dates
from features.store.reads import load_records
from features.synth import GeneratorConfig
from features.synth.partitioned import generate_partitioned
from service.settings import ServiceSettings
from training.contract import TRAINING_RECS
from training.national.scoring import champion, score_country
from training.national.vacancies import index_country

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The day scored: the dataset's extraction, after the champion's training cutoff.
AS_OF = pd.Timestamp("2026-06-30")
REGIONS = 3


@pytest.fixture(scope="session")
def national_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three national regions of 500 ASN each (seed 11), partitioned by region."""
    config = GeneratorConfig.for_scale("national", seed=11).first_regions(REGIONS)
    folder = tmp_path_factory.mktemp("national") / "data"
    generate_partitioned(replace(config, employees=1500), folder, workers=2)
    return folder


@pytest.fixture(scope="session")
def whole_country(
    national_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Records, pd.Series]:
    """The small country as the province path holds a province: every region's rows in one
    folder per table, ingested into a SQLite database (titles matched to courses, checks run)
    and read back, with the birth dates. The national jobs are compared with this."""
    flat = tmp_path_factory.mktemp("country") / "data"
    flat.mkdir()
    for name in TABLES:
        if (national_dataset / f"{name}.parquet").is_file():
            frame = pd.read_parquet(national_dataset / f"{name}.parquet")
        else:
            files = sorted((national_dataset / name).glob("region=*/*.parquet"))
            frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        frame.to_parquet(flat / f"{name}.parquet")
    engine = create_db_engine(f"sqlite:///{flat.parent / 'country.db'}")
    ingest_folder(flat, engine, today=AS_OF.date())
    return load_records(engine), load_birth_dates(engine)


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """Local Spark on two cores; a failed task is tried once more (``local[2,2]``), as a
    cluster retries it (`spark.task.maxFailures`)."""
    from training.national.spark import start_session

    session = start_session("local[2,2]", "jenjang tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def champion_model(
    served: ServiceSettings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """The session's training-recs champion: its version and its downloaded folder."""
    return champion(served, TRAINING_RECS, tmp_path_factory.mktemp("champion"))


@pytest.fixture(scope="session")
def national_answers(
    spark: SparkSession,
    national_dataset: Path,
    champion_model: tuple[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Where `jenjang batch score` wrote the small country's answers (one task per region)."""
    version, folder = champion_model
    out = tmp_path_factory.mktemp("answers")
    score_country(spark, national_dataset, out, folder, TRAINING_RECS, version, AS_OF)
    return out


@pytest.fixture(scope="session")
def national_index(
    spark: SparkSession, national_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Where `jenjang batch index` wrote the small country's vacancy index of AS_OF."""
    out = tmp_path_factory.mktemp("index")
    written = index_country(spark, national_dataset, out, AS_OF, partitions=2)
    assert written.rows > 0
    return out
