"""The evaluation report of a placement-success run: tables, charts, fairness, the target.

Files (Markdown, HTML with charts embedded, CSVs, PNGs) that the run logs to MLflow, as the
training recommender's report does (`training.courses.report`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from training.html import figure, html_page, save_figure
from training.placement.evaluation import PlacementReport
from training.placement.model import SuccessModel

#: "A clear margin": the top suggestion's true success at least this much above the historical
#: choice's, relative (heuristic; the issue asks for a clear margin without a number).
TARGET_LIFT = 0.05


def target_check(report: PlacementReport, model: str = "learned") -> dict[str, object]:
    """Does the top suggestion's true success beat the people actually placed clearly?"""
    overall = report.overall
    if "true_success@1" not in overall or "historical" not in overall.index:
        return {"checked": False, "why": "no generator truth: true success is unknown"}
    success = overall["true_success@1"].to_dict()
    ours, past = float(success[model]), float(success["historical"])
    lift = ours / past - 1
    return {
        "checked": True,
        "true_success@1": round(ours, 4),
        "historical": round(past, 4),
        "lift": round(lift, 4),
        "required_lift": TARGET_LIFT,
        "met": lift >= TARGET_LIFT,
    }


def fairness_summary(report: PlacementReport) -> pd.DataFrame:
    """Lowest impact ratio per model, k and attribute (below 0.8 = adverse impact)."""
    if report.fairness.empty:
        return pd.DataFrame()
    return report.fairness.pivot_table(
        index=["model", "k"], columns="attribute", values="impact_ratio", aggfunc="min"
    )


def write_placement_report(
    report: PlacementReport,
    learned: SuccessModel,
    folder: Path,
    context: dict[str, object],
    test_year: int,
) -> list[Path]:
    """Write report.md, report.html, CSVs and charts into `folder`; return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "overall": report.overall,
        "by_family": report.by_family,
        "fairness": report.fairness,
        "coefficients": learned.coefficients().rename("coefficient").to_frame(),
    }
    files = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path)
        files.append(path)
    verdict = target_check(report)
    charts = [c for c in (_success_chart(report, folder), _fairness_chart(report, folder)) if c]
    markdown = "\n".join(
        [
            f"# Placement success — evaluation on the {test_year} round",
            "",
            *(f"- {k}: {v}" for k, v in context.items()),
            f"- vacancies: {report.vacancies}",
            *(
                f"- {k} (observed label against the hidden success draw): {v:.3f}"
                for k, v in report.label_check.items()
            ),
            "",
            "## Overall",
            "",
            report.overall.round(4).to_markdown(),
            "",
            "## Target",
            "",
            f"The top suggestion's true success must beat the people actually placed by at "
            f"least {TARGET_LIFT:.0%}.",
            "",
            *(f"- {k}: {v}" for k, v in verdict.items()),
            "",
            "## Fairness: lowest impact ratio (four-fifths rule: below 0.8 flags adverse impact)",
            "",
            fairness_summary(report).round(3).to_markdown() if not report.fairness.empty else "-",
            "",
            "## Per position family",
            "",
            report.by_family.round(4).to_markdown(index=False),
            "",
            "## Coefficients of the learned model (standardised)",
            "",
            learned.coefficients().rename("coefficient").round(3).to_markdown(),
            "",
        ]
    )
    (folder / "report.md").write_text(markdown)
    (folder / "report.html").write_text(html_page(markdown, charts, "Placement evaluation"))
    (folder / "target.json").write_text(json.dumps(verdict, indent=2))
    return [*files, *charts, folder / "report.md", folder / "report.html", folder / "target.json"]


def _success_chart(report: PlacementReport, folder: Path) -> Path | None:
    if "true_success@1" not in report.overall:
        return None
    values = report.overall["true_success@1"].dropna().sort_values()
    fig = figure(6, 3.2)
    ax = fig.subplots()
    colours = ["#1f6f4a" if i == "learned" else "#9aa5b1" for i in values.index]
    ax.barh(values.index, values.to_numpy(), color=colours)
    ax.set_xlabel("true success probability of the top suggestion")
    return save_figure(fig, folder / "true_success.png")


def _fairness_chart(report: PlacementReport, folder: Path) -> Path | None:
    summary = fairness_summary(report)
    if summary.empty:
        return None
    top1 = summary.xs(1, level="k")
    fig = figure(6, 3.2)
    ax = fig.subplots()
    top1.plot.barh(ax=ax)
    ax.axvline(0.8, color="#b03a2e", linestyle="--", label="four-fifths")
    ax.set_xlabel("lowest impact ratio of the top-1 selections")
    ax.legend(loc="lower right")
    return save_figure(fig, folder / "fairness.png")
