"""The calibration behind `training.placement.model.Calibration`, reproducible.

For each held-out round asked (default: the test round and the one before), fits the success
model as a run does (on the rounds whose outcomes were known before that round) and compares
ways of turning its score into a probability, all on the same held-out calibration rounds
(`calibration_rounds`, never the round they are scored on):

- ``auc_uncalibrated``: the product before calibration — the penalty chosen by cross-validated
  AUC, fitted on every training round, the regression's own probability;
- ``uncalibrated``: the same with the penalty chosen by log loss (`PENALTY_SCORING`);
- ``shift`` (the product): fitted on the older rounds, the log-odds shifted so that the mean
  prediction on the calibration rounds equals their observed rate;
- ``platt`` and ``isotonic``: the same fit, calibrated on the same rounds by scikit-learn's
  `CalibratedClassifierCV` on a `FrozenEstimator` (sigmoid: slope and intercept; isotonic).

Prints, per round, the ranking metrics of `evaluate_placements` and the calibration metrics of
`calibration_report` side by side (docs/placements.md, "Calibration"):

    .venv/bin/python -m bench.placement_calibration --dataset data/generated/province-seed42

Uses the database of the settings (`JENJANG_DATABASE_URL`) and the dataset's truth.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from features.store.database import create_db_engine
from features.store.personal import load_birth_dates
from features.store.reads import load_records
from features.store.settings import get_settings
from training.placement.evaluation import calibration_report, evaluate_placements, test_round
from training.placement.kind import latest_placement_cycle, placement_split
from training.placement.model import SuccessModel, training_examples
from training.truth import PlacementTruth

#: The columns printed, in this order.
COLUMNS = [
    "auc",
    "ndcg@10",
    "true_success@1",
    "true_success@5",
    "brier",
    "mean_predicted",
    "observed_rate",
    "z",
    "within",
    "max_decile_z",
    "deciles_within",
    "decile_1_predicted",
    "decile_1_observed",
    "mse_true",
    "top1_predicted",
    "top1_true",
]


class Calibrated:
    """The success model's older-rounds fit, calibrated by scikit-learn on the held-out rounds."""

    def __init__(self, name: str, fitted: SuccessModel, method: str, held: pd.DataFrame) -> None:
        self.name, self.features = name, fitted.features
        self.model: Any = CalibratedClassifierCV(FrozenEstimator(fitted.model), method=method)
        self.model.fit(held[self.features], held["success"].astype(int))

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(pairs[self.features])[:, 1]


def compare(records: Any, births: pd.Series, truth: PlacementTruth, year: int) -> pd.DataFrame:
    """Every way of calibrating, on the round `year` held out."""
    split = placement_split(records, year)
    examples = training_examples(records, split, births)
    shifted = SuccessModel().fit(examples)
    shifted.name = "shift"
    uncalibrated = SuccessModel(calibrate=False).fit(examples)
    uncalibrated.name = "uncalibrated"
    by_auc = SuccessModel(calibrate=False)
    by_auc.model.set_params(logisticregressioncv__scoring="roc_auc")
    by_auc.name = "auc_uncalibrated"
    scorers: list[Any] = [by_auc.fit(examples), uncalibrated, shifted]
    if shifted.calibration is not None:
        placed = examples.placed
        held = placed[placed["year"].isin(shifted.calibration.rounds)]
        scorers += [
            Calibrated(m, shifted, m if m != "platt" else "sigmoid", held)
            for m in ("platt", "isotonic")
        ]
        c = shifted.calibration
        print(
            f"round {year}: calibrated on {c.label} ({c.placements} placements, "
            f"{c.observed_rate:.3f} succeeded; the older rounds' fit predicted "
            f"{c.uncalibrated_rate:.3f}; shift {c.offset:+.3f})"
        )
    penalties = {m.name: float(m.model[-1].C_) for m in (by_auc, uncalibrated, shifted)}
    print(
        f"round {year}: penalty C chosen " + ", ".join(f"{k} {v:g}" for k, v in penalties.items())
    )
    test = test_round(records, year, births, truth)
    overall = evaluate_placements(scorers, test).overall
    calibration, deciles = calibration_report(scorers, test)
    lowest = deciles[deciles["decile"] == 1].set_index("model")[["predicted", "observed"]]
    table = overall.join(calibration, how="inner").join(lowest.add_prefix("decile_1_"))
    return table[[c for c in COLUMNS if c in table.columns]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="generated dataset (truth/)")
    parser.add_argument("--rounds", type=int, nargs="*", help="held-out rounds (default: 2)")
    args = parser.parse_args()
    engine = create_db_engine(get_settings().database_url)
    records, births = load_records(engine), load_birth_dates(engine)
    truth = PlacementTruth.load(args.dataset)
    latest = latest_placement_cycle(records)
    for year in args.rounds or [latest - 1, latest]:
        table = compare(records, births, truth, year)
        print(table.round(4).to_markdown())
        print()


if __name__ == "__main__":
    main()
