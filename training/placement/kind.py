"""The placement-success model as a `ModelKind`, registered as ``placement-success``.

The model and its baselines are fitted on the rounds before the test cycle (outcomes known
before it began) and evaluated on the test round: observable metrics, true success where a
generated dataset has a truth, per family, fairness, the calibration of the success probability
(against the same model uncalibrated), and what planners said of earlier proposals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from features.asof.records import Records
from features.planning.ranking import Scorer
from training import contract
from training.kind import ModelKind, RunData, Trained
from training.placement.evaluation import (
    PlacementReport,
    calibration_report,
    evaluate_placements,
    test_round,
)
from training.placement.feedback import placement_agreement, placement_judgements
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
from training.registry import metric_name
from training.split import TemporalSplit
from training.truth import PlacementTruth

#: A round counts as complete when the outcome of this share of its placements is known.
COMPLETE_SHARE = 0.9

#: The success model without calibration, evaluated beside it (its metrics are logged as
#: ``calibration.uncalibrated.*``: a reference for the calibration, not a baseline to beat).
UNCALIBRATED = "uncalibrated"


@dataclass
class PlacementConfig:
    """What to train on and how to evaluate (logged as the run's parameters)."""

    test_year: int | None = None
    first_year: int | None = None
    truth_dir: Path | None = None
    seed: int = 0


class PlacementSuccess(ModelKind):
    """Who, among the eligible candidates for a post, is likely to do well in it."""

    name = contract.PLACEMENT_SUCCESS
    artifact = "success_model"
    #: Metrics the promotion gate compares (true success only where a truth is known).
    gated = ("ndcg@10", "auc", "true_success@1")
    headline = ("ndcg@10", "auc", "true_success@1")
    pyfunc_entry = Path(__file__).with_name("pyfunc_entry.py")

    def __init__(self, config: PlacementConfig | None = None) -> None:
        self.config = config or PlacementConfig()
        self.truth_dir = self.config.truth_dir

    def split(self, records: Records) -> TemporalSplit:
        test_year = self.config.test_year or latest_placement_cycle(records)
        return placement_split(records, test_year, self.config.first_year)

    def train(self, data: RunData, split: TemporalSplit, lap: Callable[[str], None]) -> Trained:
        config, records, births = self.config, data.records, data.protected["birth_date"]
        examples = training_examples(records, split, births, seed=config.seed)
        lap("examples")
        learned = SuccessModel().fit(examples)
        uncalibrated = SuccessModel(calibrate=False).fit(examples)  # the model before calibration
        uncalibrated.name = UNCALIBRATED
        baselines: list[Scorer] = [FitOnly().fit(examples), Imitation(config.seed).fit(examples)]
        lap("fit")
        test = test_round(records, split.test_year, births, self._truth(), config.seed)
        report = evaluate_placements([learned, *baselines], test, data.protected)
        _beside_learned(report, evaluate_placements([uncalibrated], test))
        report.calibration, report.reliability = calibration_report([learned, uncalibrated], test)
        judged = placement_judgements(data.engine)  # what planners said of earlier proposals
        agreement = placement_agreement(learned, records, judged, births) if len(judged) else {}
        lap("evaluate")
        context: dict[str, object] = {
            "data snapshot": records.snapshot_id,
            "train rounds": split.train_years,
        }
        example = {"position_id": [str(test.events["position_id"].iloc[0])], "k": [5]}
        return Trained(
            learned=learned,
            report=report,
            target=target_check(report),
            example=pd.DataFrame(example | {"as_of": [split.cutoff.date().isoformat()]}),
            params={
                "training_placements": len(examples.placed),
                "test_vacancies": report.vacancies,
                "features": ",".join(learned.features),
                **_calibration_params(learned),
            },
            metrics=_metrics(report)
            | {k: v for k, v in agreement.items() if v == v},  # NaN: none judged
            write_report=lambda folder: write_placement_report(
                report, learned, folder, context, split.test_year
            ),
        )

    def evaluate(
        self, models: list[Any], data: RunData, test_year: int, people: int | None = None
    ) -> pd.DataFrame:
        test = test_round(data.records, test_year, data.protected["birth_date"], self._truth())
        return evaluate_placements(models, test, data.protected).overall

    def signature(self) -> ModelSignature:
        """Input: position_id (required), k, as_of, include_ineligible, agencies. Output:
        ranked candidates."""
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

    def challenger_reason(self, split: TemporalSplit) -> str:
        return f"trained on placement rounds {split.train_years[0]}–{split.train_years[-1]}"

    def _truth(self) -> PlacementTruth | None:
        return PlacementTruth.load(self.truth_dir) if self.truth_dir else None


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


def _beside_learned(report: PlacementReport, other: PlacementReport) -> None:
    """`other`'s rows of overall and per-family metrics (its scorers, no references), put in
    `report` right after the learned model's: a reference for the calibration, not a baseline,
    and no fairness rows of its own."""
    rows = other.overall.loc[[m for m in other.overall.index if m in set(other.by_family["model"])]]
    at = list(report.overall.index).index("learned") + 1
    report.overall = pd.concat([report.overall.iloc[:at], rows, report.overall.iloc[at:]])
    report.by_family = pd.concat([report.by_family, other.by_family], ignore_index=True)


def _calibration_params(learned: SuccessModel) -> dict[str, object]:
    """What the success probability was calibrated on (the run's parameters)."""
    calibration = learned.calibration
    if calibration is None:
        return {"calibration_rounds": "none"}
    return {
        "calibration_rounds": calibration.label,
        "calibration_placements": calibration.placements,
        "calibration_observed_rate": round(calibration.observed_rate, 4),
        "calibration_uncalibrated_rate": round(calibration.uncalibrated_rate, 4),
        "calibration_offset": round(calibration.offset, 4),
    }


def _metrics(report: PlacementReport) -> dict[str, float]:
    """The label check, overall (baselines prefixed), calibration, per family and fairness."""
    metrics = dict(report.label_check)
    prefixes = {"learned": "", UNCALIBRATED: f"calibration.{UNCALIBRATED}."}
    for model, row in report.overall.iterrows():
        prefix = prefixes.get(str(model), f"baseline.{model}.")
        metrics |= {prefix + metric_name(str(k)): float(v) for k, v in row.items() if pd.notna(v)}
    for model, row in report.calibration.iterrows():
        prefix = "calibration." if model == "learned" else f"calibration.{model}."
        metrics |= {prefix + str(k): float(v) for k, v in row.items() if pd.notna(v)}
    for _, row in report.by_family[report.by_family["model"] == "learned"].iterrows():
        for metric in ("ndcg@10", "auc", "true_success@1"):
            if metric in row and pd.notna(row[metric]):
                metrics[f"family.{row['family']}.{metric_name(metric)}"] = row[metric]
    for (model, k, attribute), table in report.fairness.groupby(["model", "k", "attribute"]):
        name = f"fairness.{model}.{attribute}.min_impact_ratio_at_{k}"
        metrics[name] = float(table["impact_ratio"].min())
    return metrics
