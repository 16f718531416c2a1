"""Evaluate recommenders on a held-out cycle: overall, per position family and per agency.

All recommenders score the same `Batch` (the people active on 1 January of the test cycle, the
same candidates); the relevant courses are those the person started during the cycle among
their candidates. With a synthetic dataset's truth, each list is also scored on what it would
really do (`training.truth`): the mean true gain in fit to the current post of the top 5
(``true_fit_gain@5``, the headline) and the mean true rise in competency levels
(``true_competency_gain@5``).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from features.asof.ages import age_band
from features.asof.course_pairs import audience_matrix, pair_matrix
from features.asof.frame import block
from features.asof.records import Records
from training.courses.batch import Batch, build_batch
from training.courses.model import TrainingRecommender, combine, first_stage
from training.fairness import selection_rates
from training.metrics import per_row_metrics, summarise, top_k
from training.split import TemporalSplit, labels, spine
from training.truth import Truth

#: Slices with fewer people than this are reported but flagged as too small to read.
MIN_SLICE = 30
#: The fairness audit asks who is offered, among their first `FAIRNESS_K` suggestions, a
#: leadership course (PKP, PKA, PKN: the training that structural posts require); the same
#: question of the historical record is who started one in the test cycle. Managerial courses
#: are left out: nearly everyone is offered one, so they tell groups apart poorly.
FAIRNESS_K = 5
ADVANCING_KINDS = ("leadership",)
FAIRNESS_ATTRIBUTES = ["sex", "age_band"]


class Scorer(Protocol):
    name: str

    def scores(self, batch: Batch) -> np.ndarray: ...


@dataclass
class EvaluationReport:
    """Metrics per model: overall, per position family, per agency (one row per model)."""

    test_year: int
    overall: pd.DataFrame
    by_family: pd.DataFrame
    by_agency: pd.DataFrame
    rows: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    #: selection rates and impact ratios by sex and age band (`fairness`); empty without
    #: the protected attributes
    fairness: pd.DataFrame = field(default_factory=pd.DataFrame)

    def metric(self, model: str, name: str) -> float:
        return float(self.overall.at[model, name])  # type: ignore[arg-type]


def test_batch(
    records: Records, split: TemporalSplit, people: int | None = None, seed: int = 0
) -> Batch:
    """The held-out cycle's batch (optionally a random sample of `people`, for speed)."""
    frame = spine(records, split.test_year)
    if people is not None and len(frame) > people:
        frame = frame.sample(people, random_state=seed).reset_index(drop=True)
    return build_batch(records, frame)


def evaluate(
    models: Sequence[Scorer],
    batch: Batch,
    records: Records,
    test_year: int,
    truth: Truth | None = None,
    protected: pd.DataFrame | None = None,
) -> EvaluationReport:
    """Score every model on `batch`; relevance = courses started in `test_year`. With
    `protected` (sex and birth date by employee), the fairness audit too (`fairness`)."""
    started = pair_matrix(batch.employee_ids, batch.catalogue.ids, labels(records, test_year))
    relevant = started & batch.allowed
    gains = true_gains(batch, test_year, truth) if truth is not None else None
    overall, families, agencies, rows = {}, [], [], {}
    advancing = batch.catalogue.courses["kind"].isin(ADVANCING_KINDS).to_numpy()
    # who is offered a career-opening course; "historical": who really started one
    offered: dict[str, np.ndarray] = {"historical": np.any(started & advancing, axis=1)}
    for model in models:
        scores = model.scores(batch)
        per_row = per_row_metrics(relevant, scores, batch.allowed, gains)
        top10 = top_k(scores, batch.allowed, 10)
        top5 = top10[:, :FAIRNESS_K]
        offered[model.name] = np.any((top5 >= 0) & advancing[np.maximum(top5, 0)], axis=1)
        overall[model.name] = summarise(per_row, top10, len(batch.catalogue.ids))
        per_row = per_row.assign(
            family=batch.frame["family"].to_numpy(), agency=batch.frame["agency_id"].to_numpy()
        )
        families.append(_slices(per_row, "family", model.name))
        agencies.append(_slices(per_row, "agency", model.name))
        rows[model.name] = per_row
    return EvaluationReport(
        test_year,
        pd.DataFrame(overall).T,
        pd.concat(families, ignore_index=True),
        pd.concat(agencies, ignore_index=True),
        rows,
        offer_rates(offered, batch, protected, test_year)
        if protected is not None
        else pd.DataFrame(),
    )


def true_gains(batch: Batch, test_year: int, truth: Truth) -> dict[str, np.ndarray]:
    """The hidden truth's gains of every course for everyone in `batch` (computed once per
    batch: the trade-off table asks again for the same people)."""
    key = ("true_gains", test_year, id(truth))
    if key not in batch.memo:
        required = block(batch.frame, "required")
        audience = audience_matrix(batch.frame, batch.catalogue)
        batch.memo[key] = truth.gains(
            batch.employee_ids, test_year, required, batch.catalogue, audience
        )
    return batch.memo[key]  # type: ignore[return-value]


def smallest_impact_ratio(table: pd.DataFrame) -> float:
    """The lowest impact ratio among groups large enough to read (`MIN_SLICE` people or more,
    "unknown" left out); NaN when nobody in them was selected."""
    readable = table[(table["candidates"] >= MIN_SLICE) & (table["group"] != "unknown")]
    return float(readable["impact_ratio"].min()) if len(readable) else float("nan")


