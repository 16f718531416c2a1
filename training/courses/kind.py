"""The training recommender as a `ModelKind`, registered as ``training-recs``.

It fits the learned recommender and the baselines on the cycles before the test cycle and
evaluates them all on it: overall, per position family and agency, for fairness (who is offered
a career-opening course), against the hidden truth where a generated dataset has one, and
against what ASN said of earlier suggestions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from features.asof.records import Records
from training import contract
from training.courses.baselines import BASELINES
from training.courses.evaluation import (
    FAIRNESS_K,
    EvaluationReport,
    evaluate,
    first_stage_recall,
    level_errors,
    smallest_impact_ratio,
    target_check,
    test_batch,
    tradeoff,
)
from training.courses.feedback import feedback_agreement, training_judgements
from training.courses.inference import OUTPUT_TYPES
from training.courses.model import RecommenderConfig, TrainingRecommender
from training.courses.report import write_report
from training.kind import ModelKind, RunData, Trained
from training.registry import metric_name
from training.run import load_truth
from training.split import TemporalSplit, latest_complete_cycle


@dataclass
class TrainConfig:
    """What to train on and how to evaluate (logged as the run's parameters)."""

    test_year: int | None = None
    train_cycles: int = 3
    evaluation_people: int | None = None
    truth_dir: Path | None = None
    recommender: RecommenderConfig = field(default_factory=RecommenderConfig)
    seed: int = 0


class TrainingRecs(ModelKind):
    """Which courses will help a person, among those they are likely to take up."""

    name = contract.TRAINING_RECS
    artifact = "recommender"
    #: Metrics the promotion gate compares (true gain only where a dataset's truth is known).
    gated = ("ndcg@10", "recall@10", "true_fit_gain@5")
    headline = ("ndcg@10", "true_fit_gain@5")
    pyfunc_entry = Path(__file__).with_name("pyfunc_entry.py")

    def __init__(self, config: TrainConfig | None = None) -> None:
        self.config = config or TrainConfig()
        self.truth_dir = self.config.truth_dir

    def split(self, records: Records) -> TemporalSplit:
        test_year = self.config.test_year or latest_complete_cycle(records)
        return TemporalSplit.last_cycles(test_year, self.config.train_cycles)

    def train(self, data: RunData, split: TemporalSplit, lap: Callable[[str], None]) -> Trained:
        config, records = self.config, data.records
        learned = TrainingRecommender(config.recommender).fit(records, split)
        records.frames.clear()  # the training dates' frames: evaluation needs the test date's
        lap("fit_learned")
        baselines = [cls().fit(records, split) for cls in BASELINES]
        lap("fit_baselines")
        truth = load_truth(self.truth_dir)
        batch = test_batch(records, split, config.evaluation_people, config.seed)
        if batch.frame.empty:
            raise ValueError(
                f"nobody is active with a known position on 1 January {split.test_year}"
            )
        models = [learned, *baselines]
        report = evaluate(models, batch, records, split.test_year, truth, data.protected)
        trade = tradeoff(learned, batch, records, split.test_year, truth)
        levels = level_errors(learned, batch, split.test_year, truth) if truth is not None else {}
        recall = {"first_stage_recall_at_10": first_stage_recall(learned, batch, seed=config.seed)}
        judged = training_judgements(data.engine)  # what ASN said of earlier suggestions
        agreement = feedback_agreement(learned, records, judged) if len(judged) else {}
        lap("evaluate")
        context: dict[str, object] = {
            "data snapshot": records.snapshot_id,
            "train cycles": split.train_years,
        }
        example = {"employee_id": [str(batch.employee_ids[0])], "k": [5]}
        return Trained(
            learned=learned,
            report=report,
            target=target_check(report),
            example=pd.DataFrame(example | {"as_of": [split.cutoff.date().isoformat()]}),
            params={f"recommender.{k}": v for k, v in asdict(config.recommender).items()}
            | {"evaluation_people": len(batch.frame)},
            metrics=_metrics(report)
            | levels
            | recall
            | {k: v for k, v in agreement.items() if not np.isnan(v)},
            write_report=lambda folder: write_report(report, folder, context, trade),
            extras={"tradeoff": trade, "level_errors": levels} | recall,
        )

    def evaluate(
        self, models: list[Any], data: RunData, test_year: int, people: int | None = None
    ) -> pd.DataFrame:
        batch = test_batch(data.records, TemporalSplit.last_cycles(test_year), people)
        truth = load_truth(self.truth_dir)
        return evaluate(models, batch, data.records, test_year, truth).overall

    def signature(self) -> ModelSignature:
        """Input: employee_id (required), k, kinds, as_of. Output: one row per course."""
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


def _metrics(report: EvaluationReport) -> dict[str, float]:
    """Overall (baselines prefixed), fairness, and per family and agency (large slices)."""
    metrics: dict[str, float] = {}
    for model, row in report.overall.iterrows():
        prefix = "" if model == "learned" else f"baseline.{model}."
        metrics |= {prefix + metric_name(str(k)): float(v) for k, v in row.items()}
    for (model, attribute), table in report.fairness.groupby(["model", "attribute"]):
        ratio = smallest_impact_ratio(table)
        if not np.isnan(ratio):  # nobody offered one: nothing to compare
            metrics[f"fairness.{model}.{attribute}.min_impact_ratio_at_{FAIRNESS_K}"] = ratio
    for key, table in (("family", report.by_family), ("agency", report.by_agency)):
        rows = table[(table["model"] == "learned") & ~table["small"]]
        for _, row in rows.iterrows():
            for metric in [c for c in table.columns if "@" in c]:
                if pd.notna(row[metric]):
                    metrics[f"{key}.{row[key]}.{metric_name(metric)}"] = row[metric]
    return metrics
