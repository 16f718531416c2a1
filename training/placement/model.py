"""Placement success: who, among the eligible candidates for a post, is likely to do well in it.

History gives, for each structural post filled by promotion (``promosi`` in the position
history), the person placed and what followed: their SKP for the year of the move. A placement
*succeeded* when that rating is at least `SUCCESS_MIN_RATING` (Baik) — the observable stand-in
for "performance in the position afterwards" (heuristic; the generator's hidden success draw
agrees with it to MCC 0.30 on the province dataset, see docs/placements.md).

Three scorers rank candidates on the same features, all point-in-time (described as known on
1 January of the placement year, when the round opens):

- `SuccessModel` (the product): a regularised logistic regression of success, trained on the
  people placed in the training years, its probability calibrated on the newest of them, held
  out (`Calibration`). It does not see `same_agency`: closeness to the post is how past choices
  were biased, not merit.
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
from scipy.optimize import brentq
from scipy.special import expit
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

#: What the folds choose the penalty by: log loss, which scores the probabilities themselves.
#: AUC, used before, ignores the scale of the log-odds: it chose the strongest penalty of the
#: grid (C = 0.001), which squeezes the predictions towards their mean, too close for the deciles
#: of people who did fail; log loss chooses a lighter one. The ranking was no worse, beyond noise,
#: on the province's 2023–2025 rounds (docs/placements.md, "Calibration").
PENALTY_SCORING = "neg_log_loss"


#: The newest rounds with known outcomes calibrate the success probability, as many as it takes
#: to hold this many placements of each outcome (failures are the rare one). One parameter is
#: fitted on them (`Calibration`): ten failures among about seventy placements put it within
#: about ±0.35 on the logit (one standard error), ±4 points of probability near 85%.
MIN_CALIBRATION_OUTCOMES = 10


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
    penalty is chosen by cross-validated log loss (`PENALTY_SCORING`)."""
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegressionCV(
            Cs=np.logspace(-3, 1, 9),
            l1_ratios=(0.0,),
            cv=CV_FOLDS,
            scoring=PENALTY_SCORING,
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


@dataclass(frozen=True)
class Calibration:
    """How the success probability was calibrated (recalibration in the large).

    The logistic regression is fitted on every training round but the newest ones (`rounds`),
    which are held out; on them, a shift of the log-odds (`offset`) is chosen so that the mean
    predicted success equals the share of placements that succeeded (`observed_rate`). The
    ranking is unchanged (the shift is the same for everyone); what moves is the level of the
    number a planner reads. One parameter, not Platt's two nor isotonic regression: the spread
    of the log-odds is the regression's, its penalty chosen by cross-validation over every
    training round, while a calibration round holds a hundred or two placements with a few
    dozen failures. On the province's 2023–2025 rounds Platt scaling on the same rounds scored
    within 0.005 of the shift's Brier score; isotonic regression's steps tied candidates and
    spoilt the ranking (docs/placements.md,
    "Calibration"). What changes most between rounds is the level: how often SKP is rated Baik
    or better (the predikat scheme of PermenPANRB 6/2022 rates fewer people Baik than the 2011
    score did).
    """

    rounds: tuple[int, ...]
    placements: int
    observed_rate: float  # share of the held-out placements with SKP ≥ Baik
    uncalibrated_rate: float  # the fitted model's mean prediction on them, before the shift
    offset: float  # added to the log-odds

    @property
    def label(self) -> str:
        """The rounds as a reader writes them: "2023", "2022–2023"."""
        first, last = min(self.rounds), max(self.rounds)
        return str(last) if first == last else f"{first}–{last}"


def calibration_rounds(placed: pd.DataFrame) -> tuple[int, ...]:
    """The newest rounds of `placed` (with ``year`` and ``success``) holding at least
    `MIN_CALIBRATION_OUTCOMES` placements of each outcome, oldest first; empty when no such
    rounds leave enough of each outcome in the older ones to fit the model on."""
    outcomes = placed.groupby("year")["success"].agg(["size", "sum"])
    rounds: list[int] = []
    for year in sorted(outcomes.index, reverse=True):
        rounds.insert(0, int(year))
        held = outcomes.loc[rounds]
        successes = held["sum"].sum()
        if min(successes, held["size"].sum() - successes) >= MIN_CALIBRATION_OUTCOMES:
            rest = placed.loc[~placed["year"].isin(rounds), "success"]
            return tuple(rounds) if _learnable(rest) else ()
    return ()


def _learnable(success: pd.Series) -> bool:
    """Both outcomes, each often enough for the cross-validation folds."""
    counts = success.astype(int).value_counts()
    return len(counts) == 2 and counts.min() >= CV_FOLDS


def calibrate(logit: np.ndarray, success: np.ndarray, rounds: tuple[int, ...]) -> Calibration:
    """The shift of `logit` whose mean probability equals the observed success rate (the
    maximum-likelihood intercept with the slope held at 1; both outcomes must be present)."""
    observed = np.asarray(success, dtype=float)
    offset = brentq(lambda b: float((observed - expit(logit + b)).sum()), -30.0, 30.0)
    return Calibration(
        rounds=rounds,
        placements=len(observed),
        observed_rate=float(observed.mean()),
        uncalibrated_rate=float(expit(logit).mean()),
        offset=float(offset),
    )


class SuccessModel:
    """The product: the probability that a placement succeeds, learned from past placements.

    A regularised logistic regression on a few features that say how the person stands against
    the post (fit, shortfall, surplus, field, size of the step) and how they perform (ratings,
    potential). Chosen on the validation round (the cycle before the test cycle) over gradient
    boosting and wider feature sets: a thousand placements with one failure in twelve is little
    data, and the linear model's coefficients are readable (docs/placements.md).

    Its score is a calibrated probability of the observed label (SKP ≥ Baik in the first year
    in the post): fitted on the older training rounds, calibrated on the newest (`Calibration`).
    With ``calibrate=False`` (or too few failures to hold rounds out) it is fitted on every
    round and its probability is the regression's own.
    """

    name = "learned"
    features = SUCCESS_FEATURES

    def __init__(self, calibrate: bool = True) -> None:
        self.model = logistic_pipeline()
        self.calibrate = calibrate
        self.calibration: Calibration | None = None

    def fit(self, examples: Examples) -> SuccessModel:
        placed = examples.placed
        labels = placed["success"].astype(int)
        if not _learnable(labels):
            raise ValueError(
                f"{len(placed)} past placements with {int((labels == 0).sum())} failures: "
                "too few of each outcome to learn success from"
            )
        rounds = calibration_rounds(placed) if self.calibrate else ()
        held = placed["year"].isin(rounds)
        self.model.fit(placed.loc[~held, self.features], labels[~held])
        self.calibration = None
        if rounds:
            logit = self.model.decision_function(placed.loc[held, self.features])
            self.calibration = calibrate(logit, labels[held].to_numpy(), rounds)
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        logit = self.model.decision_function(pairs[self.features])
        calibration = getattr(self, "calibration", None)  # None in versions from before it
        return expit(logit + (calibration.offset if calibration else 0.0))

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
