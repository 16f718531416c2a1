"""Benchmark steps of placements (issue 4), run by bench/run.py.

Each step is Python source run in a fresh interpreter by `run.measure`. Figures: training of the
placement-success model (quality, true success against the historical choices, fairness),
ranking all province employees for one vacancy (through the registered pyfunc and the ranking
function itself), the same ranking on a population tiled up to national size, and a placement
plan for 200 vacancies against greedy picking.
"""

from __future__ import annotations

TRAIN = """
from pathlib import Path
from features.store.settings import Settings
from training.placement.pipeline import PlacementConfig, train_placements
from training.placement.report import fairness_summary
from training.promotion import promote
settings = Settings(database_url={url!r}, tracking_uri={tracking!r}, artifact_root={artifacts!r})
run = train_placements(PlacementConfig(truth_dir=Path({truth!r})), settings)
promote(settings, "placement-success", reason="benchmark champion")
summary = fairness_summary(run.report).round(3).to_dict("index")
result = {{"seconds": run.seconds, "overall": run.report.overall.round(4).to_dict("index"),
          "target": run.target, "test_year": run.split.test_year,
          "vacancies": run.report.vacancies, "label_check": run.report.label_check,
          "training_rounds": list(run.split.train_years),
          "fairness": {{f"{{m}} top-{{k}}": row for (m, k), row in summary.items()}}}}
"""

#: Each step below starts here: the champion loaded as the service loads it, and its date.
CHAMPION = """
import time
import numpy as np, mlflow, pandas as pd
mlflow.set_tracking_uri({tracking!r}); mlflow.set_registry_uri({tracking!r})
began = time.perf_counter()
model = mlflow.pyfunc.load_model("models:/placement-success@champion",
                                 model_config={{"database_url": {url!r}}})
loaded = time.perf_counter() - began
python_model = model.unwrap_python_model()
as_of = pd.Timestamp(mlflow.MlflowClient().get_model_version_by_alias(
    "placement-success", "champion").tags["training_cutoff"])
"""

LATENCY = (
    CHAMPION
    + """
from features.rules.eligibility import evaluate
from features.planning.ranking import rank_candidates
from features.view import STRUCTURAL_FAMILIES, post_of
began = time.perf_counter()
view = python_model.view(as_of)
built = time.perf_counter() - began
positions = python_model.records()["positions"]
posts = positions[positions["family"].isin(STRUCTURAL_FAMILIES)]["position_id"]
posts = list(posts.sample(min(300, len(posts)), random_state=0))
rules_ms = []
for family in STRUCTURAL_FAMILIES:
    for _ in range(5):
        started = time.perf_counter()
        evaluate(view.facts, family, as_of)
        rules_ms.append((time.perf_counter() - started) * 1000)
    view.eligibility(family)  # computed once per family and date, then cached
through_pyfunc, direct = [], []
for position in posts:
    started = time.perf_counter()
    model.predict(pd.DataFrame({{"position_id": [position], "k": [10],
                                 "as_of": [as_of.date().isoformat()]}}))
    through_pyfunc.append((time.perf_counter() - started) * 1000)
    post = post_of(python_model.records(), position, view.standards)
    started = time.perf_counter()
    rank_candidates(view, post, python_model.model, 10)
    direct.append((time.perf_counter() - started) * 1000)
through_pyfunc, direct = np.array(through_pyfunc[20:]), np.array(direct[20:])
result = {{"people": len(view.frame), "calls": len(direct), "load_seconds": loaded,
          "view_seconds": built, "rules_p50": float(np.median(rules_ms)),
          "rules_max": float(np.max(rules_ms)),
          "pyfunc_p50": float(np.median(through_pyfunc)),
          "pyfunc_p99": float(np.percentile(through_pyfunc, 99)),
          "direct_p50": float(np.median(direct)), "direct_p99": float(np.percentile(direct, 99))}}
"""
)

