"""Ranking candidates for posts with any `Scorer`: the eligible people of a `View`, best first,
with the rules they fail and the date they would pass; and the score matrix of many posts that
a placement plan solves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from features.asof.post_pairs import Post
from features.view import View, candidate_rows

log = logging.getLogger(__name__)


class Scorer(Protocol):
    """Anything that scores candidate pairs (higher = better placement)."""

    name: str

    def score(self, pairs: pd.DataFrame) -> np.ndarray: ...


def rank_candidates(
    view: View,
    post: Post,
    scorer: Scorer,
    k: int = 10,
    include_ineligible: bool = False,
    among: np.ndarray | None = None,
) -> pd.DataFrame:
    """The `k` best candidates for `post` among everyone in `view` (or those `among` marks):
    eligible ones only unless `include_ineligible`, the holder of the post left out. Failed
    rules are a list of rule ids; reasons (a list of dicts) come from scorers that give them."""
    result = view.post_eligibility(post.position_id, post.family)  # a post's profession too
    rows = candidate_rows(view, post, include_ineligible, among)  # features for these only
    pairs = view.pairs_at(post, rows)
    scores = scorer.score(pairs) if len(rows) else np.array([])
    order = np.argsort(-scores, kind="stable")[:k]
    top, best = rows[order], scores[order]
    failed = result.failed.iloc[top]
    names = np.array(failed.columns, dtype=object)
    eligible_from = result.eligible_from.iloc[top]
    return pd.DataFrame(
        {
            "position_id": post.position_id,
            "rank": np.arange(1, len(top) + 1),
            "employee_id": view.frame.index[top].to_numpy(dtype=object),
            "score": best,
            "fit_score": pairs["fit_score"].to_numpy()[order],
            "eligible": result.eligible.to_numpy(dtype=bool)[top],
            "failed_rules": [list(names[row]) for row in failed.to_numpy(dtype=bool)],
            "eligible_from": [
                "" if pd.isna(date) else pd.Timestamp(date).date().isoformat()
                for date in eligible_from
            ],
            "talent_box": view.frame["talent_box"].to_numpy(dtype=float)[top],
            "rating_last": view.frame["rating_last"].to_numpy(dtype=float)[top],
            "reasons": _reasons(scorer, pairs.iloc[order]),
        }
    )


def _reasons(scorer: Scorer, pairs: pd.DataFrame) -> list[list[dict[str, object]]]:
    explain = getattr(scorer, "reasons", None)
    return explain(pairs) if explain is not None and len(pairs) else [[] for _ in range(len(pairs))]


@dataclass(frozen=True)
class VacancyMatrix:
    """Scores of every candidate for every vacancy, and who may be placed where."""

    scores: np.ndarray  # vacancies × candidates
    eligible: np.ndarray  # vacancies × candidates, bool
    vacancies: list[str]
    candidates: list[str]


def vacancy_matrix(view: View, posts: list[Post], scorer: Scorer) -> VacancyMatrix:
    """The input of a placement plan (`features.planning.plans`): candidates are everyone
    eligible for at least one of the posts; a post's own holder is never a candidate for it."""
    eligible_rows = np.zeros(len(view.frame), dtype=bool)
    for family in {post.family for post in posts}:
        eligible_rows |= view.eligibility(family).eligible.to_numpy(dtype=bool)
    rows = np.flatnonzero(eligible_rows)
    scores = np.zeros((len(posts), len(rows)))
    allowed = np.zeros((len(posts), len(rows)), dtype=bool)
    for i, post in enumerate(posts):
        if len(rows):
            scores[i] = scorer.score(view.pairs_at(post, rows))
        allowed[i] = np.isin(rows, candidate_rows(view, post))
    return VacancyMatrix(
        scores,
        allowed,
        [post.position_id for post in posts],
        [str(x) for x in view.frame.index[rows]],
    )
