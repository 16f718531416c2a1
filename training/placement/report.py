"""The evaluation report of a placement-success run: tables, charts, fairness, the target, and
the calibration of the success probability (Brier score, reliability table and plot).

Files (Markdown, HTML with charts embedded, CSVs, PNGs) that the run logs to MLflow, as the
training recommender's report does (`training.courses.report`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from training.html import figure, html_page, save_figure
from training.placement.evaluation import CALIBRATION_Z, PlacementReport
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
        "calibration": report.calibration,
        "reliability": report.reliability,
    }
    files = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path)
        files.append(path)
    verdict = target_check(report)
    charts = [
        c
        for c in (
            _success_chart(report, folder),
            _reliability_chart(report, folder),
            _fairness_chart(report, folder),
        )
        if c
    ]
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
            *calibration_section(report, learned),
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


def calibration_section(report: PlacementReport, learned: SuccessModel) -> list[str]:
    """The report's lines on what the success probability means and how well it holds."""
    calibration = learned.calibration
    if calibration is None:
        how = "- not calibrated: too few failures in the training rounds to hold any out"
    else:
        how = (
            f"- calibrated on round {calibration.label} (held out from the fit): "
            f"{calibration.placements} placements, {calibration.observed_rate:.1%} with SKP ≥ "
            f"Baik; the fitted model's mean there was {calibration.uncalibrated_rate:.1%}, and "
            f"a shift of {calibration.offset:+.3f} on the log-odds makes it equal"
        )
    lines = [
        "## Calibration of the success probability",
        "",
        "The score is the probability that the person's SKP for the first year mostly in the "
        "post is at least Baik (the observable label), not the generator's hidden success.",
        "",
        how,
        "- tolerance: a decile's observed rate within the range a calibrated decile's falls in "
        f"as often as ±{CALIBRATION_Z:g} standard errors of a normal (`low`–`high`, from the "
        "binomial distribution; the shaded band of the plot); the same for the mean over all "
        "placements (`within`); `z`: the gap in standard errors",
        "- `uncalibrated`: the same regression fitted on every training round, its own "
        "probability (the model before calibration)",
        "",
    ]
    if report.calibration.empty:
        return [*lines, "-", ""]
    reliability = report.reliability
    columns = ["model", *(c for c in reliability.columns if c != "model")]
    return [
        *lines,
        report.calibration.round(4).to_markdown(),
        "",
        "### Reliability by decile of predicted success (the people placed in the round)",
        "",
        reliability[columns].round(3).to_markdown(index=False),
        "",
    ]


def _reliability_chart(report: PlacementReport, folder: Path) -> Path | None:
    """Observed success rate against mean predicted success per decile, with the range a
    calibrated model's would fall in; the mean true success probability too when the data
    has a truth."""
    table = report.reliability
    if table.empty:
        return None
    fig = figure(6, 4.2)
    ax = fig.subplots()
    floor = float(min(table["predicted"].min(), table["observed"].min()))
    if "true" in table:
        floor = min(floor, float(table["true"].min()))
    floor = max(0.0, floor - 0.05)
    ax.plot([floor, 1], [floor, 1], color="#9aa5b1", linewidth=1, label="perfect calibration")
    styles = {"learned": ("#1f6f4a", "o"), "uncalibrated": ("#b03a2e", "s")}
    for key, part in table.groupby("model", sort=False):
        model = str(key)
        colour, marker = styles.get(model, ("#555555", "^"))
        if model == "learned":
            ax.fill_between(
                part["predicted"],
                part["low"],
                part["high"],
                color=colour,
                alpha=0.12,
                linewidth=0,
                label=f"{model}: range of a calibrated model's (±{CALIBRATION_Z:g} s.e.)",
            )
        ax.plot(
            part["predicted"],
            part["observed"],
            color=colour,
            marker=marker,
            linewidth=1,
            label=f"{model}: share with SKP ≥ Baik",
        )
        if "true" in part and model == "learned":
            ax.plot(
                part["predicted"],
                part["true"],
                color=colour,
                marker=marker,
                markerfacecolor="none",
                linestyle=":",
                linewidth=1,
                label=f"{model}: mean true success probability",
            )
    ax.set_xlim(floor, 1)
    ax.set_ylim(floor, 1.02)
    ax.set_xlabel("mean predicted success (decile of the people placed)")
    ax.set_ylabel("share that succeeded")
    ax.legend(loc="upper left", fontsize=7)
    return save_figure(fig, folder / "reliability.png")


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