def offer_rates(
    offered: dict[str, np.ndarray], batch: Batch, protected: pd.DataFrame, test_year: int
) -> pd.DataFrame:
    """Per model (and the historical starts): the share of each group offered a course that
    opens a structural career, and the impact ratios (four-fifths rule, `training.fairness`)."""
    as_of = pd.Timestamp(year=test_year, month=1, day=1)
    people = protected.reindex(batch.employee_ids)
    groups = pd.DataFrame(
        {
            "sex": people["sex"].to_numpy(),
            "age_band": age_band(people["birth_date"], as_of).to_numpy(),
        }
    )
    tables = [
        selection_rates(groups, pd.Series(selected), FAIRNESS_ATTRIBUTES).assign(
            model=name, k=FAIRNESS_K
        )
        for name, selected in offered.items()
    ]
    return pd.concat(tables, ignore_index=True)


def _slices(per_row: pd.DataFrame, key: str, model: str) -> pd.DataFrame:
    metrics = [c for c in per_row.columns if "@" in c]
    grouped = per_row.groupby(key)
    out = grouped[metrics].mean()
    out["people"] = grouped.size()
    out["small"] = out["people"] < MIN_SLICE
    return out.reset_index().assign(model=model)


def improvement(report: EvaluationReport, model: str, metric: str) -> pd.Series:
    """Relative difference of `model` over every other model on `metric` (0.2 = 20% better)."""
    values = report.overall[metric]
    return (values[model] / values.drop(model) - 1.0).rename(f"{metric} gain of {model}")


def target_check(report: EvaluationReport, model: str = "learned") -> dict[str, object]:
    """The issue's target: true gain ≥ 1.2 × every baseline's, NDCG@10 ≥ the best baseline's."""
    others = report.overall.drop(model)
    out: dict[str, object] = {
        "ndcg_ok": bool(report.metric(model, "ndcg@10") >= others["ndcg@10"].max()),
        "best_baseline_ndcg": float(others["ndcg@10"].max()),
    }
    if "true_fit_gain@5" in report.overall:
        best = float(others["true_fit_gain@5"].max())
        out["best_baseline_true_gain"] = best
        ratio = report.metric(model, "true_fit_gain@5") / best if best else float("nan")
        out["true_gain_ratio"] = ratio
        out["gain_ok"] = bool(ratio >= 1.2)
    return out


def tradeoff(
    recommender: TrainingRecommender,
    batch: Batch,
    records: Records,
    test_year: int,
    truth: Truth | None,
    weights: Sequence[float] = (0.0, 0.5, 0.7, 0.8, 0.9, 1.0),
) -> pd.DataFrame:
    """NDCG and true gain of the learned lists for several gain weights (same fitted parts).

    Documents the choice of `gain_rank_weight`: more weight on expected gain helps more, but
    lists drift from what people take up. Nothing is chosen here from the truth.
    """
    parts = recommender.components(batch)  # scored once; only the list's blend changes
    variants = []
    for weight in weights:
        config = dataclasses.replace(recommender.config, gain_rank_weight=weight)
        variants.append(Fixed(str(weight), combine(parts, batch.allowed, config)))
    overall = evaluate(variants, batch, records, test_year, truth).overall
    overall.index = pd.Index(list(weights), name="gain_rank_weight")
    return overall


def first_stage_recall(
    recommender: TrainingRecommender, batch: Batch, people: int = 2000, seed: int = 0
) -> float:
    """Of the courses in the top 10 when the uptake model scores every course, the share the
    first stage keeps (`training.courses.model.first_stage`), on a sample of `people`."""
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(batch.frame), dtype=bool)
    chosen[rng.choice(len(chosen), min(people, len(chosen)), replace=False)] = True
    sample = batch.subset(chosen)
    everything = copy.copy(recommender)
    everything.config = dataclasses.replace(recommender.config, candidates=0)
    parts = everything.components(sample)
    top = top_k(combine(parts, sample.allowed, everything.config), sample.allowed, 10)
    gain = parts.gain_current + recommender.config.next_step_weight * parts.gain_next
    kept = first_stage(sample, gain, recommender.config)
    listed = top >= 0
    person = np.broadcast_to(np.arange(len(top))[:, None], top.shape)
    return float(kept[person[listed], top[listed]].mean()) if listed.any() else float("nan")


class Fixed:
    """Scores already computed for a batch, as a `Scorer`."""

    def __init__(self, name: str, values: np.ndarray) -> None:
        self.name = name
        self.values = values

    def scores(self, batch: Batch) -> np.ndarray:
        return self.values


def level_errors(
    recommender: TrainingRecommender, batch: Batch, test_year: int, truth: Truth
) -> dict[str, float]:
    """RMSE against the true levels, on the competencies of each person's standard, of the
    learned estimates and of the family-mean imputation the baselines use."""
    true = truth.levels_before(batch.employee_ids, test_year)
    inside = block(batch.frame, "required") > 0
    measured = ~np.isnan(block(batch.frame, "level")) & inside
    estimated = recommender.components(batch).levels
    imputed = block(batch.imputed(), "level")

    def rmse(levels: np.ndarray, mask: np.ndarray) -> float:
        return float(np.sqrt(np.nanmean(((levels - true) ** 2)[mask])))

    return {
        "level_rmse_estimated": rmse(estimated, inside),
        "level_rmse_family_mean": rmse(imputed, inside),
        "level_rmse_estimated_unmeasured": rmse(estimated, inside & ~measured),
        "level_rmse_family_mean_unmeasured": rmse(imputed, inside & ~measured),
    }
