"""Training impact: what each course changes, estimated from who took it and who did not,
adjusted for who chose it, with confidence intervals.

People do not take courses at random: they choose the ones that fill the gaps they see, in the
field of their post. A plain comparison of takers with everyone else mixes the course's effect
with who its takers were. The doubly robust estimator (augmented inverse propensity weighting,
AIPW) used here models both how likely each person was to take the course given what was known
before (the propensity, a logistic regression) and how the outcome moves without it (a linear
model fitted on non-takers); it is right if either model is. Both are cross-fitted
(scikit-learn), and the confidence interval comes from the estimator's influence function. The
estimand is the average effect on those who took the course (ATT).

Two outcomes:

- **the targeted competencies**: the change in a competency's measured level between two
  assessments of the same person, treated when the course was taken in between (by year: an
  assessment campaign's date does not say which of that year's courses came before it, so a
  course counts from the year after the first assessment up to the year of the second);
- **the next cycle's performance**: the change in the SKP score from the year before the course
  to the year after, for the years when SKP gave a numeric score (to 2021; from 2022 the
  ratings are ranks within a unit, PermenPANRB 6/2022, and a course's effect shows only
  through rank changes).

On a generated dataset, both analyses take the hidden truth and put the same takers' true
average effect beside each estimate, so the estimator's error can be measured
(`compare_with_truth`): the check that the method works.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from features.asof.course_pairs import Catalogue, audience_matrix
from features.asof.positions import competency_codes, current_positions, standard_matrix
from features.asof.records import Records, known
from features.synth import appraisal, mechanisms
from training.courses.effects import reassessment_rows, required_at
from training.truth import Truth

#: Fewest takers (in the outcome's sample) for a course to be estimated at all.
MIN_TAKERS = 50
#: Propensities are kept within these bounds, so a few near-certain takers or non-takers do
#: not carry the whole estimate (a usual trimming; a heuristic).
PROPENSITY_BOUNDS = (0.01, 0.99)
#: z for a two-sided 95% interval.
Z95 = 1.959964
#: The last year whose SKP carries a numeric score (PermenPANRB 6/2022 moved to ratings).
LAST_SCORE_YEAR = 2021


@dataclass(frozen=True)
class Estimate:
    """One course's effect on one outcome, for those who took it."""

    effect: float
    low: float
    high: float
    naive: float  # takers' mean outcome minus non-takers': what ignoring the choice gives
    treated: int
    controls: int


def aipw_att(
    covariates: np.ndarray,
    treated: np.ndarray,
    outcome: np.ndarray,
    people: np.ndarray | None = None,
    folds: int = 2,
    seed: int = 0,
) -> Estimate:
    """The doubly robust (AIPW) average effect on the treated, cross-fitted over `folds`
    (stratified, so every fold has takers), with a 95% interval from the influence function.
    Rows of the same person (`people`) are not independent: their influence is summed per
    person before the variance (a cluster-robust interval)."""
    t = treated.astype(bool)
    propensity = np.empty(len(t))
    untreated_outcome = np.empty(len(t))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(covariates, t):
        chooser = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        chooser.fit(covariates[train], t[train])
        propensity[test] = chooser.predict_proba(covariates[test])[:, 1]
        controls = train[~t[train]]
        baseline = make_pipeline(StandardScaler(), LinearRegression())
        baseline.fit(covariates[controls], outcome[controls])
        untreated_outcome[test] = baseline.predict(covariates[test])
    e = np.clip(propensity, *PROPENSITY_BOUNDS)
    residual = outcome - untreated_outcome
    share = t.mean()
    weighted = np.where(t, residual, -e / (1 - e) * residual)
    effect = weighted.sum() / t.sum()
    influence = (weighted - t * effect) / share
    if people is not None:
        influence = pd.Series(influence).groupby(people).sum().to_numpy()
    error = np.sqrt((influence**2).sum()) / len(t)
    return Estimate(
        effect=float(effect),
        low=float(effect - Z95 * error),
        high=float(effect + Z95 * error),
        naive=float(outcome[t].mean() - outcome[~t].mean()),
        treated=int(t.sum()),
        controls=int((~t).sum()),
    )


