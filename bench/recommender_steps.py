"""Benchmark steps of the training recommender (issue 3), run by bench/run.py.

Each step is Python source run in a fresh interpreter by `run.measure` (its wall time and peak
memory are the process's own). Figures: province feature frame, training (the whole pipeline:
fit, evaluation against the baselines, MLflow logging), batch scoring of everyone, single-request
latency through the registered pyfunc, and feature-frame time and memory as the size grows.
"""

from __future__ import annotations

FEATURES_FROM_DB = """
import pandas as pd
from features.store.database import create_db_engine
from features.asof.frame import build_feature_frame
from features.store.reads import load_records
from features.asof.records import active_at
records = load_records(create_db_engine({url!r}))
spine = active_at(records, pd.Timestamp("2025-01-01"))
frame = build_feature_frame(spine, records)
result = len(frame)
"""

TRAIN = """
from pathlib import Path
from features.store.settings import Settings
from training.courses.pipeline import TrainConfig, train_training_recs
from training.promotion import promote
settings = Settings(database_url={url!r}, tracking_uri={tracking!r}, artifact_root={artifacts!r})
run = train_training_recs(TrainConfig(truth_dir=Path({truth!r})), settings)
promote(settings, reason="benchmark champion")
result = {{"seconds": run.seconds, "overall": run.report.overall.round(4).to_dict("index"),
          "target": run.target, "test_year": run.split.test_year,
          "tradeoff": run.tradeoff.round(4).to_dict("index"), "levels": run.level_errors,
          "people": int(run.report.overall["people"].iloc[0])}}
"""

BATCH = """
import time
import mlflow, pandas as pd
from features.store.database import create_db_engine
from features.store.reads import load_records
from training.courses.inference import RecommendationEngine, recommend_everyone
from training.promotion import load_fitted
mlflow.set_tracking_uri({tracking!r}); mlflow.set_registry_uri({tracking!r})
version = mlflow.MlflowClient().get_model_version_by_alias("training-recs", "champion").version
recommender, tags = load_fitted("training-recs", version)
records = load_records(create_db_engine({url!r}))
start = time.perf_counter()
engine = RecommendationEngine(recommender, records, pd.Timestamp(tags["training_cutoff"]))
ready = time.perf_counter() - start
lists = recommend_everyone(engine, k=10)
result = {{"people": int(lists["employee_id"].nunique()), "engine_seconds": ready,
          "scoring_seconds": time.perf_counter() - start - ready}}
"""

LATENCY = """
import time
import numpy as np, mlflow, pandas as pd
mlflow.set_tracking_uri({tracking!r}); mlflow.set_registry_uri({tracking!r})
load_start = time.perf_counter()
model = mlflow.pyfunc.load_model("models:/training-recs@champion",
                                 model_config={{"database_url": {url!r}}})
loaded = time.perf_counter() - load_start
client = mlflow.MlflowClient()
as_of = client.get_model_version_by_alias("training-recs", "champion").tags["training_cutoff"]
python_model = model.unwrap_python_model()
warm_start = time.perf_counter()
engine = python_model.engine(pd.Timestamp(as_of))
warm = time.perf_counter() - warm_start
people = list(engine.frame.index[:: max(1, len(engine.frame) // 400)][:400])
times = []
for person in people:
    started = time.perf_counter()
    model.predict(pd.DataFrame({{"employee_id": [person], "k": [10], "as_of": [as_of]}}))
    times.append((time.perf_counter() - started) * 1000)
times = np.array(times[20:])  # the first calls warm caches
result = {{"load_seconds": loaded, "engine_seconds": warm, "calls": len(times),
          "median_ms": float(np.median(times)), "p99_ms": float(np.percentile(times, 99))}}
"""

FEATURES_FROM_FILES = """
from pathlib import Path
import pandas as pd
from features.asof.records import from_frames
from features.store.reads import FEATURE_TABLES
from features.asof.frame import build_feature_frame
from features.asof.records import active_at
folder = Path({folder!r})
records = from_frames({{t: pd.read_parquet(folder / f"{{t}}.parquet") for t in FEATURE_TABLES}})
spine = active_at(records, pd.Timestamp("2025-01-01"))
frame = build_feature_frame(spine, records)
result = len(frame)
"""


def recommender_rows(measure, work, url: str, truth: str, national: list) -> list:  # type: ignore[no-untyped-def]
    """Run the recommender steps; return (what, figure) rows for docs/benchmarks.md."""
    rows = []
    tracking = f"sqlite:///{work / 'mlflow.db'}"
    artifacts = str(work / "artifacts")
    frame = measure(FEATURES_FROM_DB.format(url=url))
    rows.append(
        (
            f"province feature frame from SQLite ({frame['result']:,} ASN on 2025-01-01, "
            "records loading included)",
            f"{frame['seconds']:.1f} s, peak {frame['peak_mib']:,.0f} MiB",
        )
    )
    train = measure(TRAIN.format(url=url, tracking=tracking, artifacts=artifacts, truth=truth))
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in train["result"]["seconds"].items())
    rows.append(
        (
            "province training: `train_training_recs` (learned model and 4 baselines, "
            f"evaluation on {train['result']['people']:,} people, MLflow logging and registration)",
            f"{train['seconds']:.0f} s ({stages}), peak {train['peak_mib']:,.0f} MiB",
        )
    )
    batch = measure(BATCH.format(url=url, tracking=tracking))
    result = batch["result"]
    rows.append(
        (
            f"batch scoring: top 10 for every active ASN ({result['people']:,})",
            f"engine {result['engine_seconds']:.1f} s + scoring {result['scoring_seconds']:.1f} s "
            f"({result['people'] / result['scoring_seconds']:,.0f} people/s), "
            f"peak {batch['peak_mib']:,.0f} MiB",
        )
    )
    latency = measure(LATENCY.format(url=url, tracking=tracking))
    result = latency["result"]
    rows.append(
        (
            f"one employee's recommendations through the loaded pyfunc ({result['calls']} calls)",
            f"median {result['median_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms "
            f"(model load {result['load_seconds']:.1f} s, engine {result['engine_seconds']:.1f} s)",
        )
    )
    for folder, size in national:
        step = measure(FEATURES_FROM_FILES.format(folder=str(folder)))
        rows.append(
            (
                f"feature frame, national generator, {size:,} ASN generated "
                f"({step['result']:,} active)",
                f"{step['seconds']:.1f} s, peak {step['peak_mib']:,.0f} MiB",
            )
        )
    return rows, train["result"]
