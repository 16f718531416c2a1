"""Placement plans: many vacancies at once, each person at most one post, eligible people only.

Given a score for every (vacancy, candidate) pair — the predicted success of the placement — and
the eligibility mask, the plan maximises the total score with scipy's assignment solver
(`linear_sum_assignment`, the Hungarian method's modern form) instead of filling vacancies one
after another. Filling them greedily (each vacancy takes its best remaining candidate) is the
comparison: the solver's total is never lower, and is higher whenever two vacancies want the same
person. A vacancy nobody eligible can fill stays empty and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

#: Stands for "may not be placed here"; far below any real score.
FORBIDDEN = -1e9
#: The score of leaving a vacancy open (slightly below placing someone with score 0).
OPEN_COST = 1e-9


@dataclass(frozen=True)
class Plan:
    """Who goes where (one row per filled vacancy), the total, and the vacancies left open."""

    assignments: pd.DataFrame  # vacancy, candidate, score
    total: float
    unfilled: list[str]


def placement_plan(
    scores: np.ndarray, eligible: np.ndarray, vacancies: list[str], candidates: list[str]
) -> Plan:
    """Maximise the total score over vacancies (rows) × candidates (columns)."""
    _check(scores, eligible, vacancies, candidates)
    masked = np.where(eligible, scores, FORBIDDEN)
    # each vacancy may also stay open (its own extra column), so a vacancy that cannot be filled
    # well never pushes another away from its best candidate; open costs a hair more than any
    # eligible placement of the same score
    stay_open = np.full((len(vacancies), len(vacancies)), FORBIDDEN)
    np.fill_diagonal(stay_open, -OPEN_COST)
    rows, cols = linear_sum_assignment(np.hstack([masked, stay_open]), maximize=True)
    keep = cols < len(candidates)
    rows, cols = rows[keep], cols[keep]
    keep = eligible[rows, cols]
    return _plan(scores, rows[keep], cols[keep], vacancies, candidates)


def greedy_plan(
    scores: np.ndarray, eligible: np.ndarray, vacancies: list[str], candidates: list[str]
) -> Plan:
    """Vacancy by vacancy, in the given order, the best eligible candidate not yet placed."""
    _check(scores, eligible, vacancies, candidates)
    taken = np.zeros(len(candidates), dtype=bool)
    rows: list[int] = []
    cols: list[int] = []
    for v in range(len(vacancies) if len(candidates) else 0):
        options = np.where(eligible[v] & ~taken, scores[v], -np.inf)
        best = int(np.argmax(options))
        if np.isfinite(options[best]):
            rows.append(v)
            cols.append(best)
            taken[best] = True
    return _plan(scores, np.array(rows, int), np.array(cols, int), vacancies, candidates)


def _plan(
    scores: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    vacancies: list[str],
    candidates: list[str],
) -> Plan:
    assignments = pd.DataFrame(
        {
            "vacancy": [vacancies[r] for r in rows],
            "candidate": [candidates[c] for c in cols],
            "score": scores[rows, cols],
        }
    )
    filled = set(assignments["vacancy"])
    return Plan(
        assignments, float(assignments["score"].sum()), [v for v in vacancies if v not in filled]
    )


def _check(
    scores: np.ndarray, eligible: np.ndarray, vacancies: list[str], candidates: list[str]
) -> None:
    if scores.shape != (len(vacancies), len(candidates)) or eligible.shape != scores.shape:
        raise ValueError(
            f"scores {scores.shape} and eligibility {eligible.shape} must both be "
            f"vacancies × candidates ({len(vacancies)} × {len(candidates)})"
        )
    if not np.isfinite(scores[eligible]).all():
        raise ValueError("every eligible pair needs a finite score")
