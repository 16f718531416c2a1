"""Train, evaluate, log and register the training recommender (`jenjang train training-recs`).

`train_training_recs` fits the learned recommender and the baselines on the cycles before the
test cycle, evaluates them all on it, logs the run to MLflow (params, metrics overall and per
slice, the report and charts, data snapshot, git commit, feature set version), registers a
pyfunc version and points ``challenger`` at it. Promotion is `training.promotion`'s.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from features.asof.frame import FEATURE_SET_VERSION
from features.asof.records import Records
from features.store.database import create_db_engine, migrate
from features.store.personal import load_protected
from features.store.reads import load_records
from features.store.settings import Settings
from training import registry
from training.courses.baselines import BASELINES
from training.courses.evaluation import (
    FAIRNESS_K,
    EvaluationReport,
    evaluate,
    level_errors,
    smallest_impact_ratio,
    target_check,
    test_batch,
    tradeoff,
)
from training.courses.inference import OUTPUT_TYPES
from training.courses.recommender import RecommenderConfig, TrainingRecommender
from training.courses.report import write_report
from training.feedback import feedback_agreement, training_judgements
from training.run import Stopwatch, load_truth, metric_name, provenance, register_pyfunc
from training.split import TemporalSplit, latest_complete_cycle

log = logging.getLogger(__name__)


MODEL_NAME = "training-recs"


#: Metrics the promotion gate compares (true gain only where a dataset's truth is available).
GATED_METRICS = ("ndcg@10", "recall@10", "true_fit_gain@5")


@dataclass
class TrainConfig:
    """What to train on and how to evaluate (logged as the run's parameters)."""

    test_year: int | None = None
    train_cycles: int = 3
    evaluation_people: int | None = None
    truth_dir: Path | None = None
    model_name: str = MODEL_NAME
    recommender: RecommenderConfig = field(default_factory=RecommenderConfig)
    seed: int = 0


@dataclass
class TrainResult:
    run_id: str
    version: str
    split: TemporalSplit
    report: EvaluationReport
    target: dict[str, object]
    seconds: dict[str, float] = field(default_factory=dict)
    tradeoff: pd.DataFrame | None = None
    level_errors: dict[str, float] = field(default_factory=dict)


def train_training_recs(config: TrainConfig, settings: Settings) -> TrainResult:
    """Fit, evaluate, log, register and set ``challenger``; returns the run and its report."""
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    records = load_records(engine)
    test_year = config.test_year or latest_complete_cycle(records)
    split = TemporalSplit.last_cycles(test_year, config.train_cycles)
    log.info("training on cycles %s, testing on %d", split.train_years, test_year)
    clock = Stopwatch()
    learned = TrainingRecommender(config.recommender).fit(records, split)
    clock.lap("fit_learned")
    baselines = [cls().fit(records, split) for cls in BASELINES]
    clock.lap("fit_baselines")
    truth = load_truth(config.truth_dir)
    batch = test_batch(records, split, config.evaluation_people, config.seed)
    if batch.frame.empty:
        raise ValueError(f"nobody is active with a known position on 1 January {test_year}")
    protected = load_protected(engine)  # for the fairness audit only, never a feature
    report = evaluate([learned, *baselines], batch, records, test_year, truth, protected)
    trade = tradeoff(learned, batch, records, test_year, truth)
    levels = level_errors(learned, batch, test_year, truth) if truth is not None else {}
    judged = training_judgements(engine)  # what ASN said of earlier suggestions
    agreement = feedback_agreement(learned, records, judged) if len(judged) else {}
    clock.lap("evaluate")
    client = registry.configure(settings)
    with mlflow.start_run(run_name=f"training-recs-{test_year}") as run:
        _log_run(config, split, records, report, trade, batch_size=len(batch.frame))
        mlflow.log_metrics(levels)
        mlflow.log_metrics({k: v for k, v in agreement.items() if not np.isnan(v)})
        version = _log_model(
            learned, config, split, records, str(batch.employee_ids[0]), settings.database_url
        )
    registry.move_alias(
        client,
        engine,
        registry.AliasMove(
            config.model_name,
            registry.CHALLENGER,
            version,
            registry.alias_version(client, config.model_name, registry.CHALLENGER),
            registry.current_user(),
            f"trained on cycles {split.train_years[0]}–{split.train_years[-1]}",
        ),
    )
    clock.lap("log_and_register")
    return TrainResult(
        run.info.run_id,
        version,
        split,
        report,
        target_check(report),
        clock.seconds,
        tradeoff=trade,
        level_errors=levels,
    )


def _log_run(
    config: TrainConfig,
    split: TemporalSplit,
    records: Records,
    report: EvaluationReport,
    trade: pd.DataFrame,
    batch_size: int,
) -> None:
    params = {f"recommender.{k}": v for k, v in asdict(config.recommender).items()}
    params |= {
        "train_years": ",".join(map(str, split.train_years)),
        "test_year": split.test_year,
        "evaluation_people": batch_size,
        "feature_set_version": FEATURE_SET_VERSION,
        "data_snapshot": records.snapshot_id,
        "truth": str(config.truth_dir) if config.truth_dir else "none",
    }
    mlflow.log_params(params)
    mlflow.set_tags(provenance(split, records))
    for model, row in report.overall.iterrows():
        prefix = "" if model == "learned" else f"baseline.{model}."
        mlflow.log_metrics({prefix + metric_name(str(k)): float(v) for k, v in row.items()})
    for (model, attribute), table in report.fairness.groupby(["model", "attribute"]):
        ratio = smallest_impact_ratio(table)
        if not np.isnan(ratio):  # nobody offered one: nothing to compare
            mlflow.log_metric(
                f"fairness.{model}.{attribute}.min_impact_ratio_at_{FAIRNESS_K}", ratio
            )
    for key, table in (("family", report.by_family), ("agency", report.by_agency)):
        rows = table[(table["model"] == "learned") & ~table["small"]]
        for _, row in rows.iterrows():
            for metric in [c for c in table.columns if "@" in c]:
                if pd.notna(row[metric]):
                    mlflow.log_metric(f"{key}.{row[key]}.{metric_name(metric)}", row[metric])
    with tempfile.TemporaryDirectory() as folder:
        context: dict[str, object] = {
            "data snapshot": records.snapshot_id,
            "train cycles": split.train_years,
        }
        write_report(report, Path(folder), context, trade)
        mlflow.log_artifacts(folder, artifact_path="evaluation")


def signature() -> ModelSignature:
    """Input: employee_id (required), k, kinds, as_of (optional). Output: one row per course."""
    inputs = Schema(
        [
            ColSpec("string", "employee_id"),
            ColSpec("long", "k", required=False),
            ColSpec("string", "kinds", required=False),
            ColSpec("string", "as_of", required=False),
        ]
    )
    outputs = Schema([ColSpec(kind, name) for name, kind in OUTPUT_TYPES.items()])
    return ModelSignature(inputs=inputs, outputs=outputs)


def _log_model(
    learned: TrainingRecommender,
    config: TrainConfig,
    split: TemporalSplit,
    records: Records,
    example_employee: str,
    database_url: str,
) -> str:
    example = pd.DataFrame(
        {"employee_id": [example_employee], "k": [5], "as_of": [split.cutoff.date().isoformat()]}
    )
    return register_pyfunc(
        learned,
        "recommender",
        Path(__file__).with_name("pyfunc_entry.py"),
        signature(),
        example,
        config.model_name,
        provenance(split, records),
        database_url,
    )
