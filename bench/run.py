"""`make bench` (``python -m bench.run``): generation and ingestion at province scale, national
generation rate, the models' training and quality, the service under load (and under load while
its champion moves twice, on PostgreSQL with two workers), and the analyst's yearly cycle.

Each measured step (a function of `bench.steps`) runs in a fresh Python process that reports its
own wall time and peak memory (max RSS), so steps do not inherit each other's memory
(`bench.harness`). Writes docs/benchmarks.md with the machine, the command and the figures.
Benchmarks are not tests: run them on a quiet machine and compare figures from the same run only.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.cycle_steps import cycle_lines, cycle_rows
from bench.harness import ROOT, measure
from bench.load_reload import reload_section
from bench.load_steps import load_rows
from bench.national import national_lines
from bench.national_training import training_lines
from bench.placement_steps import placement_rows
from bench.quality_steps import PROVINCE, run_all, two_datasets_lines
from bench.recommender_steps import recommender_rows
from bench.steps import dataset

if TYPE_CHECKING:
    import pandas as pd

NATIONAL = 5_588_245


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="jenjang-bench-"))
    province = work / "province"
    rows: list[tuple[str, str]] = []

    gen = measure(dataset.generate, scale="province", seed=42, regions=None, out=str(province))
    rows.append(
        (
            "province generation (31,898 ASN, 2016–2025, seed 42)",
            f"{gen['seconds']:.1f} s, peak {gen['peak_mib']:,.0f} MiB",
        )
    )

    url = f"sqlite:///{work / 'bench.db'}"
    first = measure(dataset.ingest, folder=str(province), url=url)
    rows.append(
        (
            f"province ingestion into SQLite, first load ({first['result']['inserted']:,} rows)",
            f"{first['seconds']:.1f} s, peak {first['peak_mib']:,.0f} MiB",
        )
    )
    again = measure(dataset.ingest, folder=str(province), url=url)
    rows.append(
        (
            f"re-ingesting the same files ({again['result']['unchanged']:,} rows "
            f"unchanged, {again['result']['inserted']} inserted)",
            f"{again['seconds']:.1f} s, peak {again['peak_mib']:,.0f} MiB",
        )
    )

    rules = measure(dataset.eligibility, folder=str(province))["result"]
    rows.append(
        (
            f"eligibility: the facts of all {rules['people']:,} province employees on "
            f"{rules['as_of']} (calendar durations, SKP window; once per date, median of 5)",
            f"{rules['facts_seconds'] * 1000:,.0f} ms",
        )
    )
    rows.append(
        (
            "eligibility: every rule of one structural family for all of them (median of 5; "
            + ", ".join(rules["rules_seconds"])
            + ")",
            ", ".join(f"{s * 1000:,.1f} ms" for s in rules["rules_seconds"].values()),
        )
    )

    national = []
    for regions in (3, 6, 12):
        nat = measure(
            dataset.generate,
            scale="national",
            seed=1,
            regions=regions,
            out=str(work / f"national-{regions}"),
        )
        rate = nat["result"] / nat["seconds"]
        rows.append(
            (
                f"national generation in one process (one file per table), {regions} of 552 "
                f"regions ({nat['result']:,} ASN)",
                f"{nat['seconds']:.1f} s, peak {nat['peak_mib']:,.0f} MiB, "
                f"{rate:,.0f} ASN/s (≈ {NATIONAL / rate / 60:,.0f} min for 5.6 million)",
            )
        )
        national.append((work / f"national-{regions}", nat["result"]))

    extra, training = recommender_rows(work, url, str(province), national)
    rows += extra

    extra, placements = placement_rows(work, url, str(province))
    rows += extra

    tracking, artifacts = f"sqlite:///{work / 'mlflow.db'}", str(work / "artifacts")
    extra, _ = load_rows(url, tracking, artifacts, work)
    rows += extra
    reload = reload_section(work)  # its own dataset, PostgreSQL database and champions

    both = run_all(work, known={PROVINCE: {"training": training, "placements": placements}})
    cycle = cycle_lines(cycle_rows(work), "province, 31,898 ASN")
    national_section = national_lines(work, tracking, artifacts)  # the champions trained above
    national_section += ["", *training_lines(work)]  # training on national samples

    from features.synth.calibration import compare  # imported late: keeps the parent light

    calibration = compare(province)
    sections = [*two_datasets_lines(both), "", *cycle, "", *national_section, "", *reload]
    write_report(rows, calibration, training, placements, sections)


def write_report(
    rows: list[tuple[str, str]],
    calibration: pd.DataFrame,
    training: dict[str, Any],
    placements: dict[str, Any],
    sections: list[str],
) -> None:
    """docs/benchmarks.md: the rows, the dataset's calibration, the province's model quality
    and the `sections` (quality on two datasets, the yearly cycle, national scale)."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`python -m bench.run`) on {dt.date.today():%Y-%m-%d}; "
        f"machine: {machine}. Each step ran in its own process; peak is that process's max RSS.",
        "National generation runs region by region (one chunk each), so its peak memory stays "
        "that of one region whatever the number of regions: compare the two national rows.",
        "",
        "| what | figure |",
        "|---|---|",
        *(f"| {what} | {figure} |" for what, figure in rows),
        "",
        "## Calibration of the province dataset (same run)",
        "",
        "| statistic | target | tolerance | measured | ok |",
        "|---|---|---|---|---|",
    ]
    for row in calibration.itertuples():
        lines.append(
            f"| {row.statistic} | {row.target:.3f} | ±{row.tolerance:.3f} | "
            f"{row.measured:.3f} | {'yes' if row.ok else 'NO'} |"
        )
    lines += quality_lines(training)
    lines += placement_lines(placements)
    lines += ["", *sections]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def metric_table(key: str, rows: dict[str, dict[str, float]], metrics: list[str]) -> list[str]:
    """A Markdown table: one row per key (model or weight), one column per metric."""
    lines = [f"| {key} | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[m]:.4f}" for m in metrics) + " |")
    return lines


