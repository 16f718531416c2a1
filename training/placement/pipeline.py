"""Train, evaluate, log and register the placement-success model (`jenjang train placements`).

Like the training recommender's pipeline: the model and its baselines are fitted on the rounds
before the test cycle (outcomes known before it began), evaluated on the test round, and the run
is logged to MLflow (params, metrics overall, per family and for fairness, the report with
charts, data snapshot, git commit, feature set version); a pyfunc version is registered as
``placement-success`` and ``challenger`` points at it. Promotion goes through the same gate
(`training.promotion`).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from features.asof.frame import FEATURE_SET_VERSION
from features.asof.records import Records
from features.planning.ranking import Scorer
from features.store.database import create_db_engine, migrate
from features.store.personal import load_protected
from features.store.reads import load_records
from features.store.settings import Settings
from training import registry
from training.feedback import placement_agreement, placement_judgements
from training.placement.evaluation import PlacementReport, Round, evaluate_placements, test_round
from training.placement.model import (
    RANKING_TYPES,
    FitOnly,
    Imitation,
    SuccessModel,
    observed_success,
    placement_events,
    training_examples,
)
from training.placement.report import target_check, write_placement_report
from training.run import Stopwatch, metric_name, provenance, register_pyfunc
from training.split import TemporalSplit
from training.truth import PlacementTruth

log = logging.getLogger(__name__)

MODEL_NAME = "placement-success"
#: Metrics the promotion gate compares (true success only where a dataset's truth is available).
GATED_METRICS = ("ndcg@10", "auc", "true_success@1")
#: A round counts as complete when the outcome of this share of its placements is known.
COMPLETE_SHARE = 0.9


@dataclass
class PlacementConfig:
    """What to train on and how to evaluate (logged as the run's parameters)."""

    test_year: int | None = None
    first_year: int | None = None
    truth_dir: Path | None = None
    model_name: str = MODEL_NAME
    seed: int = 0


@dataclass
class PlacementTrainResult:
    run_id: str
    version: str
    split: TemporalSplit
    report: PlacementReport
    target: dict[str, object]
    seconds: dict[str, float] = field(default_factory=dict)


def latest_placement_cycle(records: Records) -> int:
    """The newest year whose placements' outcomes (the SKP of that year) are mostly known."""
    history = records["position_history"]
    years = sorted(history["start_date"].dt.year.dropna().astype(int).unique(), reverse=True)
    for year in years:
        events = placement_events(records, [year])
        if len(events) and observed_success(records, events).notna().mean() >= COMPLETE_SHARE:
            return int(year)
    raise ValueError("no year has placements with known outcomes: nothing to evaluate on")


def placement_split(
    records: Records, test_year: int, first_year: int | None = None
) -> TemporalSplit:
    """Every earlier round with placements (from `first_year`) trains; `test_year` tests."""
    years = placement_events(records, range(1900, test_year))["year"]
    if years.empty:
        raise ValueError(f"no placements into structural posts before {test_year} to train on")
    earliest = int(years.min())
    start = max(first_year or earliest, earliest)
    if start >= test_year:
        raise ValueError(f"no placement rounds before {test_year} to train on")
    return TemporalSplit(tuple(range(start, test_year)), test_year)


def train_placements(config: PlacementConfig, settings: Settings) -> PlacementTrainResult:
    """Fit, evaluate, log, register and set ``challenger``; returns the run and its report."""
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    records = load_records(engine)
    protected = load_protected(engine)  # the legal age check and the fairness report only
    test_year = config.test_year or latest_placement_cycle(records)
    split = placement_split(records, test_year, config.first_year)
    truth = PlacementTruth.load(config.truth_dir) if config.truth_dir else None
    clock = Stopwatch()
    examples = training_examples(records, split, protected["birth_date"], seed=config.seed)
    clock.lap("examples")
    learned = SuccessModel().fit(examples)
    baselines: list[Scorer] = [FitOnly().fit(examples), Imitation(config.seed).fit(examples)]
    clock.lap("fit")
    test = test_round(records, test_year, protected["birth_date"], truth, config.seed)
    report = evaluate_placements([learned, *baselines], test, protected)
    judged = placement_judgements(engine)  # what planners said of earlier proposals
    births = protected["birth_date"]
    agreement = placement_agreement(learned, records, judged, births) if len(judged) else {}
    clock.lap("evaluate")
    client = registry.configure(settings)
    with mlflow.start_run(run_name=f"{config.model_name}-{test_year}") as run:
        _log_run(config, split, records, report, learned, len(examples.placed))
        mlflow.log_metrics({k: v for k, v in agreement.items() if v == v})  # NaN: none judged
        version = _log_model(learned, config, split, records, test, settings.database_url)
    registry.move_alias(
        client,
        engine,
        registry.AliasMove(
            config.model_name,
            registry.CHALLENGER,
            version,
            registry.alias_version(client, config.model_name, registry.CHALLENGER),
            registry.current_user(),
            f"trained on placement rounds {split.train_years[0]}–{split.train_years[-1]}",
        ),
    )
    clock.lap("log_and_register")
    return PlacementTrainResult(
        run.info.run_id, version, split, report, target_check(report), clock.seconds
    )


def _log_run(
    config: PlacementConfig,
    split: TemporalSplit,
    records: Records,
    report: PlacementReport,
    learned: SuccessModel,
    placements: int,
) -> None:
    mlflow.log_params(
        {
            "train_years": ",".join(map(str, split.train_years)),
            "test_year": split.test_year,
            "training_placements": placements,
            "test_vacancies": report.vacancies,
            "features": ",".join(learned.features),
            "feature_set_version": FEATURE_SET_VERSION,
            "data_snapshot": records.snapshot_id,
            "truth": str(config.truth_dir) if config.truth_dir else "none",
        }
    )
    mlflow.set_tags(provenance(split, records))
    mlflow.log_metrics(report.label_check)
    for model, row in report.overall.iterrows():
        prefix = "" if model == "learned" else f"baseline.{model}."
        mlflow.log_metrics(
            {prefix + metric_name(str(k)): float(v) for k, v in row.items() if pd.notna(v)}
        )
    for _, row in report.by_family[report.by_family["model"] == "learned"].iterrows():
        for metric in ("ndcg@10", "auc", "true_success@1"):
            if metric in row and pd.notna(row[metric]):
                mlflow.log_metric(f"family.{row['family']}.{metric_name(metric)}", row[metric])
    for (model, k, attribute), table in report.fairness.groupby(["model", "k", "attribute"]):
        name = f"fairness.{model}.{attribute}.min_impact_ratio_at_{k}"
        mlflow.log_metric(name, float(table["impact_ratio"].min()))
    with tempfile.TemporaryDirectory() as folder:
        context: dict[str, object] = {
            "data snapshot": records.snapshot_id,
            "train rounds": split.train_years,
        }
        write_placement_report(report, learned, Path(folder), context, split.test_year)
        mlflow.log_artifacts(folder, artifact_path="evaluation")


def signature() -> ModelSignature:
    """Input: position_id (required), k, as_of, include_ineligible. Output: ranked candidates."""
    inputs = Schema(
        [
            ColSpec("string", "position_id"),
            ColSpec("long", "k", required=False),
            ColSpec("string", "as_of", required=False),
            ColSpec("boolean", "include_ineligible", required=False),
            ColSpec("string", "agencies", required=False),
        ]
    )
    outputs = Schema([ColSpec(kind, name) for name, kind in RANKING_TYPES.items()])  # type: ignore[arg-type]
    return ModelSignature(inputs=inputs, outputs=outputs)


def _log_model(
    learned: SuccessModel,
    config: PlacementConfig,
    split: TemporalSplit,
    records: Records,
    test: Round,
    database_url: str,
) -> str:
    example = pd.DataFrame(
        {
            "position_id": [str(test.events["position_id"].iloc[0])],
            "k": [5],
            "as_of": [split.cutoff.date().isoformat()],
        }
    )
    return register_pyfunc(
        learned,
        "success_model",
        Path(__file__).with_name("pyfunc_entry.py"),
        signature(),
        example,
        config.model_name,
        provenance(split, records),
        database_url,
    )
