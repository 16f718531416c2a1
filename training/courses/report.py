"""The evaluation report of a training recommender run: tables, charts, and a verdict against
the target.

Written as files (Markdown, HTML with the charts embedded, CSV per slice, PNG charts) that the
run logs to MLflow as artifacts, so an analyst sees the same report in the MLflow UI, in the
analyst page and in `models/`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from training.courses.evaluation import EvaluationReport, target_check
from training.html import figure, html_page, save_figure

HEADLINE = ["ndcg@10", "recall@10", "coverage@10", "true_fit_gain@5", "true_competency_gain@5"]


def write_report(
    report: EvaluationReport,
    folder: Path,
    context: dict[str, object],
    trade: pd.DataFrame | None = None,
) -> list[Path]:
    """Write report.md, report.html, slice CSVs and charts into `folder`; return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    if trade is not None:
        trade.to_csv(folder / "tradeoff.csv")
        files.append(folder / "tradeoff.csv")
    overall = report.overall[[c for c in HEADLINE + ["people"] if c in report.overall]]
    for name, table in (
        ("overall", overall),
        ("by_family", report.by_family),
        ("by_agency", report.by_agency),
    ):
        path = folder / f"metrics_{name}.csv"
        table.to_csv(path)
        files.append(path)
    charts = [_bar_chart(overall, folder), _family_chart(report, folder)]
    files += [c for c in charts if c is not None]
    verdict = target_check(report)
    markdown = _markdown(report, overall, verdict, context)
    if trade is not None:
        markdown += (
            "\n## Gain weight: true gain against NDCG (same fitted model)\n\n"
            + trade[[c for c in HEADLINE if c in trade]].round(4).to_markdown()
            + "\n"
        )
    (folder / "report.md").write_text(markdown)
    (folder / "report.html").write_text(
        html_page(markdown, [c for c in charts if c], "Training recommender evaluation")
    )
    (folder / "target.json").write_text(json.dumps(verdict, indent=2))
    files += [folder / "report.md", folder / "report.html", folder / "target.json"]
    return files


def _markdown(
    report: EvaluationReport,
    overall: pd.DataFrame,
    verdict: dict[str, object],
    context: dict[str, object],
) -> str:
    lines = [
        f"# Training recommender — evaluation on the {report.test_year} cycle",
        "",
        *(f"- {k}: {v}" for k, v in context.items()),
        "",
        "## Overall",
        "",
        overall.round(4).to_markdown(),
        "",
        "## Target",
        "",
        "The learned model must beat every baseline on true gain (top 5) by at least 20% and "
        "not be worse than the best baseline on NDCG@10.",
        "",
        *(f"- {k}: {v}" for k, v in verdict.items()),
        "",
        "## Per position family (learned model)",
        "",
        report.by_family.query("model == 'learned'").round(4).to_markdown(index=False),
        "",
    ]
    return "\n".join(lines)


def _bar_chart(overall: pd.DataFrame, folder: Path) -> Path | None:
    metrics = [m for m in ("ndcg@10", "true_fit_gain@5") if m in overall]
    if not metrics:
        return None
    fig = figure(5 * len(metrics), 3.2)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        values = overall[metric].sort_values()
        colours = ["#1f6f4a" if i == "learned" else "#9aa5b1" for i in values.index]
        ax.barh(values.index, values.to_numpy(), color=colours)
        ax.set_title(metric)
    return save_figure(fig, folder / "metrics_overall.png")


def _family_chart(report: EvaluationReport, folder: Path) -> Path | None:
    if "true_fit_gain@5" not in report.by_family:
        return None
    table = report.by_family.pivot(index="family", columns="model", values="true_fit_gain@5")
    fig = figure(8, 4)
    ax = fig.subplots()
    table.plot.bar(ax=ax, width=0.8)
    ax.set_ylabel("true fit gain of the top 5")
    ax.set_title("True gain per position family")
    return save_figure(fig, folder / "true_gain_by_family.png")
