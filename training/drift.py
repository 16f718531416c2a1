"""Drift of a new cycle against the previous one: are the people, the labels and the
catalogue the models will meet still like those they learned from?

- **Features.** The model features of everyone active on 1 January of each cycle
  (`features.asof.frame`). Per numeric feature: the population stability index (PSI) over the
  previous cycle's deciles, and the two-sample Kolmogorov–Smirnov statistic (scipy). Per
  categorical context column: the PSI over its categories. The usual reading of PSI, a
  convention rather than a rule: below 0.1 stable, 0.1–0.25 moderate, above 0.25 a real shift.
- **Labels.** The share of people who started a course in the cycle, and the share placed in
  a structural post.
- **Coverage.** Courses taken and positions filled in the new cycle that the previous one never
  saw: no model has evidence about them.

`drift_report` returns the tables; `write_drift_report` writes them as one HTML page with
charts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from features.asof.frame import EMPLOYEE_FEATURES, build_feature_frame
from features.asof.records import Records
from features.view import STRUCTURAL_FAMILIES
from training.html import embedded_figure, figure
from training.split import labels, spine

#: PSI above which a feature has shifted enough to look at before retraining (a convention).
PSI_SHIFT = 0.25
PSI_MODERATE = 0.1
#: Categorical context columns compared by their category shares.
CATEGORIES = ("family", "agency_id", "leadership_course")
#: Keeps empty bins from making the PSI infinite.
EPSILON = 1e-4


@dataclass(frozen=True)
class DriftReport:
    previous: int
    current: int
    features: pd.DataFrame  # feature, kind, psi, ks, mean_previous, mean_current, level
    labels: pd.DataFrame  # label, previous, current
    coverage: pd.DataFrame  # what, new, share_of_current


def psi(previous: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of `current` against `previous`, over the previous values'
    quantile bins (missing values left out)."""
    previous, current = previous[~np.isnan(previous)], current[~np.isnan(current)]
    if len(previous) == 0 or len(current) == 0:
        return float("nan")
    edges = np.unique(np.quantile(previous, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:  # one value only: compare the share at it
        expected = np.array([1.0])
        actual = np.array([np.mean(current == edges[0])])
    else:
        inner = edges[1:-1]
        expected = np.bincount(
            np.searchsorted(inner, previous, side="right"), minlength=len(edges) - 1
        )
        actual = np.bincount(
            np.searchsorted(inner, current, side="right"), minlength=len(edges) - 1
        )
        expected, actual = expected / expected.sum(), actual / actual.sum()
    return _index(expected, actual)


def category_psi(previous: pd.Series, current: pd.Series) -> float:
    """PSI over the categories' shares (missing counted as its own category)."""
    before = previous.fillna("∅").astype(str).value_counts(normalize=True)
    after = current.fillna("∅").astype(str).value_counts(normalize=True)
    both = before.index.union(after.index)
    return _index(
        before.reindex(both).fillna(0).to_numpy(), after.reindex(both).fillna(0).to_numpy()
    )


def _index(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = np.clip(expected, EPSILON, None), np.clip(actual, EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def drift_report(records: Records, current: int, previous: int | None = None) -> DriftReport:
    """Cycle `current` against `previous` (default: the cycle before)."""
    previous = previous if previous is not None else current - 1
    frames = {}
    for year in (previous, current):
        people = spine(records, year)
        if people.empty:
            raise ValueError(f"nobody is active on 1 January {year} in these records")
        frames[year] = build_feature_frame(people, records)
    before, after = frames[previous], frames[current]
    rows = []
    for name in EMPLOYEE_FEATURES:
        a = pd.to_numeric(before[name], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(after[name], errors="coerce").to_numpy(dtype=float)
        known_a, known_b = a[~np.isnan(a)], b[~np.isnan(b)]
        ks = ks_2samp(known_a, known_b).statistic if len(known_a) and len(known_b) else np.nan
        rows.append(
            {
                "feature": name,
                "kind": "numeric",
                "psi": psi(a, b),
                "ks": float(ks),
                "mean_previous": float(np.nanmean(a)) if len(known_a) else np.nan,
                "mean_current": float(np.nanmean(b)) if len(known_b) else np.nan,
            }
        )
    for name in CATEGORIES:
        rows.append(
            {"feature": name, "kind": "category", "psi": category_psi(before[name], after[name])}
        )
    features = pd.DataFrame(rows)
    features["level"] = np.select(
        [features["psi"] > PSI_SHIFT, features["psi"] > PSI_MODERATE],
        ["shift", "moderate"],
        default="stable",
    )
    return DriftReport(
        previous,
        current,
        features.sort_values("psi", ascending=False, ignore_index=True),
        _label_rates(records, before, after, previous, current),
        _coverage(records, previous, current),
    )


def _label_rates(
    records: Records, before: pd.DataFrame, after: pd.DataFrame, previous: int, current: int
) -> pd.DataFrame:
    def started(frame: pd.DataFrame, year: int) -> float:
        takers = set(labels(records, year)["employee_id"])
        return float(frame["employee_id"].isin(takers).mean()) if len(frame) else np.nan

    def placed(frame: pd.DataFrame, year: int) -> float:
        history = records["position_history"]
        moves = history[pd.to_datetime(history["start_date"]).dt.year == year]
        positions = records["positions"]
        structural = positions.loc[positions["family"].isin(STRUCTURAL_FAMILIES), "position_id"]
        into = set(moves.loc[moves["position_id"].isin(structural), "employee_id"])
        return float(frame["employee_id"].isin(into).mean()) if len(frame) else np.nan

    return pd.DataFrame(
        [
            {
                "label": "started a course",
                "previous": started(before, previous),
                "current": started(after, current),
            },
            {
                "label": "placed in a structural post",
                "previous": placed(before, previous),
                "current": placed(after, current),
            },
        ]
    )


def _coverage(records: Records, previous: int, current: int) -> pd.DataFrame:
    taken = records["training_records"].dropna(subset=["course_id"])
    year = pd.to_datetime(taken["start_date"]).dt.year
    seen = set(taken.loc[year <= previous, "course_id"])
    now = set(taken.loc[year == current, "course_id"])
    history = records["position_history"]
    moved = pd.to_datetime(history["start_date"]).dt.year
    filled_before = set(history.loc[moved <= previous, "position_id"])
    filled_now = set(history.loc[moved == current, "position_id"])
    return pd.DataFrame(
        [
            {"what": "courses taken", "new": len(now - seen), "of": len(now)},
            {
                "what": "positions filled",
                "new": len(filled_now - filled_before),
                "of": len(filled_now),
            },
        ]
    )


def write_drift_report(report: DriftReport, path: Path) -> Path:
    """One self-contained HTML page: the verdict, a PSI chart, and the three tables."""
    shifted = report.features[report.features["level"] == "shift"]["feature"].tolist()
    verdict = (
        f"{len(shifted)} feature(s) shifted (PSI > {PSI_SHIFT}): {', '.join(shifted)}"
        if shifted
        else f"no feature shifted beyond PSI {PSI_SHIFT}"
    )
    title = f"Drift of cycle {report.current} against {report.previous}"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p><strong>{html.escape(verdict)}</strong>. PSI: below {PSI_MODERATE} stable, "
        f"{PSI_MODERATE}–{PSI_SHIFT} moderate, above {PSI_SHIFT} a shift (a convention).</p>",
        _psi_chart(report),
        "<h2>Features</h2>",
        report.features.to_html(index=False, float_format=lambda v: f"{v:.3f}"),
        "<h2>Label rates</h2>",
        report.labels.to_html(index=False, float_format=lambda v: f"{v:.3f}"),
        "<h2>What the previous cycle never saw</h2>",
        report.coverage.to_html(index=False),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><body>{''.join(parts)}</body></html>"
    )
    return path


def _psi_chart(report: DriftReport) -> str:
    table = report.features.dropna(subset=["psi"]).head(20).iloc[::-1]
    fig = figure(7, 0.3 * len(table) + 1)
    ax = fig.subplots()
    colours = table["level"].map({"shift": "#c92a2a", "moderate": "#f08c00", "stable": "#2f6fde"})
    ax.barh(table["feature"], table["psi"], color=colours)
    ax.axvline(PSI_SHIFT, color="grey", linestyle="--")
    ax.set_xlabel("population stability index")
    ax.set_title(f"cycle {report.current} against {report.previous}")
    fig.tight_layout()
    return embedded_figure(fig)
