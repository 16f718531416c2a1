"""Fixtures for the training tests: the small dataset ingested once, a tiny fitted recommender,
the small dataset's past placements, and a temporary MLflow store with a trained, promoted
champion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from features.asof.records import Records
from features.store.database import create_db_engine
from features.store.personal import load_birth_dates
from features.store.reads import load_records
from training.courses.model import RecommenderConfig, TrainingRecommender
from training.placement.model import Examples, placement_events, training_examples
from training.registry import RegistrySettings as Settings
from training.split import TemporalSplit, latest_complete_cycle

#: Small and quick: enough to exercise every stage, not to measure quality.
TINY = RecommenderConfig(people_per_cycle=400, uptake_max_iter=40, level_max_iter=40)


@pytest.fixture(scope="session")
def tiny_config() -> RecommenderConfig:
    return TINY


@pytest.fixture(scope="session")
def small_records(small_database: str) -> Records:
    engine: sa.Engine = create_db_engine(small_database)
    try:
        return load_records(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def split(small_records: Records) -> TemporalSplit:
    return TemporalSplit.last_cycles(latest_complete_cycle(small_records))


@pytest.fixture(scope="session")
def small_examples(small_records: Records, small_database: str) -> Examples:
    """The small dataset's placements before its newest round (with outcomes) and the pools."""
    births = load_birth_dates(create_db_engine(small_database))
    events = placement_events(small_records, range(2000, 2100))
    test_year = int(events["year"].max())
    split = TemporalSplit(tuple(range(int(events["year"].min()), test_year)), test_year)
    return training_examples(small_records, split, births)


@pytest.fixture(scope="session")
def tiny_recommender(small_records: Records, split: TemporalSplit) -> TrainingRecommender:
    return TrainingRecommender(TINY).fit(small_records, split)


@pytest.fixture
def store_settings(small_database: str, tmp_path: Path) -> Settings:
    """Settings with a copy of the small database (the alias history lives there) and an empty
    MLflow store, both this test's own."""
    copy = tmp_path / "jenjang.db"
    shutil.copyfile(small_database.removeprefix("sqlite:///"), copy)
    return Settings(
        database_url=f"sqlite:///{copy}",
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=str(tmp_path / "artifacts"),
    )
