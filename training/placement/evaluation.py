"""Evaluate placement scorers on a held-out round: observable metrics, true success, fairness.

Each vacancy of the test year (a promotion into a structural post) has a candidate pool. With a
generated dataset it is the pool the historical decision was made from
(`truth/placement_candidates`: everyone eligible in the post's agency and a sample from outside);
on real data, where no pool is recorded, it is everyone eligible under the rules in the post's
agency, a seeded sample of the eligible elsewhere, and the person placed. Scorers rank the whole
pool; suggestions are the top-ranked *eligible* candidates.

Metrics per scorer:
- ``ndcg@10``: over vacancies whose placed person succeeded (observed SKP), NDCG@10 of that one
  relevant candidate — how high the scorer puts a placement that worked;
- ``auc``: AUC of the score against the observed success of the people placed;
- ``true_success@1`` / ``@5``: the true success probability of the top-1 / mean of the top-5
  eligible suggestions, per vacancy, averaged — against ``historical`` (the person actually
  placed), ``random_eligible`` (the pool's eligible mean) and ``oracle`` (the best eligible),
  all over the same vacancies (those with at least one eligible candidate).
Fairness: selection rates of the top-1 and top-5 suggestions and of the historical choice by
sex and age band, all over the same candidates (the whole pools), with impact ratios.

Calibration (`calibration_report`, for scorers whose score is a probability of success): over
the people placed whose outcome is known, the Brier score against the observed label, the mean
predicted success against the observed rate, and a reliability table by decile of predicted
success, each decile's observed rate against the range a calibrated model's would lie in
(`CALIBRATION_Z`); with a generated
dataset, also against the hidden truth: the true success probability of the placed and of the
top suggestions, and the Brier score against the hidden success draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binom, norm
from sklearn.metrics import brier_score_loss, matthews_corrcoef, roc_auc_score

from features.asof.ages import age_band
from features.asof.post_pairs import Post
from features.asof.records import Records
from features.planning.ranking import Scorer
from features.view import View, build_view, candidate_rows, post_of
from training.fairness import selection_rates
from training.placement.model import observed_success, placement_events
from training.split import cycle_start
from training.truth import PlacementTruth

#: Without a recorded pool: eligible people from other agencies sampled per vacancy.
OUTSIDE_SAMPLE = 200
FAIRNESS_ATTRIBUTES = ["sex", "age_band"]

#: Groups of the reliability table: deciles of predicted success among the people placed.
RELIABILITY_BINS = 10

#: How far a decile's observed success rate may lie from its mean predicted success: within
#: the range that holds the observed rate of a calibrated decile (n placements at the decile's
#: mean prediction p) as often as three standard errors of a normal do, 99.73% of the time —
#: computed from the binomial distribution Binomial(n, p), since near p = 0.95 the failures are
#: too few for the normal approximation. That is the noise of a calibrated model's deciles,
#: which is all that can be asked of the hundred or two placements of a round. Three, not two:
#: ten deciles are checked at once, and at two a calibrated model would miss somewhere in about
#: one round of three (1 - 0.954^10); at three, in one of forty at most. A decile of the
#: province's test round holds about 20 placements: at a predicted 0.9 its observed rate may
#: lie anywhere from 0.65 to 1, at 0.6 from 0.25 to 0.90 — a decile can reveal gross
#: miscalibration only. The same range over all the placements of the round is narrow (about
#: 0.80–0.94 around 0.87 for 200) and is checked too.
CALIBRATION_Z = 3.0


@dataclass
class Round:
    """One year's vacancies with their pools (one row per vacancy × candidate) and features."""

    year: int
    view: View
    events: pd.DataFrame  # vacancy, employee_id, position_id, family, success (observed)
    pools: pd.DataFrame  # vacancy, employee_id, family, eligible, placed, true_p
    pairs: pd.DataFrame  # candidate features, aligned with pools


@dataclass
class PlacementReport:
    overall: pd.DataFrame  # rows: scorers and references; columns: metrics
    by_family: pd.DataFrame
    fairness: pd.DataFrame
    vacancies: int
    #: how well the observable label (SKP ≥ Baik) tracks the generator's hidden success draw
    label_check: dict[str, float] = field(default_factory=dict)
    #: per probability scorer (rows): Brier score, mean predicted against observed... (see
    #: `calibration_report`); empty until computed
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per probability scorer and decile of predicted success: the reliability table
    reliability: pd.DataFrame = field(default_factory=pd.DataFrame)


