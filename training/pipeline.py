"""Train, evaluate, log, register; compare and promote — the stages behind `jenjang train` and
`jenjang models`, as library functions the CLI, the tests and the notebooks all call.

`train_training_recs` fits the learned recommender and the baselines on the cycles before the
test cycle, evaluates them all on it, logs the run to MLflow (params, metrics overall and per
slice, the report and charts, data snapshot, git commit, feature set version), registers a
pyfunc version and points ``challenger`` at it. `promote` moves ``champion`` to the challenger
only if, on the same held-out cycle, it is not worse than the champion on any gated metric
beyond the tolerance — or when forced, with a reason; every move is recorded.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import mlflow
import numpy as np
import pandas as pd
import sqlalchemy as sa
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from features.database import create_db_engine, migrate
from features.frame import FEATURE_SET_VERSION
from features.personal import load_protected
from features.records import Records, load_records
from features.settings import Settings
from training import registry
from training.baselines import BASELINES
from training.evaluation import (
    FAIRNESS_K,
    EvaluationReport,
    evaluate,
    level_errors,
    smallest_impact_ratio,
    target_check,
    test_batch,
    tradeoff,
)
from training.feedback import feedback_agreement, training_judgements
from training.inference import OUTPUT_TYPES
from training.recommender import RecommenderConfig, TrainingRecommender
from training.report import write_report
from training.split import TemporalSplit, latest_complete_cycle
from training.truth import Truth

log = logging.getLogger(__name__)

MODEL_NAME = "training-recs"
#: Metrics the promotion gate compares (true gain only where a dataset's truth is available).
GATED_METRICS = ("ndcg@10", "recall@10", "true_fit_gain@5")
PIP_REQUIREMENTS = [
    "mlflow>=3.0",
    "scikit-learn>=1.6",
    "pandas>=2.2",
    "numpy>=2.0",
    "joblib>=1.4",
    "jenjang",
]


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


class PromotionRefused(RuntimeError):
    """The challenger is worse than the champion beyond the tolerance (not forced)."""

    def __init__(self, message: str, evidence: dict[str, Any]) -> None:
        super().__init__(message)
        self.evidence = evidence


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


class Stopwatch:
    """Seconds per stage of a run (reported by `make bench`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._last
        self._last = now


def load_truth(folder: Path | None) -> Truth | None:
    """The dataset's hidden truth; a folder without one is an error, not a silent skip."""
    return None if folder is None else Truth.load(Path(folder))


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


def metric_name(name: str) -> str:
    """MLflow metric names cannot hold '@': ndcg@10 → ndcg_at_10."""
    return name.replace("@", "_at_")


def provenance(split: TemporalSplit, records: Records) -> dict[str, str]:
    return {
        "git_commit": git_commit(),
        "feature_set_version": FEATURE_SET_VERSION,
        "data_snapshot": records.snapshot_id,
        "training_cutoff": split.cutoff.date().isoformat(),
        "test_year": str(split.test_year),
    }


def git_commit() -> str:
    """The commit of the working tree (with ``-dirty`` if it has changes), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def without_password(url: str) -> str:
    return sa.make_url(url).set(password=None).render_as_string(hide_password=False)


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


def register_pyfunc(
    fitted: object,
    artifact: str,
    entry: Path,
    model_signature: ModelSignature,
    input_example: pd.DataFrame,
    model_name: str,
    tags: dict[str, str],
    database_url: str,
) -> str:
    """Log `fitted` as the joblib artifact `artifact` of a models-from-code pyfunc (`entry`),
    with the provenance `tags` as its metadata, register it as `model_name` and tag the new
    version; returns the version."""
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / f"{artifact}.joblib"
        joblib.dump(fitted, model_path, compress=3)
        metadata_path = Path(folder) / "metadata.json"
        metadata_path.write_text(json.dumps(tags | {"model_name": model_name}))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(entry),
            artifacts={artifact: str(model_path), "metadata": str(metadata_path)},
            signature=model_signature,
            input_example=input_example,
            # the service passes its own database; the default (without any password) lets MLflow
            # validate the input example against the training database
            model_config={"database_url": without_password(database_url)},
            pip_requirements=PIP_REQUIREMENTS,
            registered_model_name=model_name,
        )
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
    return version
