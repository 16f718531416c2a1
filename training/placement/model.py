"""Placement success: who, among the eligible candidates for a post, is likely to do well in it.

History gives, for each structural post filled by promotion (``promosi`` in the position
history), the person placed and what followed: their SKP for the year of the move. A placement
*succeeded* when that rating is at least `SUCCESS_MIN_RATING` (Baik) — the observable stand-in
for "performance in the position afterwards" (heuristic; the generator's hidden success draw
agrees with it to MCC 0.30 on the province dataset, see docs/placements.md).

Three scorers rank candidates on the same features, all point-in-time (described as known on
1 January of the placement year, when the round opens):

- `SuccessModel` (the product): a regularised logistic regression of success, trained on the
  people placed in the training years. It does not see `same_agency`: closeness to the post is
  how past choices were biased, not merit.
- `FitOnly`: the competency fit to the post's standard, nothing learned.
- `Imitation`: a classifier of *who was chosen* among the eligible, trained on past rounds — it
  learns whatever past decisions rewarded, merit or not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from features.asof.evaluations import harmonised
from features.asof.post_pairs import CANDIDATE_FEATURES, PROXIMITY_FEATURES, SUCCESS_FEATURES
from features.asof.records import Records, known
from features.rules.eligibility import BAIK
from features.view import STRUCTURAL_FAMILIES, build_view, candidate_rows, post_of
from training.placement import reasons as placement_reasons
from training.split import TemporalSplit, cycle_start

log = logging.getLogger(__name__)


PLACEMENT_REASON = "promosi"


#: A placement succeeded when the SKP of the first year mostly in the new post is at least
#: this ordinal (Baik).
SUCCESS_MIN_RATING = BAIK


#: A move starting in this month or later is judged by the next year's SKP: the year of the
#: move was mostly spent in the old post.
LATE_MOVE_MONTH = 7


#: Candidates not chosen, sampled per past vacancy to train the imitation baseline.
POOL_SAMPLE = 50


#: Cross-validation folds choosing the success model's regularisation.
CV_FOLDS = 5


def placement_events(
    records: Records, years: Iterable[int], known_before: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Promotions into structural posts starting in `years` (one row per filled vacancy)."""
    history = records["position_history"]
    if known_before is not None:
        history = known(history, known_before)
    families = records["positions"].set_index("position_id")["family"]
    events = history[history["reason"] == PLACEMENT_REASON].copy()
    events["family"] = events["position_id"].map(families)
    events["year"] = events["start_date"].dt.year
    events = events[events["family"].isin(STRUCTURAL_FAMILIES) & events["year"].isin(list(years))]
    events["vacancy"] = events["position_id"] + "@" + events["year"].astype(str)
    events = events.drop_duplicates("vacancy", keep="first")
    columns = ["vacancy", "employee_id", "position_id", "family", "start_date", "year"]
    return events[columns].sort_values(["year", "vacancy"]).reset_index(drop=True)


def observed_success(
    records: Records, events: pd.DataFrame, known_before: pd.Timestamp | None = None
) -> pd.Series:
    """1.0 if the placed person's SKP for the first year mostly in the new post (the year of
    the move, or the next for a move from July on) is at least Baik, 0.0 if below, NaN if that
    SKP is not known (yet) — aligned with `events`."""
    as_of = known_before if known_before is not None else pd.Timestamp.max.normalize()
    rated = harmonised(records, as_of).set_index(["employee_id", "year"])["ordinal"]
    judged = events["year"] + (events["start_date"].dt.month >= LATE_MOVE_MONTH).astype(int)
    index = pd.MultiIndex.from_arrays([events["employee_id"], judged])
    rating = rated.reindex(index).to_numpy()
    success = np.where(np.isnan(rating), np.nan, (rating >= SUCCESS_MIN_RATING).astype(float))
    return pd.Series(success, index=events.index, name="success")


@dataclass
class Examples:
    """Training rows from past rounds: the placed people with their outcome, and each round's
    eligible pool (sampled) with who was chosen."""

    placed: pd.DataFrame  # candidate features + vacancy, year, success
    pools: pd.DataFrame  # candidate features + vacancy, year, chosen


