"""Benchmark steps of the training recommender (issue 3), run by bench/run.py.

Each step is a function of `bench.steps.recommender` run in a fresh interpreter by
`bench.harness.measure` (its wall time and peak memory are the process's own); this module runs
them and turns their figures into rows of docs/benchmarks.md. Figures: province feature frame,
training (the whole pipeline: fit, evaluation against the baselines, MLflow logging), batch
scoring of everyone, single-request latency through the registered pyfunc, and feature-frame time
and memory as the size grows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness import measure
from bench.steps import recommender


def recommender_rows(
    work: Path, url: str, truth: str, national: list[tuple[Path, int]]
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Run the recommender steps; return (what, figure) rows for docs/benchmarks.md and the
    training run's quality figures."""
    rows = []
    tracking = f"sqlite:///{work / 'mlflow.db'}"
    artifacts = str(work / "artifacts")
    frame = measure(recommender.features_from_db, url=url)
    rows.append(
        (
            f"province feature frame from SQLite ({frame['result']:,} ASN on "
            f"{recommender.FRAME_DATE}, records loading included)",
            f"{frame['seconds']:.1f} s, peak {frame['peak_mib']:,.0f} MiB",
        )
    )
    train = measure(recommender.train, url=url, tracking=tracking, artifacts=artifacts, truth=truth)
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in train["result"]["seconds"].items())
    rows.append(
        (
            "province training: `train(TrainingRecs())` (learned model and 4 baselines, "
            f"evaluation on {train['result']['people']:,} people, MLflow logging and registration)",
            f"{train['seconds']:.0f} s ({stages}), peak {train['peak_mib']:,.0f} MiB",
        )
    )
    batch = measure(recommender.batch, url=url, tracking=tracking)
    result = batch["result"]
    rows.append(
        (
            f"batch scoring: top 10 for every active ASN ({result['people']:,})",
            f"engine {result['engine_seconds']:.1f} s + scoring {result['scoring_seconds']:.1f} s "
            f"({result['people'] / result['scoring_seconds']:,.0f} people/s), "
            f"peak {batch['peak_mib']:,.0f} MiB",
        )
    )
    latency = measure(recommender.latency, url=url, tracking=tracking)
    result = latency["result"]
    rows.append(
        (
            f"one employee's recommendations through the loaded pyfunc ({result['calls']} calls)",
            f"median {result['median_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms "
            f"(model load {result['load_seconds']:.1f} s, engine {result['engine_seconds']:.1f} s)",
        )
    )
    for folder, size in national:
        step = measure(recommender.features_from_files, folder=str(folder))
        rows.append(
            (
                f"feature frame, national generator, {size:,} ASN generated "
                f"({step['result']:,} active)",
                f"{step['seconds']:.1f} s, peak {step['peak_mib']:,.0f} MiB",
            )
        )
    return rows, train["result"]
