"""The model choice behind `training.placement.model.SuccessModel`, reproducible.

Fits the chosen model and the alternatives tried on the *validation* round (the cycle before the
test cycle) and prints their metrics side by side, so the choice in docs/placements.md can be
rerun:

    .venv/bin/python -m bench.placement_alternatives --dataset data/generated/province-seed42

Uses the database of the settings (`JENJANG_DATABASE_URL`) and the dataset's truth.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.asof.post_pairs import CANDIDATE_FEATURES, SUCCESS_FEATURES
from features.planning.ranking import Scorer
from features.store.database import create_db_engine
from features.store.personal import load_birth_dates
from features.store.reads import load_records
from features.store.settings import get_settings
from training.placement.evaluation import evaluate_placements, test_round
from training.placement.kind import latest_placement_cycle, placement_split
from training.placement.model import (
    Examples,
    FitOnly,
    SuccessModel,
    boosting_classifier,
    logistic_pipeline,
    training_examples,
)
from training.truth import PlacementTruth


class Alternative:
    """A classifier of success on some candidate features."""

    def __init__(self, name: str, model: Any, features: list[str]) -> None:
        self.name, self.model, self.features = name, model, features

    def fit(self, examples: Examples) -> Alternative:
        placed = examples.placed
        self.model.fit(placed[self.features], placed["success"].astype(int))
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(pairs[self.features])[:, 1]


def alternatives() -> list[Alternative]:
    monotone = {"fit_score": 1, "rating_mean_2y": 1, "potential_score": 1, "shortfall_mean": -1}
    return [
        Alternative("logistic, all candidate features", logistic_pipeline(), CANDIDATE_FEATURES),
        Alternative("boosting, all candidate features", boosting_classifier(), CANDIDATE_FEATURES),
        Alternative(
            "boosting, monotone in fit/rating/potential",
            boosting_classifier(monotonic_cst=monotone),
            CANDIDATE_FEATURES,
        ),
        Alternative("boosting, the success features", boosting_classifier(), SUCCESS_FEATURES),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="generated dataset (truth/)")
    args = parser.parse_args()
    engine = create_db_engine(get_settings().database_url)
    records, births = load_records(engine), load_birth_dates(engine)
    validation_year = latest_placement_cycle(records) - 1
    split = placement_split(records, validation_year)
    examples = training_examples(records, split, births)
    chosen = SuccessModel().fit(examples)
    chosen.name = "chosen: logistic, the success features"
    models: list[Scorer] = [chosen, FitOnly(), *(a.fit(examples) for a in alternatives())]
    test = test_round(records, validation_year, births, PlacementTruth.load(args.dataset))
    report = evaluate_placements(models, test)
    print(
        f"validation round {validation_year}, trained on {split.train_years[0]}–"
        f"{split.train_years[-1]}, {report.vacancies} vacancies"
    )
    print(report.overall.drop(columns="vacancies").round(4).to_markdown())


if __name__ == "__main__":
    main()