def training_examples(
    records: Records,
    split: TemporalSplit,
    birth_dates: pd.Series,
    pool_sample: int = POOL_SAMPLE,
    seed: int = 0,
) -> Examples:
    """Past rounds before the test cycle, with outcomes known before it started."""
    rng = np.random.default_rng(seed)
    events = placement_events(records, split.train_years, split.cutoff)
    events["success"] = observed_success(records, events, split.cutoff)
    placed, pools = [], []
    for year in sorted(events["year"].unique()):
        view = build_view(records, cycle_start(int(year)), birth_dates)
        for event in events[events["year"] == year].to_dict("records"):
            person, vacancy = event["employee_id"], event["vacancy"]
            if person not in view.frame.index:
                continue
            post = post_of(records, event["position_id"], view.standards)
            row = view.pairs(post, pd.Index([person]))
            placed.append(row.assign(vacancy=vacancy, year=year, success=event["success"]))
            eligible = view.frame.index[candidate_rows(view, post)]
            if person not in eligible:
                continue  # the imitation pool holds eligible people only, the chosen one too
            others = eligible[eligible != person]
            if len(others) > pool_sample:
                others = pd.Index(rng.choice(others, pool_sample, replace=False))
            people = others.append(pd.Index([person]))
            pool = view.pairs(post, people)
            pools.append(pool.assign(vacancy=vacancy, year=year, chosen=people == person))
    if not placed:
        raise ValueError(
            f"no placements into structural posts in {split.train_years}: nothing to learn from"
        )
    placed_rows = pd.concat(placed)
    return Examples(placed_rows[placed_rows["success"].notna()], pd.concat(pools))


def logistic_pipeline() -> Pipeline:
    """Median imputation with "was missing" flags, scaling, and an L2 logistic regression whose
    penalty is chosen by cross-validated AUC."""
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegressionCV(
            Cs=np.logspace(-3, 1, 9),
            l1_ratios=(0.0,),
            cv=CV_FOLDS,
            scoring="roc_auc",
            max_iter=2000,
            use_legacy_attributes=False,
        ),
    )


def boosting_classifier(seed: int = 0, **options: object) -> HistGradientBoostingClassifier:
    """Small, regularised boosting: a few hundred to a few thousand rows per model."""
    return HistGradientBoostingClassifier(
        max_depth=3,
        learning_rate=0.05,
        max_iter=150,
        min_samples_leaf=30,
        l2_regularization=1.0,
        random_state=seed,
        **options,  # type: ignore[arg-type]
    )


class FitOnly:
    """Baseline: the competency fit to the post's standard, nothing learned."""

    name = "fit_only"
    features: list[str] = ["fit_score"]

    def fit(self, examples: Examples) -> FitOnly:
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return pairs["fit_score"].to_numpy(dtype=float)


class Imitation:
    """Baseline: the probability of being chosen, learned from past rounds' pools."""

    name = "imitation"
    features = CANDIDATE_FEATURES + PROXIMITY_FEATURES

    def __init__(self, seed: int = 0) -> None:
        self.model = boosting_classifier(seed)

    def fit(self, examples: Examples) -> Imitation:
        pools = examples.pools
        self.model.fit(pools[self.features], pools["chosen"].astype(int))
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(pairs[self.features])[:, 1]


class SuccessModel:
    """The product: the probability that a placement succeeds, learned from past placements.

    A regularised logistic regression on a few features that say how the person stands against
    the post (fit, shortfall, surplus, field, size of the step) and how they perform (ratings,
    potential). Chosen on the validation round (the cycle before the test cycle) over gradient
    boosting and wider feature sets: a thousand placements with one failure in twelve is little
    data, and the linear model's coefficients are readable (docs/placements.md).
    """

    name = "learned"
    features = SUCCESS_FEATURES

    def __init__(self) -> None:
        self.model = logistic_pipeline()

    def fit(self, examples: Examples) -> SuccessModel:
        placed = examples.placed
        labels = placed["success"].astype(int)
        if labels.nunique() < 2 or labels.value_counts().min() < CV_FOLDS:
            raise ValueError(
                f"{len(placed)} past placements with {int((labels == 0).sum())} failures: "
                "too few of each outcome to learn success from"
            )
        self.model.fit(placed[self.features], labels)
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(pairs[self.features])[:, 1]

    def reasons(self, pairs: pd.DataFrame) -> list[list[dict[str, object]]]:
        """Each candidate's largest contributions to the score, in words (a list per row)."""
        parts = placement_reasons.contributions(self.model, self.features, pairs)
        return placement_reasons.reasons(parts, pairs)

    def coefficients(self) -> pd.Series:
        """Standardised coefficients per feature (the "not assessed" indicator included)."""
        names = self.model[:-1].get_feature_names_out(self.features)
        return pd.Series(self.model[-1].coef_[0], index=names).sort_values()


#: Columns and MLflow types of a ranked candidate list (the pyfunc's output, the API's answer).
RANKING_TYPES = {
    "position_id": "string",
    "rank": "long",
    "employee_id": "string",
    "score": "double",
    "fit_score": "double",
    "eligible": "boolean",
    "failed_rules": "string",
    "eligible_from": "string",
    "talent_box": "double",
    "rating_last": "double",
    "reasons": "string",
}