def test_round(
    records: Records,
    year: int,
    birth_dates: pd.Series,
    truth: PlacementTruth | None = None,
    seed: int = 0,
) -> Round:
    """The vacancies filled in `year`, with pools, eligibility and features at 1 January."""
    view = build_view(records, cycle_start(year), birth_dates)
    events = placement_events(records, [year])
    events["success"] = observed_success(records, events)
    if truth is not None:
        drawn = truth.placed.set_index("vacancy")["success"].astype(float)
        events["true_success"] = events["vacancy"].map(drawn)
    events = events[events["employee_id"].isin(view.frame.index)].reset_index(drop=True)
    if events.empty:
        raise ValueError(f"no placements into structural posts in {year} to evaluate on")
    rng = np.random.default_rng(seed)
    pools, pairs = [], []
    for event in events.to_dict("records"):
        post = post_of(records, event["position_id"], view.standards)
        people = _pool(view, post, event, truth, rng)
        eligible = people.isin(view.frame.index[candidate_rows(view, post)])
        pool = pd.DataFrame(
            {
                "vacancy": event["vacancy"],
                "employee_id": people,
                "family": event["family"],
                "eligible": eligible,
                "placed": people == event["employee_id"],
            }
        )
        if truth is not None:
            pool["true_p"] = truth.success_probability(people.to_numpy(), year, post.required)
        pools.append(pool)
        pairs.append(view.pairs(post, people))
    return Round(
        year,
        view,
        events,
        pd.concat(pools, ignore_index=True),
        pd.concat(pairs, ignore_index=True),
    )


def _pool(
    view: View,
    post: Post,
    event: dict,
    truth: PlacementTruth | None,
    rng: np.random.Generator,
) -> pd.Index:
    """The candidate pool of one vacancy (see the module docstring), placed person included."""
    if truth is not None:
        recorded = truth.pools.loc[truth.pools["vacancy"] == event["vacancy"], "employee_id"]
        people = pd.Index(recorded).intersection(view.frame.index, sort=False)
    else:
        eligible = view.frame.index[candidate_rows(view, post)]
        inside = view.frame.loc[eligible, "agency_id"].to_numpy() == post.agency_id
        outside = eligible[~inside]
        if len(outside) > OUTSIDE_SAMPLE:
            outside = pd.Index(rng.choice(outside, OUTSIDE_SAMPLE, replace=False))
        people = eligible[inside].append(outside)
    if event["employee_id"] not in people:
        people = people.append(pd.Index([event["employee_id"]]))
    # a random order: ranks break ties by position, and the placed person must not sit last
    return people[rng.permutation(len(people))]


def evaluate_placements(
    scorers: Sequence[Scorer], test: Round, protected: pd.DataFrame | None = None
) -> PlacementReport:
    """Every scorer on the same round; references from the truth when the round has it."""
    pools = test.pools.copy()
    success = test.events.set_index("vacancy")["success"]
    pools["success"] = pools["vacancy"].map(success).where(pools["placed"])
    has_truth = "true_p" in pools.columns
    rows, families, selections = {}, [], []
    for scorer in scorers:
        scored = pools.assign(score=scorer.score(test.pairs))
        scored = _ranked(scored)
        rows[scorer.name] = _metrics(scored, has_truth)
        families.append(_by_family(scored, has_truth).assign(model=scorer.name))
        for k in (1, 5):
            selections.append(
                (scorer.name, k, scored, scored["eligible"] & (scored["eligible_rank"] <= k))
            )
    if has_truth:
        rows |= _references(pools)
    selections.append(("historical", 1, pools, pools["placed"]))
    fairness = _fairness(selections, protected, test.view.as_of) if protected is not None else None
    overall = pd.DataFrame(rows).T
    overall.index.name = "model"
    return PlacementReport(
        overall,
        pd.concat(families, ignore_index=True),
        fairness if fairness is not None else pd.DataFrame(),
        int(pools["vacancy"].nunique()),
        _label_check(test.events),
    )


def _label_check(events: pd.DataFrame) -> dict[str, float]:
    """Agreement of the observed success label with the true success draw (generated data)."""
    if "true_success" not in events:
        return {}
    both = events.dropna(subset=["success", "true_success"])
    if both.empty:
        return {}
    return {
        "label_mcc": float(matthews_corrcoef(both["true_success"], both["success"])),
        "label_positive_share": float(both["success"].mean()),
        "true_success_share": float(both["true_success"].mean()),
    }


