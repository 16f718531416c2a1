"""Steps of placements (issue 4): training of the placement-success model and ranking with it.

Figures: training of the placement-success model (quality, true success against the historical
choices, fairness), ranking all province employees for one vacancy (through the registered pyfunc
and the ranking function itself), the same ranking on a population tiled up to national size, and
a placement plan for 200 vacancies against greedy picking. Every step after training starts from
`champion`: the registered champion loaded as the service loads it, and its date.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bench.harness import run_step

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.pyfunc import PyFuncModel

    from features.asof.records import Records
    from features.view import View
    from training.placement.pyfunc import PlacementModel


def train(url: str, tracking: str, artifacts: str, truth: str) -> dict[str, Any]:
    """Train the placement-success model (`training.run.train` of `PlacementSuccess`) and
    promote it to champion; the stage times, held-out quality, label check and fairness."""
    from training.placement.kind import PlacementConfig, PlacementSuccess
    from training.placement.report import fairness_summary
    from training.promotion import promote
    from training.registry import RegistrySettings
    from training.run import train as run_training

    settings = RegistrySettings(database_url=url, tracking_uri=tracking, artifact_root=artifacts)
    run = run_training(PlacementSuccess(PlacementConfig(truth_dir=Path(truth))), settings)
    promote(settings, "placement-success", reason="benchmark champion")
    summary = cast(  # rows keyed by (model, k)
        "dict[tuple[str, int], dict[str, float]]",
        fairness_summary(run.report).round(3).to_dict("index"),
    )
    return {
        "seconds": run.seconds,
        "overall": run.report.overall.round(4).to_dict("index"),
        "target": run.target,
        "test_year": run.split.test_year,
        "vacancies": run.report.vacancies,
        "label_check": run.report.label_check,
        "training_rounds": list(run.split.train_years),
        "fairness": {f"{m} top-{k}": row for (m, k), row in summary.items()},
    }


@dataclass
class Champion:
    """The placement-success champion as the service holds it, and the date it answers for."""

    model: PyFuncModel
    python_model: PlacementModel
    as_of: pd.Timestamp
    load_seconds: float


def champion(url: str, tracking: str) -> Champion:
    """Load ``placement-success@champion`` through MLflow (records from the database at `url`);
    its date is the version's training cutoff."""
    import mlflow
    import pandas as pd

    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(tracking)
    began = time.perf_counter()
    model = mlflow.pyfunc.load_model(
        "models:/placement-success@champion", model_config={"database_url": url}
    )
    loaded = time.perf_counter() - began
    python_model = model.unwrap_python_model()
    version = mlflow.MlflowClient().get_model_version_by_alias("placement-success", "champion")
    as_of = pd.Timestamp(version.tags["training_cutoff"])
    return Champion(model, python_model, as_of, loaded)


def latency(url: str, tracking: str) -> dict[str, Any]:
    """Rank all province employees for up to 300 structural posts, top 10, through the pyfunc
    and through the ranking function; and every eligibility rule of each structural family."""
    import numpy as np

    from features.view import STRUCTURAL_FAMILIES

    found = champion(url, tracking)
    began = time.perf_counter()
    view = found.python_model.data().view(found.as_of)
    built = time.perf_counter() - began
    posts = structural_posts(found.python_model.data().records, 300)
    rules_ms = _rule_times(found, STRUCTURAL_FAMILIES)
    pyfunc_ms, direct_ms = _ranking_times(found, posts)
    through_pyfunc, direct = np.array(pyfunc_ms[20:]), np.array(direct_ms[20:])
    return {
        "people": len(view.frame),
        "calls": len(direct),
        "load_seconds": found.load_seconds,
        "view_seconds": built,
        "rules_p50": float(np.median(rules_ms)),
        "rules_max": float(np.max(rules_ms)),
        "pyfunc_p50": float(np.median(through_pyfunc)),
        "pyfunc_p99": float(np.percentile(through_pyfunc, 99)),
        "direct_p50": float(np.median(direct)),
        "direct_p99": float(np.percentile(direct, 99)),
    }


def structural_posts(records: Records, count: int) -> list[str]:
    """A fixed random sample of up to `count` posts of the structural families."""
    from features.view import STRUCTURAL_FAMILIES

    positions = records["positions"]
    posts = positions[positions["family"].isin(STRUCTURAL_FAMILIES)]["position_id"]
    return list(posts.sample(min(count, len(posts)), random_state=0))


def _rule_times(found: Champion, families: tuple[str, ...]) -> list[float]:
    """Milliseconds of every rule of each family for everyone in the view, 5 runs each; then the
    view's own eligibility, computed once per family and date and cached for the ranking."""
    from features.rules.eligibility import evaluate

    view = found.python_model.data().view(found.as_of)
    rules_ms = []
    for family in families:
        for _ in range(5):
            started = time.perf_counter()
            evaluate(view.facts, family, found.as_of)
            rules_ms.append((time.perf_counter() - started) * 1000)
        view.eligibility(family)
    return rules_ms