def quality_lines(training: dict[str, Any]) -> list[str]:
    """The training recommender's held-out metrics from the benchmark's training run."""
    metrics = ["ndcg@10", "recall@10", "coverage@10", "true_fit_gain@5", "true_competency_gain@5"]
    lines = [
        "",
        f"## Training recommender on the held-out {training['test_year']} cycle (same run)",
        "",
        f"{training['people']:,} people active on 1 January; relevance = courses they started "
        "that year; true gains from the generator's hidden truth (top 5 of each list).",
        "",
        *metric_table("model", training["overall"], metrics),
    ]
    lines += ["", "Target check: " + ", ".join(f"{k} = {v}" for k, v in training["target"].items())]
    lines += [
        "",
        "Same fitted model, helpful set chosen with `gain_rank_weight` w "
        "(w × rank(expected gain) + (1 − w) × rank(uptake); default 1.0):",
        "",
        *metric_table("w", training["tradeoff"], metrics),
    ]
    levels = training.get("levels", {})
    if levels:
        lines += [
            "",
            "Competency levels of the standard, RMSE against the true levels: learned estimate "
            f"{levels['level_rmse_estimated']:.3f} (never measured: "
            f"{levels['level_rmse_estimated_unmeasured']:.3f}), family-mean imputation "
            f"{levels['level_rmse_family_mean']:.3f} (never measured: "
            f"{levels['level_rmse_family_mean_unmeasured']:.3f}).",
        ]
    return lines


def placement_lines(placements: dict[str, Any]) -> list[str]:
    """The placement-success model's held-out metrics and fairness from the benchmark's run."""
    metrics = ["ndcg@10", "auc", "true_success@1", "true_success@5"]
    overall = {
        name: {m: row.get(m, float("nan")) for m in metrics}
        for name, row in placements["overall"].items()
    }
    rounds = placements["training_rounds"]
    lines = [
        "",
        f"## Placement success on the held-out {placements['test_year']} round (same run)",
        "",
        f"{placements['vacancies']} vacancies filled by promotion that year, each ranked within "
        f"its recorded candidate pool; trained on the rounds {rounds[0]}–{rounds[-1]}. "
        "True success from the generator's hidden truth; `historical` is the person actually "
        "placed, `oracle` the best eligible candidate.",
        "",
        *metric_table("model", overall, metrics),
        "",
        "Target check: " + ", ".join(f"{k} = {v}" for k, v in placements["target"].items()),
        "",
        "Observed label (SKP ≥ Baik) against the hidden success draw: "
        + ", ".join(f"{k} = {v:.3f}" for k, v in placements["label_check"].items()),
        "",
        "Lowest impact ratio of the selections by sex and age band (four-fifths rule: below "
        "0.8 flags adverse impact):",
        "",
        "| selections | age band | sex |",
        "|---|---|---|",
    ]
    for name, row in placements["fairness"].items():
        lines.append(f"| {name} | {row['age_band']:.3f} | {row['sex']:.3f} |")
    return lines


if __name__ == "__main__":
    main()
