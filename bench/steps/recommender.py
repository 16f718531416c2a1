"""Steps of the training recommender (issue 3): its feature frame, training, batch scoring and
single-request latency.

Figures: the province feature frame (records loading included), training (the whole pipeline:
fit, evaluation against the baselines, MLflow logging), batch scoring of everyone, single-request
latency through the registered pyfunc, and feature-frame time and memory as the size grows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import run_step

if TYPE_CHECKING:
    from training.courses.pyfunc import TrainingRecsModel

#: The date of the feature-frame steps: everyone active on 1 January of the last cycle.
FRAME_DATE = "2025-01-01"


def features_from_db(url: str) -> int:
    """Load the records from the database at `url` and build the feature frame of everyone
    active on `FRAME_DATE`; its number of rows."""
    import pandas as pd

    from features.asof.frame import build_feature_frame
    from features.asof.records import active_at
    from features.store.database import create_db_engine
    from features.store.reads import load_records

    records = load_records(create_db_engine(url))
    spine = active_at(records, pd.Timestamp(FRAME_DATE))
    frame = build_feature_frame(spine, records)
    return len(frame)


def train(url: str, tracking: str, artifacts: str, truth: str) -> dict[str, Any]:
    """Train the recommender (`training.run.train` of `TrainingRecs`) and promote it to
    champion; the stage times and the held-out quality figures."""
    from training.courses.kind import TrainConfig, TrainingRecs
    from training.promotion import promote
    from training.registry import RegistrySettings
    from training.run import train as run_training

    settings = RegistrySettings(database_url=url, tracking_uri=tracking, artifact_root=artifacts)
    run = run_training(TrainingRecs(TrainConfig(truth_dir=Path(truth))), settings)
    promote(settings, reason="benchmark champion")
    return {
        "seconds": run.seconds,
        "overall": run.report.overall.round(4).to_dict("index"),
        "target": run.target,
        "test_year": run.split.test_year,
        "tradeoff": run.extras["tradeoff"].round(4).to_dict("index"),
        "levels": run.extras["level_errors"],
        "people": int(run.report.overall["people"].iloc[0]),
    }


def batch(url: str, tracking: str) -> dict[str, Any]:
    """Top 10 courses for every active person with the champion's fitted recommender (no
    pyfunc): the engine's build time and the scoring time."""
    import mlflow
    import pandas as pd

    from features.store.database import create_db_engine
    from features.store.reads import load_records
    from training.courses.inference import RecommendationEngine, recommend_everyone
    from training.promotion import load_fitted

    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(tracking)
    champion = mlflow.MlflowClient().get_model_version_by_alias("training-recs", "champion")
    recommender, tags = load_fitted("training-recs", champion.version)
    records = load_records(create_db_engine(url))
    start = time.perf_counter()
    engine = RecommendationEngine(recommender, records, pd.Timestamp(tags["training_cutoff"]))
    ready = time.perf_counter() - start
    lists = recommend_everyone(engine, k=10)
    return {
        "people": int(lists["employee_id"].nunique()),
        "engine_seconds": ready,
        "scoring_seconds": time.perf_counter() - start - ready,
    }


def latency(url: str, tracking: str) -> dict[str, Any]:
    """One person's top 10 through the registered pyfunc, as the service asks, for up to 400
    people spread over the frame; the load and warm-up times and the per-call latency."""
    import mlflow
    import numpy as np
    import pandas as pd

    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(tracking)
    load_start = time.perf_counter()
    model = mlflow.pyfunc.load_model(
        "models:/training-recs@champion", model_config={"database_url": url}
    )
    loaded = time.perf_counter() - load_start
    client = mlflow.MlflowClient()
    as_of = client.get_model_version_by_alias("training-recs", "champion").tags["training_cutoff"]
    python_model: TrainingRecsModel = model.unwrap_python_model()
    warm_start = time.perf_counter()
    engine = python_model.engine(pd.Timestamp(as_of))
    warm = time.perf_counter() - warm_start
    people = list(engine.frame.index[:: max(1, len(engine.frame) // 400)][:400])
    times = []
    for person in people:
        started = time.perf_counter()
        model.predict(pd.DataFrame({"employee_id": [person], "k": [10], "as_of": [as_of]}))
        times.append((time.perf_counter() - started) * 1000)
    warmed = np.array(times[20:])  # the first calls warm caches
    return {
        "load_seconds": loaded,
        "engine_seconds": warm,
        "calls": len(warmed),
        "median_ms": float(np.median(warmed)),
        "p99_ms": float(np.percentile(warmed, 99)),
    }


def features_from_files(folder: str) -> int:
    """Read a generated dataset's Parquet files from `folder` (no database) and build the
    feature frame of everyone active on `FRAME_DATE`; its number of rows."""
    import pandas as pd

    from features.asof.frame import build_feature_frame
    from features.asof.records import active_at, from_frames
    from features.store.reads import FEATURE_TABLES

    data = Path(folder)
    records = from_frames({t: pd.read_parquet(data / f"{t}.parquet") for t in FEATURE_TABLES})
    spine = active_at(records, pd.Timestamp(FRAME_DATE))
    frame = build_feature_frame(spine, records)
    return len(frame)


if __name__ == "__main__":
    run_step(features_from_db, train, batch, latency, features_from_files)
