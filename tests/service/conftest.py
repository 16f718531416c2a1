"""Fixtures for the service tests: both models trained small and promoted in a temporary MLflow
store, once per session, with a copy of the small database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.settings import ServiceSettings
from training.pipeline import TrainConfig, train_training_recs
from training.placement_pipeline import MODEL_NAME as PLACEMENTS
from training.placement_pipeline import PlacementConfig, train_placements
from training.promotion import promote
from training.recommender import RecommenderConfig

TINY = RecommenderConfig(people_per_cycle=400, uptake_max_iter=40, level_max_iter=40)


@pytest.fixture(scope="session")
def served(
    small_database: str, small_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> ServiceSettings:
    """Settings of a service whose two models each have a champion (version 1)."""
    folder = tmp_path_factory.mktemp("service")
    copy = folder / "jenjang.db"
    shutil.copyfile(small_database.removeprefix("sqlite:///"), copy)
    settings = ServiceSettings(
        database_url=f"sqlite:///{copy}",
        tracking_uri=f"sqlite:///{folder / 'mlflow.db'}",
        artifact_root=str(folder / "artifacts"),
        model_cache_dir=str(folder / "cache"),
    )
    train_training_recs(TrainConfig(truth_dir=small_dataset, recommender=TINY), settings)
    promote(settings, reason="service tests")
    train_placements(PlacementConfig(truth_dir=small_dataset), settings)
    promote(settings, PLACEMENTS, reason="service tests")
    return settings