NATIONAL = (
    CHAMPION
    + """
from features.asof.post_pairs import RECORD_FEATURES
from features.asof.frame import level_columns
from features.planning.ranking import rank_candidates
from features.view import STRUCTURAL_FAMILIES, View, post_of
province = python_model.view(as_of)
records = python_model.records()
# what ranking reads, tiled: the province's people repeated until the population is reached
keep = ["field", "family", "grade_rank", "agency_id", "position_id", "talent_box",
        "rating_last", *RECORD_FEATURES, *level_columns("level")]
slim = province.frame[list(dict.fromkeys(keep))]
rows = np.resize(np.arange(len(slim)), {people})
frame = slim.iloc[rows]
frame.index = pd.Index([f"{{e}}#{{i}}" for i, e in enumerate(frame.index)])
facts = province.facts.iloc[rows].set_axis(frame.index)
view = View(as_of, frame, province.levels[rows], facts, province.standards)
del slim, province
began = time.perf_counter()
for family in STRUCTURAL_FAMILIES:
    view.eligibility(family)
eligibility_seconds = time.perf_counter() - began
positions = records["positions"]
posts = positions[positions["family"].isin(STRUCTURAL_FAMILIES)]["position_id"]
posts = list(posts.sample(min(40, len(posts)), random_state=0))
times = []
for position in posts:
    post = post_of(records, position, view.standards)
    started = time.perf_counter()
    rank_candidates(view, post, python_model.model, 10)
    times.append((time.perf_counter() - started) * 1000)
times = np.array(times[5:])
result = {{"people": len(frame), "eligibility_seconds": eligibility_seconds,
          "p50": float(np.median(times)), "p99": float(np.percentile(times, 99))}}
"""
)

PLAN = (
    CHAMPION
    + """
from features.planning.ranking import vacancy_matrix
from features.view import post_of
from features.planning.plans import greedy_plan, placement_plan
view = python_model.view(as_of)
records = python_model.records()
positions = records["positions"]
structural = positions[positions["family"].isin(["pengawas", "administrator", "jpt_pratama"])]
chosen = structural.sample(min(200, len(structural)), random_state=1)["position_id"]
posts = [post_of(records, p, view.standards) for p in chosen]
began = time.perf_counter()
matrix = vacancy_matrix(view, posts, python_model.model)
scored = time.perf_counter() - began
args = (matrix.scores, matrix.eligible, matrix.vacancies, matrix.candidates)
began = time.perf_counter()
plan = placement_plan(*args)
solved = time.perf_counter() - began
greedy = greedy_plan(*args)
result = {{"vacancies": len(posts), "candidates": len(matrix.candidates),
          "matrix_seconds": scored, "solver_seconds": solved,
          "plan_total": plan.total, "greedy_total": greedy.total,
          "plan_filled": len(plan.assignments), "greedy_filled": len(greedy.assignments)}}
"""
)

#: Population sizes of the national ranking step (the last is Indonesia's ASN count).
NATIONAL_SIZES = (311_580, 1_557_900, 5_588_245)


def placement_rows(measure, work, url: str, truth: str) -> tuple[list, dict]:  # type: ignore[no-untyped-def]
    """Run the placement steps; return (what, figure) rows and the quality figures."""
    rows = []
    tracking = f"sqlite:///{work / 'mlflow.db'}"
    artifacts = str(work / "artifacts")
    train = measure(TRAIN.format(url=url, tracking=tracking, artifacts=artifacts, truth=truth))
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in train["result"]["seconds"].items())
    rows.append(
        (
            "placement training: `train_placements` (success model, fit-only and imitation "
            f"baselines, evaluation on {train['result']['vacancies']} vacancies, fairness, MLflow)",
            f"{train['seconds']:.0f} s ({stages}), peak {train['peak_mib']:,.0f} MiB",
        )
    )
    latency = measure(LATENCY.format(url=url, tracking=tracking))
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
            step = measure(NATIONAL.format(url=url, tracking=tracking, people=people))
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
    plan = measure(PLAN.format(url=url, tracking=tracking))
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
