"""External check of the competency-fit code on real data: O*NET 29.3 (USDOL/ETA, CC BY 4.0).

Each O*NET occupation is treated as a position whose standard is its Skills and Knowledge
levels (scale LV, 0–7), weighted by their importance (scale IM, 1–5; weight IM − 1 so an element
of no importance does not count). A person in occupation A holds A's levels. For every A, all
other occupations are ranked by the fit of A's levels to their standard, computed with
`features.asof.fit.competency_fit` — the code the product uses — and the ranking is compared with
O*NET's related occupations (or any CSV of source → target pairs): recall@10 and MRR, beside
plain cosine similarity of the importance vectors on the same pairs.

Attribution: "O*NET 29.3 Database, USDOL/ETA, used under CC BY 4.0".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.asof.fit import competency_fit

CODE = "O*NET-SOC Code"


@dataclass(frozen=True)
class Profiles:
    """Occupations (rows) × elements (columns): level and importance."""

    codes: np.ndarray
    level: np.ndarray
    importance: np.ndarray


def load_profiles(folder: Path) -> Profiles:
    """Skills and Knowledge levels and importances of every occupation that has both."""
    frames = []
    for name in ("skills.csv", "knowledge.csv"):
        path = Path(folder) / name
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: --onet-dir must hold O*NET 29.3 CSV files")
        frames.append(pd.read_csv(path, usecols=[CODE, "Element ID", "Scale ID", "Data Value"]))
    data = pd.concat(frames)
    wide = data.pivot_table(index=CODE, columns=["Scale ID", "Element ID"], values="Data Value")
    wide = wide.dropna()
    return Profiles(
        codes=wide.index.to_numpy(),
        level=wide["LV"].to_numpy(dtype=float),
        importance=wide["IM"].to_numpy(dtype=float),
    )


def related_pairs(folder: Path, truth: Path | None = None) -> pd.DataFrame:
    """(source, target) pairs: O*NET's related occupations, or a CSV given by the user."""
    if truth is not None:
        pairs = pd.read_csv(truth)
        if pairs.shape[1] < 2:
            raise ValueError(f"{truth}: needs two columns (source code, target code)")
        return pairs.iloc[:, :2].set_axis(["source", "target"], axis=1)
    related = pd.read_csv(Path(folder) / "related_occupations.csv")
    return related[[CODE, "Related O*NET-SOC Code"]].set_axis(["source", "target"], axis=1)


def fit_scores(profiles: Profiles) -> np.ndarray:
    """Occupations × occupations: fit of the row occupation's levels to the column's standard."""
    weights = np.clip(profiles.importance - 1.0, 0.0, None)
    out = np.empty((len(profiles.codes), len(profiles.codes)))
    for j in range(len(profiles.codes)):
        fit = competency_fit(profiles.level, profiles.level[j], weights=weights[j])
        out[:, j] = fit.score
    return out


def cosine_scores(profiles: Profiles) -> np.ndarray:
    unit = profiles.importance / np.linalg.norm(profiles.importance, axis=1, keepdims=True)
    return unit @ unit.T


def ranking_metrics(
    scores: np.ndarray, profiles: Profiles, pairs: pd.DataFrame
) -> dict[str, float]:
    """recall@10 and MRR of each source's ranking of the other occupations."""
    index = {code: i for i, code in enumerate(profiles.codes)}
    pairs = pairs[pairs["source"].isin(index) & pairs["target"].isin(index)]
    scores = scores.copy()
    np.fill_diagonal(scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(len(order))[:, None], order] = np.arange(order.shape[1])[None, :]
    recalls, reciprocal = [], []
    for source, group in pairs.groupby("source"):
        i = index[source]
        ranks = rank[i, [index[t] for t in group["target"]]]
        recalls.append(float((ranks < 10).mean()))
        reciprocal.append(1.0 / (1 + ranks.min()))
    if not recalls:
        raise ValueError("no (source, target) pair names two occupations with profiles")
    return {
        "recall@10": float(np.mean(recalls)),
        "mrr": float(np.mean(reciprocal)),
        "sources": float(len(recalls)),
    }


def onet_check(folder: Path, truth: Path | None = None) -> pd.DataFrame:
    """The product's fit and plain cosine on the same pairs (rows: method).

    One-way fit answers "can a person from A do B" (shortfall only weighs): it ranks the
    occupations A over-qualifies for first, which are rarely the related ones. Two-way fit
    (A's levels to B's standard plus B's to A's) answers "do A and B fit each other", what a
    lateral move needs.
    """
    profiles = load_profiles(folder)
    pairs = related_pairs(folder, truth)
    fit = fit_scores(profiles)
    return pd.DataFrame(
        {
            "competency fit, one way (product)": ranking_metrics(fit, profiles, pairs),
            "competency fit, two way (product)": ranking_metrics(fit + fit.T, profiles, pairs),
            "cosine of importance (reference)": ranking_metrics(
                cosine_scores(profiles), profiles, pairs
            ),
        }
    ).T
