"""Fixtures of the national tests: a small dataset partitioned by region, one Spark session for
the whole test session (starting one takes seconds), and the session's champion downloaded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from features.asof.records import Records, from_frames
from features.schema import TABLES
from features.synth import GeneratorConfig
from features.synth.partitioned import generate_partitioned
from service.settings import ServiceSettings
from training.contract import TRAINING_RECS
from training.national.scoring import champion

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


def whole_country(folder: Path) -> tuple[Records, pd.Series]:
    """Every region of a partitioned dataset in one set of records, with the birth dates: the
    province path's view of a (small) country, to compare the national jobs with."""
    tables = {}
    for name in TABLES:
        if (folder / f"{name}.parquet").is_file():
            tables[name] = pd.read_parquet(folder / f"{name}.parquet")
        else:
            files = sorted((folder / name).glob("region=*/*.parquet"))
            tables[name] = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    births = pd.to_datetime(tables["employees"].set_index("employee_id")["birth_date"])
    return from_frames(tables), births


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