def takes(records: Records, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Course takes recorded before `cutoff` and matched to the catalogue: employee_id,
    course_id, year (of the start)."""
    trainings = known(records["training_records"], cutoff).dropna(subset=["course_id"])
    return pd.DataFrame(
        {
            "employee_id": trainings["employee_id"].to_numpy(),
            "course_id": trainings["course_id"].to_numpy(),
            "year": pd.to_datetime(trainings["start_date"]).dt.year.to_numpy(),
        }
    ).drop_duplicates()


def competency_sample(records: Records, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Every (person, competency) measured twice before `cutoff`: the two levels, their years,
    and the level the post held at the first assessment required."""
    rows = reassessment_rows(records, cutoff)
    rows["required"] = required_at(records, rows, cutoff)
    rows["year_from"] = pd.to_datetime(rows["assessed_before"]).dt.year
    rows["year_to"] = pd.to_datetime(rows["assessed_on"]).dt.year
    rows["change"] = rows["level"] - rows["level_before"]
    return rows[rows["year_to"] > rows["year_from"]].reset_index(drop=True)


def competency_effects(
    records: Records,
    cutoff: pd.Timestamp,
    truth: Truth | None = None,
    min_takers: int = MIN_TAKERS,
) -> pd.DataFrame:
    """Per course and competency it develops: the estimated effect on the measured level (in
    levels) among the people who took the course between two assessments of it; with `truth`
    (a generated dataset's), the true average gain of those same takers beside it."""
    sample = competency_sample(records, cutoff)
    taken = takes(records, cutoff)
    out = []
    for entry in records["course_competencies"].to_dict("records"):
        rows = sample[sample["competency_code"] == entry["competency_code"]].reset_index(drop=True)
        year = _year_taken_between(rows, taken[taken["course_id"] == entry["course_id"]])
        treated = year > 0
        if treated.sum() < min_takers or (~treated).sum() < min_takers:
            continue
        covariates = np.column_stack(
            [  # what was known at the first assessment
                rows["level_before"],
                rows["required"],
                np.clip(rows["required"] - rows["level_before"], 0, None),
                rows["year_to"] - rows["year_from"],
                rows["level_before"].between(entry["level_min"], entry["level_max"]),
            ]
        ).astype(float)
        outcome = rows["change"].to_numpy(dtype=float)
        estimate = aipw_att(covariates, treated, outcome, rows["employee_id"].to_numpy())
        found = {"course_id": entry["course_id"], "competency_code": entry["competency_code"]}
        if truth is not None:
            found["true_effect"] = float(
                _true_gain(truth, entry, rows[treated], year[treated]).mean()
            )
        out.append(found | vars(estimate))
    return pd.DataFrame(out)


def _year_taken_between(rows: pd.DataFrame, mine: pd.DataFrame) -> np.ndarray:
    """Per row, the first year the person took the course after the first assessment's year
    and up to the second's (0: not taken in between)."""
    pairs = rows[["employee_id", "year_from", "year_to"]].reset_index(names="row")
    pairs = pairs.merge(mine[["employee_id", "year"]], on="employee_id")
    inside = pairs[(pairs["year"] > pairs["year_from"]) & (pairs["year"] <= pairs["year_to"])]
    first = inside.groupby("row")["year"].min()
    year = np.zeros(len(rows), dtype=int)
    year[first.index.to_numpy()] = first.to_numpy()
    return year


def _true_gain(
    truth: Truth, entry: Mapping[Hashable, Any], rows: pd.DataFrame, year: np.ndarray
) -> np.ndarray:
    """The hidden gain of each taker in the competency, from their true level at the start of
    the year they took the course (the generator's own mechanism)."""
    before = truth.levels.reindex(pd.MultiIndex.from_arrays([rows["employee_id"], year - 1]))
    level = before[entry["competency_code"]].to_numpy()

    def each(value: float) -> np.ndarray:
        return np.full(len(level), float(value))

    gain = mechanisms.course_gain(
        level,
        each(entry["level_min"]),
        each(entry["level_max"]),
        each(entry["nominal_gain"]),
        each(truth.effectiveness.get(entry["course_id"], np.nan)),
        truth.responsiveness.reindex(rows["employee_id"]).to_numpy(),
    )
    return gain[~np.isnan(gain)]


def performance_sample(records: Records, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Per person and year t: the annual SKP scores of t−1 and t+1 recorded before `cutoff`
    (numeric years only), their change, and the post held on 1 January of t (before any of
    t's courses)."""
    evaluations = known(records["evaluations"], cutoff)
    scored = evaluations[
        (evaluations["period"] == "annual")
        & evaluations["score"].notna()
        & (evaluations["year"] <= LAST_SCORE_YEAR)
    ]
    score = scored.groupby(["employee_id", "year"])["score"].mean()
    before = score.rename("score_before").reset_index()
    before["year"] += 1  # the score of t−1, filed under t
    after = score.rename("score_after").reset_index()
    after["year"] -= 1
    rows = before.merge(after, on=["employee_id", "year"])
    rows["change"] = rows["score_after"] - rows["score_before"]
    posts = []
    for year in sorted(rows["year"].unique()):
        group = rows[rows["year"] == year]
        held = current_positions(records, pd.Timestamp(year=int(year), month=1, day=1))
        posts.append(
            group.assign(position_id=held["position_id"].reindex(group["employee_id"]).to_numpy())
        )
    if not posts:
        return rows.assign(position_id=pd.Series(dtype=object))
    rows = pd.concat(posts, ignore_index=True).dropna(subset=["position_id"])
    return rows.reset_index(drop=True)


def performance_effects(
    records: Records,
    cutoff: pd.Timestamp,
    truth: Truth | None = None,
    min_takers: int = MIN_TAKERS,
) -> pd.DataFrame:
    """Per course: the estimated effect on the SKP score (points) from the year before the
    course to the year after, among those who took it in year t; with `truth`, the true
    average effect of those takers beside it."""
    sample = performance_sample(records, cutoff)
    taken = takes(records, cutoff)
    families = pd.get_dummies(
        records["positions"].set_index("position_id")["family"].reindex(sample["position_id"])
    ).to_numpy(dtype=float)
    catalogue = Catalogue.from_records(records) if truth is not None else None
    standards = standard_matrix(records).reindex(columns=list(competency_codes())).fillna(0.0)
    people, years = sample["employee_id"], sample["year"]
    person_year = pd.MultiIndex.from_arrays([people, years])
    person_year_before = pd.MultiIndex.from_arrays([people, years - 1])
    person_year_after = pd.MultiIndex.from_arrays([people, years + 1])
    out = []
    for course_id, mine in taken.groupby("course_id"):
        taken_in = pd.MultiIndex.from_arrays([mine["employee_id"], mine["year"]])
        in_year = person_year.isin(taken_in)
        around = person_year_before.isin(taken_in) | person_year_after.isin(taken_in)
        keep = in_year | ~around  # takers of that year, and people who did not take it near it
        rows, treated = sample[keep].reset_index(drop=True), in_year[keep]
        if treated.sum() < min_takers or (~treated).sum() < min_takers:
            continue
        covariates = np.column_stack(
            [rows["score_before"], rows["year"], families[keep]]  # known before the course
        ).astype(float)
        outcome = rows["change"].to_numpy(dtype=float)
        estimate = aipw_att(covariates, treated, outcome, rows["employee_id"].to_numpy())
        found: dict[str, object] = {"course_id": course_id}
        if truth is not None and catalogue is not None and course_id in set(catalogue.ids):
            found["true_effect"] = _true_score_effect(
                truth, catalogue, standards, rows[treated], str(course_id), records["positions"]
            )
        out.append(found | vars(estimate))
    return pd.DataFrame(out)


def _true_score_effect(
    truth: Truth,
    catalogue: Catalogue,
    standards: pd.DataFrame,
    rows: pd.DataFrame,
    course_id: str,
    positions: pd.DataFrame,
) -> float:
    """The takers' mean true effect on the score: their true fit gain in the post they held
    (a fifth of it for a taker outside the course's audience, as in the generator), through
    the generator's performance and score scales."""
    column = int(np.flatnonzero(catalogue.ids == course_id)[0])
    posts = positions.set_index("position_id")[["occupation", "family", "field"]]
    gains = []
    for year in sorted(rows["year"].unique()):
        group = rows[rows["year"] == year]
        required = standards.reindex(group["position_id"]).fillna(0.0).to_numpy()
        held = posts.reindex(group["position_id"]).reset_index(drop=True)
        fit = truth.gains(
            group["employee_id"].to_numpy(),
            int(year),
            required,
            catalogue,
            audience_matrix(held, catalogue),
        )
        gains.append(fit["fit_gain"][:, column])
    found = np.concatenate(gains)
    found = found[~np.isnan(found)]
    # the score moves SCORE_SCALE points per unit of performance, which moves
    # PERFORMANCE_FIT_WEIGHT per unit of fit to the post (the generator's own constants)
    return float(appraisal.SCORE_SCALE * mechanisms.PERFORMANCE_FIT_WEIGHT * found.mean())


def compare_with_truth(table: pd.DataFrame) -> dict[str, float]:
    """How far the estimates are from the hidden truth (rows with a known true effect): mean
    absolute error (and the naive comparison's, to show what the adjustment buys), mean error,
    how often the 95% interval holds the true effect (about 0.95 when the method works), the
    correlation of the estimates (and the naive ones) with the truth, and the means."""
    known_truth = table.dropna(subset=["true_effect"]) if "true_effect" in table else table[:0]
    if known_truth.empty:
        return {"estimates": 0.0}
    truth = known_truth["true_effect"]
    error = known_truth["effect"] - truth
    inside = (known_truth["low"] <= truth) & (truth <= known_truth["high"])
    return {
        "estimates": float(len(known_truth)),
        "mae": float(error.abs().mean()),
        "naive_mae": float((known_truth["naive"] - truth).abs().mean()),
        "bias": float(error.mean()),
        "coverage": float(inside.mean()),
        "correlation": float(known_truth["effect"].corr(truth)),
        "naive_correlation": float(known_truth["naive"].corr(truth)),
        "mean_true_effect": float(truth.mean()),
        "mean_estimate": float(known_truth["effect"].mean()),
        "median_interval": float((known_truth["high"] - known_truth["low"]).median()),
    }