def _ranked(scored: pd.DataFrame) -> pd.DataFrame:
    """Rank within each vacancy (1 = best): over the whole pool, and among the eligible."""
    order = scored.sort_values(["vacancy", "score"], ascending=[True, False], kind="stable")
    order["rank"] = order.groupby("vacancy").cumcount() + 1
    eligible_rank = order[order["eligible"]].groupby("vacancy").cumcount() + 1
    order["eligible_rank"] = eligible_rank.reindex(order.index)
    return order.sort_index()


def _metrics(scored: pd.DataFrame, has_truth: bool) -> dict[str, float]:
    placed = scored[scored["placed"]]
    good = placed[placed["success"] == 1.0]
    gains = np.where(good["rank"] <= 10, 1.0 / np.log2(good["rank"] + 1.0), 0.0)
    known = placed[placed["success"].notna()]
    out = {
        "ndcg@10": float(gains.mean()) if len(good) else float("nan"),
        "auc": _auc(known["success"], known["score"]),
        "vacancies": float(scored["vacancy"].nunique()),
    }
    if has_truth:
        top = scored[scored["eligible_rank"] <= 5]
        out["true_success@1"] = float(top.loc[top["eligible_rank"] == 1, "true_p"].mean())
        out["true_success@5"] = float(top.groupby("vacancy")["true_p"].mean().mean())
    return out


def _auc(labels: pd.Series, scores: pd.Series) -> float:
    return float(roc_auc_score(labels, scores)) if labels.nunique() == 2 else float("nan")


def _references(pools: pd.DataFrame) -> dict[str, dict[str, float]]:
    """What was actually done, a random eligible pick, and the best possible eligible pick —
    over the vacancies with an eligible candidate, as the suggestions' figures are."""
    eligible = pools[pools["eligible"]].groupby("vacancy")["true_p"]
    placed = pools[pools["placed"] & pools["vacancy"].isin(list(eligible.groups))]
    return {
        "historical": {"true_success@1": float(placed["true_p"].mean())},
        "random_eligible": {
            "true_success@1": float(eligible.mean().mean()),
            "true_success@5": float(eligible.mean().mean()),
        },
        "oracle": {"true_success@1": float(eligible.max().mean())},
    }


def _by_family(scored: pd.DataFrame, has_truth: bool) -> pd.DataFrame:
    rows = []
    for family, part in scored.groupby("family"):
        row = _metrics(part, has_truth)
        if has_truth:
            row["historical_true_success"] = float(part.loc[part["placed"], "true_p"].mean())
        rows.append({"family": family, **row})
    return pd.DataFrame(rows)


