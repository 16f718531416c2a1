"""Quality on two datasets (issue 15), run by bench/run.py or on its own.

A claim measured on one dataset may be luck of that dataset. So both models are trained and
evaluated on two generated datasets of different seed and size: the province (seed 42, 31,898
ASN, the demo's data) and a smaller one (seed 7, 8,000 ASN). Each is generated, ingested into
its own SQLite database and trained with its own MLflow store, every step in a fresh process
(`bench.harness.measure`). The section lists every quality figure on both, and each claim of
the docs with "met" or "not met" per dataset: a claim that holds on one and not the other is
written as not met.

On its own: ``python -m bench.quality_steps`` (about 10 minutes on 2 cores) replaces the
quality section of docs/benchmarks.md and leaves the other figures alone.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import measure, replace_section
from bench.steps import dataset, placements, recommender

START, END = "<!-- quality -->", "<!-- /quality -->"


@dataclass(frozen=True)
class QualityDataset:
    """A generated dataset the models are judged on."""

    label: str
    seed: int
    employees: int | None  # None: the province's own head count


PROVINCE = QualityDataset("seed 42, province (31,898 ASN)", 42, None)
SMALLER = QualityDataset("seed 7, 8,000 ASN", 7, 8_000)
DATASETS = (PROVINCE, SMALLER)

RECOMMENDER_METRICS = ["ndcg@10", "recall@10", "coverage@10", "true_fit_gain@5"]
PLACEMENT_METRICS = ["ndcg@10", "auc", "true_success@1", "true_success@5"]

#: The four-fifths rule: an impact ratio below this flags adverse impact.
FOUR_FIFTHS = 0.8


def train_on(work: Path, data: QualityDataset, folder: Path | None = None) -> dict[str, Any]:
    """Generate `data` (unless `folder` already holds it), ingest it and train both models in
    `work`; the quality figures of both training runs."""
    work.mkdir(parents=True, exist_ok=True)
    if folder is None:
        folder = work / "dataset"
        measure(
            dataset.generate,
            scale="province",
            seed=data.seed,
            regions=None,
            out=str(folder),
            employees=data.employees,
        )
    url = f"sqlite:///{work / 'quality.db'}"
    measure(dataset.ingest, folder=str(folder), url=url)
    stores = {"tracking": f"sqlite:///{work / 'mlflow.db'}", "artifacts": str(work / "artifacts")}
    courses = measure(recommender.train, url=url, truth=str(folder), **stores)["result"]
    posts = measure(placements.train, url=url, truth=str(folder), **stores)["result"]
    return {"training": courses, "placements": posts}


def claims(result: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """The documented claims, each as (the measured figure in words, met) on one dataset."""
    courses, posts = result["training"]["target"], result["placements"]["target"]
    fairness = result["placements"]["fairness"].get("learned top-5", {})
    lowest = min(fairness.values()) if fairness else float("nan")
    found = {
        "training recommender: true gain@5 ≥ 1.2 × the best baseline's": (
            f"{courses['true_gain_ratio']:.2f}×",
            bool(courses["gain_ok"]),
        ),
        "training recommender: NDCG@10 ≥ the best baseline's": (
            f"{result['training']['overall']['learned']['ndcg@10']:.3f} vs "
            f"{courses['best_baseline_ndcg']:.3f}",
            bool(courses["ndcg_ok"]),
        ),
        "placements: true success of the top suggestion ≥ 5% above the people placed": (
            f"{posts['true_success@1']:.3f} vs {posts['historical']:.3f} ({posts['lift']:+.1%})",
            bool(posts["met"]),
        ),
        "placements: the learned top 5 pass the four-fifths rule by age band and sex": (
            f"lowest impact ratio {lowest:.3f}",
            bool(lowest >= FOUR_FIFTHS),
        ),
    }
    return found


def _table(rows: dict[str, dict[str, float]], metrics: list[str]) -> list[str]:
    lines = ["| model | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for name, row in rows.items():
        cells = (f"{row.get(m, float('nan')):.4f}" for m in metrics)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def two_datasets_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    """The quality section of docs/benchmarks.md: claims per dataset, then every figure."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    labels = list(results)
    verdicts = {label: claims(result) for label, result in results.items()}
    lines = [
        START,
        "",
        "## Quality on two datasets",
        "",
        f"Measured on {dt.date.today():%Y-%m-%d} ({machine}) by bench/quality_steps.py, with "
        "`make bench` or alone. Each dataset is generated, ingested and both models trained on "
        "it from scratch; held-out figures of its last cycle. A claim is met only if it holds "
        "on both. Run alone, this section can be newer than the rest of this file: then its "
        "figures supersede the quality figures above.",
        "",
        "| claim | " + " | ".join(labels) + " | met |",
        "|---|" + "---|" * (len(labels) + 1),
    ]
    for claim in next(iter(verdicts.values())):
        cells = [
            f"{verdicts[label][claim][0]} ({'met' if verdicts[label][claim][1] else 'not met'})"
            for label in labels
        ]
        held = all(verdicts[label][claim][1] for label in labels)
        lines.append(f"| {claim} | " + " | ".join(cells) + f" | {'yes' if held else 'NO'} |")
    for label, result in results.items():
        courses, posts = result["training"], result["placements"]
        lines += [
            "",
            f"### {label}",
            "",
            f"Training recommender, held-out {courses['test_year']} cycle "
            f"({courses['people']:,} people):",
            "",
            *_table(courses["overall"], RECOMMENDER_METRICS),
            "",
            f"Placement success, held-out {posts['test_year']} round "
            f"({posts['vacancies']} vacancies):",
            "",
            *_table(posts["overall"], _placement_metrics(posts["overall"])),
        ]
    return [*lines, "", END]


def _placement_metrics(overall: dict[str, dict[str, float]]) -> list[str]:
    """The ranking metrics, then any calibration figure the run reports (Brier score …)."""
    present = {m for row in overall.values() for m in row}
    extra = sorted(m for m in present if m.startswith(("brier", "calibration")))
    return PLACEMENT_METRICS + extra


def run_all(
    work: Path, known: dict[QualityDataset, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Results on every dataset, reusing those already measured (`known`, e.g. the province
    trained by bench/run.py)."""
    known = known or {}
    results = {}
    for data in DATASETS:
        found = known.get(data)
        results[data.label] = found or train_on(work / f"quality-seed{data.seed}", data)
    return results


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="jenjang-quality-"))
    try:
        results = run_all(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = two_datasets_lines(results)
    replace_section(START, END, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