def _ranking_times(found: Champion, posts: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds of ranking for each post: through the pyfunc, and through `rank_candidates`
    alone (the post built outside the timing)."""
    import pandas as pd

    from features.planning.ranking import rank_candidates
    from features.view import post_of

    view = found.python_model.data().view(found.as_of)
    through_pyfunc, direct = [], []
    for position in posts:
        started = time.perf_counter()
        found.model.predict(
            pd.DataFrame(
                {"position_id": [position], "k": [10], "as_of": [found.as_of.date().isoformat()]}
            )
        )
        through_pyfunc.append((time.perf_counter() - started) * 1000)
        post = post_of(found.python_model.data().records, position, view.standards)
        started = time.perf_counter()
        rank_candidates(view, post, found.python_model.fitted, 10)
        direct.append((time.perf_counter() - started) * 1000)
    return through_pyfunc, direct


def national(url: str, tracking: str, people: int) -> dict[str, Any]:
    """Rank candidates for up to 40 structural posts (the first 5 warm up), top 10, among the
    province's employees tiled up to `people`; the eligibility of every family is timed first."""
    import numpy as np
    import pandas as pd

    from features.asof.frame import level_columns
    from features.asof.post_pairs import RECORD_FEATURES
    from features.view import STRUCTURAL_FAMILIES, View

    found = champion(url, tracking)
    province = found.python_model.data().view(found.as_of)
    records = found.python_model.data().records
    # what ranking reads, tiled: the province's people repeated until the population is reached
    keep = ["field", "family", "grade_rank", "agency_id", "position_id", "talent_box"]
    keep += ["rating_last", *RECORD_FEATURES, *level_columns("level")]
    slim = province.frame[list(dict.fromkeys(keep))]
    rows = np.resize(np.arange(len(slim)), people)
    frame = slim.iloc[rows]
    frame.index = pd.Index([f"{e}#{i}" for i, e in enumerate(frame.index)])
    facts = province.facts.iloc[rows].set_axis(frame.index)
    view = View(found.as_of, frame, province.levels[rows], facts, province.standards)
    del slim, province
    began = time.perf_counter()
    for family in STRUCTURAL_FAMILIES:
        view.eligibility(family)
    eligibility_seconds = time.perf_counter() - began
    times = np.array(_direct_times(found, view, records, structural_posts(records, 40))[5:])
    return {
        "people": len(frame),
        "eligibility_seconds": eligibility_seconds,
        "p50": float(np.median(times)),
        "p99": float(np.percentile(times, 99)),
    }


def _direct_times(found: Champion, view: View, records: Records, posts: list[str]) -> list[float]:
    """Milliseconds of `rank_candidates` for each post in `view` (the post built outside)."""
    from features.planning.ranking import rank_candidates
    from features.view import post_of

    times = []
    for position in posts:
        post = post_of(records, position, view.standards)
        started = time.perf_counter()
        rank_candidates(view, post, found.python_model.fitted, 10)
        times.append((time.perf_counter() - started) * 1000)
    return times


def plan(url: str, tracking: str) -> dict[str, Any]:
    """A placement plan for up to 200 structural vacancies (scipy `linear_sum_assignment`)
    against greedy picking: scoring and solving times, totals and vacancies filled."""
    from features.planning.plans import greedy_plan, placement_plan
    from features.planning.ranking import vacancy_matrix
    from features.view import post_of

    found = champion(url, tracking)
    view = found.python_model.data().view(found.as_of)
    records = found.python_model.data().records
    positions = records["positions"]
    structural = positions[positions["family"].isin(["pengawas", "administrator", "jpt_pratama"])]
    chosen = structural.sample(min(200, len(structural)), random_state=1)["position_id"]
    posts = [post_of(records, p, view.standards) for p in chosen]
    began = time.perf_counter()
    matrix = vacancy_matrix(view, posts, found.python_model.fitted)
    scored = time.perf_counter() - began
    args = (matrix.scores, matrix.eligible, matrix.vacancies, matrix.candidates)
    began = time.perf_counter()
    placed = placement_plan(*args)
    solved = time.perf_counter() - began
    greedy = greedy_plan(*args)
    return {
        "vacancies": len(posts),
        "candidates": len(matrix.candidates),
        "matrix_seconds": scored,
        "solver_seconds": solved,
        "plan_total": placed.total,
        "greedy_total": greedy.total,
        "plan_filled": len(placed.assignments),
        "greedy_filled": len(greedy.assignments),
    }


if __name__ == "__main__":
    run_step(train, latency, national, plan)