def _fairness(
    selections: list[tuple[str, int, pd.DataFrame, pd.Series]],
    protected: pd.DataFrame,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Selection rates and impact ratios by sex and age band, per scorer and k."""
    groups = pd.DataFrame(
        {"sex": protected["sex"], "age_band": age_band(protected["birth_date"], as_of)}
    )
    tables = []
    for name, k, frame, selected in selections:
        # the same candidates for every row (the whole pools): the rules exclude some people
        # from suggestions, and that is part of what a group experiences
        attributes = groups.reindex(frame["employee_id"]).set_index(frame.index)
        table = selection_rates(attributes, selected.reindex(frame.index), FAIRNESS_ATTRIBUTES)
        tables.append(table.assign(model=name, k=k))
    return pd.concat(tables, ignore_index=True)


def reliability(
    predicted: np.ndarray,
    observed: np.ndarray,
    truth: np.ndarray | None = None,
    bins: int = RELIABILITY_BINS,
) -> pd.DataFrame:
    """Placements in `bins` groups of equal size (to one) by predicted success, lowest first:
    how many, their mean predicted success, the share that succeeded, the range a calibrated
    decile's share falls in (``low``–``high``, `CALIBRATION_Z`), whether it does (``within``),
    the gap in standard errors (``z``) and, with `truth`, their mean true success
    probability."""
    predicted = np.asarray(predicted, dtype=float)
    observed = np.asarray(observed, dtype=float)
    rows = []
    for decile, rows_of in enumerate(np.array_split(np.argsort(predicted, kind="stable"), bins)):
        if not len(rows_of):
            continue
        row = agreement(predicted[rows_of], observed[rows_of])
        if truth is not None:
            row["true"] = float(np.mean(truth[rows_of]))
        rows.append({"decile": decile + 1, **row})
    return pd.DataFrame(rows)


def agreement(predicted: np.ndarray, observed: np.ndarray) -> dict[str, float]:
    """Mean predicted success against the observed rate: the range a calibrated model's rate
    would fall in (`CALIBRATION_Z`, from Binomial(n, mean predicted)), whether it does, and
    the gap in binomial standard errors."""
    n, mean, rate = len(predicted), float(predicted.mean()), float(observed.mean())
    tail = norm.sf(CALIBRATION_Z)  # each side
    error = float(np.sqrt(np.sum(predicted * (1 - predicted)))) / n
    gap = mean - rate
    z = gap / error if error > 0 else (0.0 if gap == 0 else float(np.copysign(np.inf, gap)))
    low, high = binom.ppf(tail, n, mean) / n, binom.isf(tail, n, mean) / n
    return {
        "placements": float(n),
        "predicted": mean,
        "observed": rate,
        "low": float(low),
        "high": float(high),
        "within": bool(low <= rate <= high),
        "z": z,
    }


def calibration_report(
    scorers: Sequence[Scorer], test: Round, bins: int = RELIABILITY_BINS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How well each scorer's probability of success agrees with what followed on the round:
    a summary per scorer and the reliability table (per scorer and decile).

    Observable, over the people placed whose SKP is known: ``brier`` (against SKP ≥ Baik),
    ``brier_reference`` (of a constant at the round's own success rate, known only in
    hindsight), ``mean_predicted`` against ``observed_rate`` with the gap in standard errors
    (``z``) and whether the rate is in the range of a calibrated model's (``within``, as for a
    decile), the largest decile gap (``max_decile_z``) and how many deciles are in their range
    (``deciles_within``). With the generator's truth: the
    placed people's mean true success probability (``mean_true``), the mean squared error of the
    prediction against it (``mse_true``), the Brier score against the hidden success draw
    (``brier_true_draw``), and the top eligible suggestion's predicted and true success averaged
    over vacancies (``top1_predicted``, ``top1_true``): what a planner would read, and what
    would really happen.
    """
    events = test.events.set_index("vacancy")
    known = test.pools["placed"] & test.pools["vacancy"].map(events["success"]).notna()
    rows = known.to_numpy()
    placed = test.pools[rows]
    observed = placed["vacancy"].map(events["success"]).to_numpy(dtype=float)
    has_truth = "true_p" in placed.columns
    truth = placed["true_p"].to_numpy(dtype=float) if has_truth else None
    summaries, tables = {}, []
    for scorer in scorers:
        scores = scorer.score(test.pairs)
        predicted = scores[rows]
        table = reliability(predicted, observed, truth, bins)
        tables.append(table.assign(model=scorer.name))
        overall = agreement(predicted, observed)
        rate = overall["observed"]
        summary = {
            "placements": overall["placements"],
            "brier": float(brier_score_loss(observed, predicted)),
            "brier_reference": rate * (1 - rate),
            "mean_predicted": overall["predicted"],
            "observed_rate": rate,
            "z": overall["z"],
            "within": float(overall["within"]),
            "max_decile_z": float(table["z"].abs().max()),
            "deciles_within": float(table["within"].sum()),
        }
        if truth is not None:
            summary |= _against_truth(scores, predicted, truth, placed, events, test.pools)
        summaries[scorer.name] = summary
    frame = pd.DataFrame(summaries).T
    frame.index.name = "model"
    return frame, pd.concat(tables, ignore_index=True)


def _against_truth(
    scores: np.ndarray,
    predicted: np.ndarray,
    truth: np.ndarray,
    placed: pd.DataFrame,
    events: pd.DataFrame,
    pools: pd.DataFrame,
) -> dict[str, float]:
    """The prediction against the generator's truth: of the placed, and of the top suggestion."""
    out = {
        "mean_true": float(truth.mean()),
        "mse_true": float(np.mean((predicted - truth) ** 2)),
    }
    if "true_success" in events:
        draw = placed["vacancy"].map(events["true_success"]).to_numpy(dtype=float)
        drawn = ~np.isnan(draw)
        if drawn.any():
            out["brier_true_draw"] = float(brier_score_loss(draw[drawn], predicted[drawn]))
    ranked = _ranked(pools.assign(score=scores))
    top = ranked[ranked["eligible_rank"] == 1]
    out["top1_predicted"] = float(top["score"].mean())
    out["top1_true"] = float(top["true_p"].mean())
    return out
