"""Ranking metrics on a held-out cycle: NDCG@k, recall@k, catalogue coverage, true gain.

Every recommender — baselines and learned model — produces a score matrix (people × courses)
and the same `allowed` mask; `top_k` turns it into lists and every metric reads those lists, so
all are compared on exactly the same candidates. NDCG is computed on the
binary relevance of the courses the person actually started in the cycle: `ndcg_at_k` is a
vectorised version of scikit-learn's `ndcg_score`, which a test keeps as the reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import ndcg_score

#: Score given to pairs that may not be recommended (far below any real score).
EXCLUDED = -1e12


def top_k(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k best allowed courses, best first (-1 pads short rows)."""
    masked = np.where(allowed, scores, -np.inf)
    k = min(k, scores.shape[1])
    part = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(masked, part, 1), axis=1, kind="stable")
    top = np.take_along_axis(part, order, 1)
    return np.where(np.isfinite(np.take_along_axis(masked, top, 1)), top, -1)


def ndcg_at_k(relevant: np.ndarray, top: np.ndarray, k: int = 10) -> np.ndarray:
    """Per-row NDCG@k of binary relevance for ranked lists `top` (NaN with nothing relevant).

    Vectorised; equal to `sklearn.metrics.ndcg_score` for untied scores (a test checks it).
    """
    top = top[:, :k]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.take_along_axis(relevant, np.clip(top, 0, None), 1) & (top >= 0)
    dcg = (gains * discount[: top.shape[1]]).sum(axis=1)
    ideal_count = np.minimum(relevant.sum(axis=1), k)
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[ideal_count]
    return np.where(ideal_count > 0, dcg / np.where(ideal > 0, ideal, 1.0), np.nan)


def sklearn_ndcg(relevant: np.ndarray, scores: np.ndarray, allowed: np.ndarray, k: int) -> float:
    """Mean NDCG@k by scikit-learn over rows with something relevant (the reference)."""
    rows = relevant.any(axis=1)
    masked = np.where(allowed, scores, EXCLUDED)[rows]
    return float(ndcg_score(relevant[rows].astype(float), masked, k=k))


def recall_at_k(relevant: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Per-row share of relevant courses found in the list (NaN when nothing is relevant)."""
    hits = np.take_along_axis(relevant, np.clip(top, 0, None), 1) & (top >= 0)
    count = relevant.sum(axis=1)
    return np.where(count > 0, hits.sum(axis=1) / np.maximum(count, 1), np.nan)


def coverage(top: np.ndarray, catalogue_size: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    return len(np.unique(top[top >= 0])) / catalogue_size


def mean_gain(gain: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Per-row mean true gain of the listed courses (NaN where the truth is unknown)."""
    values = np.take_along_axis(gain, np.clip(top, 0, None), 1)
    values = np.where(top >= 0, values, np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanmean(values, axis=1)


def per_row_metrics(
    relevant: np.ndarray,
    scores: np.ndarray,
    allowed: np.ndarray,
    gains: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Per person: ndcg@10, recall@10 and, with the truth, the true gains of the top 5."""
    top10 = top_k(scores, allowed, 10)
    out = pd.DataFrame(
        {
            "ndcg@10": ndcg_at_k(relevant, top10, 10),
            "recall@10": recall_at_k(relevant, top10),
        }
    )
    for name, gain in (gains or {}).items():
        out[f"true_{name}@5"] = mean_gain(gain, top10[:, :5])
    return out


def summarise(rows: pd.DataFrame, top10: np.ndarray, catalogue_size: int) -> dict[str, float]:
    """Means of the per-row metrics plus catalogue coverage of the top-10 lists."""
    summary = {name: float(rows[name].mean()) for name in rows.columns}
    summary["coverage@10"] = coverage(top10, catalogue_size)
    summary["people"] = float(len(rows))
    return summary
