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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import matthews_corrcoef, roc_auc_score

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
