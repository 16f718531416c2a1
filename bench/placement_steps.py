"""Benchmark steps of placements (issue 4), run by bench/run.py.

Each step is a function of `bench.steps.placements` run in a fresh interpreter by
`bench.harness.measure`; this module runs them and turns their figures into rows of
docs/benchmarks.md. Figures: training of the placement-success model (quality, true success
against the historical choices, fairness), ranking all province employees for one vacancy
(through the registered pyfunc and the ranking function itself), the same ranking on a population
tiled up to national size, and a placement plan for 200 vacancies against greedy picking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness import measure
from bench.steps import placements

#: Population sizes of the national ranking step (the last is Indonesia's ASN count).
NATIONAL_SIZES = (311_580, 1_557_900, 5_588_245)


def placement_rows(
    work: Path, url: str, truth: str
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Run the placement steps; return (what, figure) rows and the quality figures."""
    rows = []
    tracking = f"sqlite:///{work / 'mlflow.db'}"
    artifacts = str(work / "artifacts")
    train = measure(placements.train, url=url, tracking=tracking, artifacts=artifacts, truth=truth)
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in train["result"]["seconds"].items())
    rows.append(
        (
            "placement training: `train(PlacementSuccess())` (success model, fit-only and "
            f"imitation baselines, evaluation on {train['result']['vacancies']} vacancies, "
            "fairness, MLflow)",
            f"{train['seconds']:.0f} s ({stages}), peak {train['peak_mib']:,.0f} MiB",
        )
    )
    latency = measure(placements.latency, url=url, tracking=tracking)
    result = latency["result"]
    rows.append(
        (
            f"ranking all {result['people']:,} province employees for one vacancy, top 10 "
            f"({result['calls']} vacancies)",
            f"through the pyfunc: p50 {result['pyfunc_p50']:.1f} ms, p99 "
            f"{result['pyfunc_p99']:.1f} ms; ranking function: p50 {result['direct_p50']:.1f} ms, "
            f"p99 {result['direct_p99']:.1f} ms (model load {result['load_seconds']:.1f} s, "
            f"view of the date {result['view_seconds']:.1f} s)",
        )
    )
    rows.append(
        (
            f"eligibility: every rule of one family for all {result['people']:,} province "
            "employees (vectorised, 5 families × 5 runs)",
            f"median {result['rules_p50']:.1f} ms, max {result['rules_max']:.1f} ms",
        )
    )
    for people in NATIONAL_SIZES:
        try:
            step = measure(placements.national, url=url, tracking=tracking, people=people)
        except SystemExit as failure:  # out of memory: report the largest that fits
            rows.append((f"ranking {people:,} candidates (province tiled)", f"failed: {failure}"))
            break
        result = step["result"]
        rows.append(
            (
                f"ranking {result['people']:,} candidates for one vacancy (province tiled to "
                "national size), top 10",
                f"p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms (eligibility of all "
                f"families once: {result['eligibility_seconds']:.1f} s), "
                f"peak {step['peak_mib']:,.0f} MiB",
            )
        )
    plan = measure(placements.plan, url=url, tracking=tracking)
    result = plan["result"]
    rows.append(
        (
            f"placement plan, {result['vacancies']} vacancies × {result['candidates']:,} eligible "
            "candidates (scipy `linear_sum_assignment`)",
            f"scores {result['matrix_seconds']:.1f} s + solver {result['solver_seconds']:.1f} s; "
            f"total predicted success {result['plan_total']:.2f} ({result['plan_filled']} filled) "
            f"vs greedy {result['greedy_total']:.2f} ({result['greedy_filled']} filled), "
            f"{result['plan_total'] / result['greedy_total']:.4f}×",
        )
    )
    return rows, train["result"]
