"""Placements: ranking eligible candidates, the evaluation's metrics, fairness, career paths."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import mlflow
import numpy as np
import pandas as pd
import pytest

from features import reference
from features.asof.ages import age_band
from features.asof.post_pairs import CANDIDATE_FEATURES, PROXIMITY_FEATURES
from features.asof.records import Records, from_frames
from features.planning.paths import CareerPaths, family_graph, family_routes, project
from features.planning.plans import greedy_plan, placement_plan
from features.planning.ranking import rank_candidates, vacancy_matrix
from features.view import build_view, post_of, vacancy_post
from tests.factories import hand_built
from training import registry
from training.fairness import selection_rates
from training.placement import reasons as placement_reasons
from training.placement.evaluation import Round, evaluate_placements
from training.placement.model import (
    FitOnly,
    Imitation,
    SuccessModel,
    observed_success,
    placement_events,
)
from training.registry import RegistrySettings as Settings

AS_OF = hand_built.AS_OF

#: Never a model input: personal columns and what can be derived from them.
PROTECTED = {"nip", "name", "sex", "birth_date", "religion", "age", "age_band"}


def _hand_built() -> tuple[Records, pd.Series]:
    """The hand-built pelaksana, and a pengawas (HOLDER, III/d) holding post PG since 2015."""
    holder = ("S1", "2015-01-01", "III/d", "2019-01-01", ("baik", "baik"), None)
    return hand_built.records({**hand_built.PEOPLE, "HOLDER": holder}, held={"HOLDER": "PG"})


@pytest.fixture(scope="module")
def hand_view():  # type: ignore[no-untyped-def]
    records, births = _hand_built()
    return records, build_view(records, AS_OF, births)


class _Column:
    """A scorer reading one candidate feature (higher = better)."""

    def __init__(self, column: str) -> None:
        self.name = column

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return pairs[self.name].to_numpy(dtype=float)


def test_ranking_returns_only_eligible_people_and_never_the_holder(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    post = post_of(records, "PG", view.standards)
    ranked = rank_candidates(view, post, _Column("years_in_position"), k=10)
    # both eligible; PENALTY_25M has held the post for 9 years, FOUR_YEARS for 4
    assert list(ranked["employee_id"]) == ["PENALTY_25M", "FOUR_YEARS"]
    assert ranked["eligible"].all() and list(ranked["rank"]) == [1, 2]
    assert ranked["score"].iloc[0] > ranked["score"].iloc[1]
    everyone = rank_candidates(view, post, FitOnly(), k=10, include_ineligible=True)
    assert "HOLDER" not in set(everyone["employee_id"])
    failed = dict(zip(everyone["employee_id"], everyone["failed_rules"], strict=True))
    assert failed["THREE_YEARS"] == ["PREV-PGW"]
    assert failed["SMA"] == ["EDU-PGW"]
    assert failed["PENALTY_23M"] == ["DISC"]
    assert failed["BUTUH_PERBAIKAN"] == ["SKP"]
    when = dict(zip(everyone["employee_id"], everyone["eligible_from"], strict=True))
    assert when["THREE_YEARS"] == "2024-06-01" and when["SMA"] == ""
    assert len(rank_candidates(view, post, FitOnly(), k=1)) == 1


def test_unknown_or_non_structural_position_is_a_clear_error(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    with pytest.raises(KeyError, match="unknown position 'NOPE'"):
        post_of(records, "NOPE", view.standards)
    with pytest.raises(ValueError, match="PL is a pelaksana post"):
        vacancy_post(records, "PL", view.standards)
    assert vacancy_post(records, "PG", view.standards).family == "pengawas"


def test_vacancy_matrix_allows_eligible_people_only_and_never_the_holder(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    posts = [post_of(records, p, view.standards) for p in ("PG", "AD")]
    matrix = vacancy_matrix(view, posts, FitOnly())
    allowed = pd.DataFrame(matrix.eligible, index=matrix.vacancies, columns=matrix.candidates)
    assert set(allowed.columns[allowed.loc["PG"]]) == {"FOUR_YEARS", "PENALTY_25M"}
    # the holder of PG (III/d since 2019, 9 years as pengawas) may go to AD but not to PG
    assert allowed.loc["AD", "HOLDER"] and not allowed.loc["PG", "HOLDER"]
    assert not allowed.loc["AD", "FOUR_YEARS"]  # no years as pengawas
    plan = placement_plan(matrix.scores, matrix.eligible, matrix.vacancies, matrix.candidates)
    assert plan.assignments["candidate"].is_unique
    assert set(plan.assignments["vacancy"]) == {"PG", "AD"}


def test_greedy_and_solver_plans_with_nobody_eligible() -> None:
    empty = np.zeros((2, 0))
    for planner in (placement_plan, greedy_plan):
        plan = planner(empty, empty.astype(bool), ["V1", "V2"], [])
        assert plan.assignments.empty and plan.unfilled == ["V1", "V2"]


def test_placements_and_outcomes_are_known_only_once_recorded() -> None:
    records, _ = _hand_built()
    move = pd.DataFrame(
        {
            "employee_id": ["FOUR_YEARS", "PENALTY_25M"],
            "position_id": ["PG", "AD"],
            "start_date": ["2024-03-01", "2024-08-01"],
            "reason": "promosi",
            "recorded_at": ["2024-02-20", "2024-07-20"],
        }
    )
    ratings = pd.DataFrame(
        {
            "employee_id": ["FOUR_YEARS", "PENALTY_25M", "PENALTY_25M"],
            "year": [2024, 2024, 2025],
            "period": "annual",
            "scheme": "predikat_2022",
            "rating": ["baik", "baik", "butuh_perbaikan"],
            "unit_id": "U1",
            "recorded_at": ["2025-02-01", "2025-02-01", "2026-02-01"],
        }
    )
    frames = dict(records.tables)
    frames["position_history"] = pd.concat([frames["position_history"], move])
    frames["evaluations"] = pd.concat([frames["evaluations"], ratings])
    later = from_frames(frames)
    assert placement_events(later, [2024], known_before=pd.Timestamp("2024-02-01")).empty
    events = placement_events(later, [2024])
    assert list(events["employee_id"]) == ["PENALTY_25M", "FOUR_YEARS"] or len(events) == 2
    events = events.set_index("employee_id", drop=False)
    before = observed_success(later, events, known_before=pd.Timestamp("2025-01-01"))
    assert before.isna().all()  # the 2024 SKPs were not recorded yet
    after = observed_success(later, events)
    assert after["FOUR_YEARS"] == 1.0
    # a move in August is judged by the next year's SKP (Butuh Perbaikan), not by 2024's
    assert after["PENALTY_25M"] == 0.0


def test_age_bands_use_completed_years() -> None:
    births = pd.Series(pd.to_datetime(["1984-01-02", "1984-01-01", "1974-01-01", None]))
    bands = age_band(births, AS_OF)
    assert bands.iloc[0] == "<40" and bands.iloc[1] == "40-49"  # 40 on 2024-01-01, not before
    assert bands.iloc[2] == "50+" and pd.isna(bands.iloc[3])


def test_features_do_not_change_when_birth_dates_do(hand_view) -> None:  # type: ignore[no-untyped-def]
    """Birth dates feed the legal age check only: shuffling them changes no candidate feature."""
    records, view = hand_view
    _, births = _hand_built()
    shuffled = pd.Series(
        pd.to_datetime(["1960-05-05", "1999-09-09", "1970-01-01", "1985-03-03"] * 2)[: len(births)],
        index=births.index,
    )
    other = build_view(records, AS_OF, shuffled)
    post = post_of(records, "AD", view.standards)
    pd.testing.assert_frame_equal(view.pairs(post), other.pairs(post))
    assert not PROTECTED & set(view.frame.columns)


def test_selection_rates_and_the_four_fifths_rule() -> None:
    candidates = pd.DataFrame({"sex": ["F"] * 10 + ["M"] * 5})
    selected = pd.Series([True] * 2 + [False] * 8 + [True] * 2 + [False] * 3)
    table = selection_rates(candidates, selected, ["sex"]).set_index("group")
    assert table.loc["F", "rate"] == pytest.approx(0.2)
    assert table.loc["M", "rate"] == pytest.approx(0.4)
    assert table.loc["F", "impact_ratio"] == pytest.approx(0.5)
    assert table.loc["F", "adverse_impact"] and not table.loc["M", "adverse_impact"]


class _ByColumn:
    name = "by_x"

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return pairs["x"].to_numpy(dtype=float)


def test_evaluation_metrics_on_a_hand_computed_round() -> None:
    """Two vacancies of three candidates; the scorer ranks by x."""
    pools = pd.DataFrame(
        {
            "vacancy": ["V1"] * 3 + ["V2"] * 3,
            "employee_id": ["a", "b", "c", "d", "e", "f"],
            "family": "pengawas",
            "eligible": [True, True, True, False, True, True],
            "placed": [True, False, False, False, False, True],
            "true_p": [0.9, 0.5, 0.4, 0.99, 0.6, 0.7],
        }
    )
    pairs = pd.DataFrame({"x": [3.0, 2.0, 1.0, 9.0, 8.0, 1.0]})
    events = pd.DataFrame(
        {"vacancy": ["V1", "V2"], "employee_id": ["a", "f"], "success": [1.0, 1.0]}
    )
    view = SimpleNamespace(as_of=AS_OF)
    test = Round(2024, view, events, pools, pairs)  # type: ignore[arg-type]
    report = evaluate_placements([_ByColumn()], test)
    row = report.overall.loc["by_x"]
    # V1: the placed person ranks 1st (gain 1); V2: 3rd of 3 (gain 1/log2(4) = 0.5)
    assert row["ndcg@10"] == pytest.approx(0.75)
    # top eligible: a (0.9) and e (0.6) — d scores highest but is not eligible
    assert row["true_success@1"] == pytest.approx(0.75)
    assert row["true_success@5"] == pytest.approx(((0.9 + 0.5 + 0.4) / 3 + (0.6 + 0.7) / 2) / 2)
    assert report.overall.loc["historical", "true_success@1"] == pytest.approx(0.8)
    assert report.overall.loc["oracle", "true_success@1"] == pytest.approx((0.9 + 0.7) / 2)

    # fairness over the same candidates (the whole pools) for suggestions and history
    protected = pd.DataFrame(
        {
            "sex": ["F", "M", "F", "M", "F", "M"],
            "birth_date": pd.to_datetime(["1990-01-01"] * 3 + ["1970-01-01"] * 3),
        },
        index=["a", "b", "c", "d", "e", "f"],
    )
    fairness = evaluate_placements([_ByColumn()], test, protected).fairness
    top1 = fairness[(fairness["model"] == "by_x") & (fairness["k"] == 1)].set_index("group")
    history = fairness[fairness["model"] == "historical"].set_index("group")
    # suggestions: a (F, <40) and e (F, 50+); history: a (F, <40) and f (M, 50+)
    assert top1.loc["F", ["candidates", "selected"]].tolist() == [3, 2]
    assert top1.loc["M", "selected"] == 0 and top1.loc["M", "impact_ratio"] == 0
    assert history.loc["F", "rate"] == pytest.approx(1 / 3) == history.loc["M", "rate"]
    assert history.loc["<40", "candidates"] == 3 and history.loc["50+", "selected"] == 1


def test_family_graph_steps_up_and_routes_stay_within_three_moves() -> None:
    graph = family_graph()
    assert all(family not in targets for family, targets in graph.items())
    assert family_routes("pelaksana", "administrator") == [["pengawas", "administrator"]]
    routes = family_routes("jf_ahli_muda", "jpt_pratama")
    assert routes[0] == ["administrator", "jpt_pratama"]
    assert all(len(route) <= 3 and route[-1] == "jpt_pratama" for route in routes)
    assert family_routes("pelaksana", "jpt_madya") == []  # four moves away


def test_projection_raises_grades_up_to_the_cap_and_ages_the_person() -> None:
    facts = pd.DataFrame(
        {
            "education": ["S1"],
            "grade_rank": [9.0],  # III/a
            "grade_since": [AS_OF],
            "hire_date": [AS_OF - pd.DateOffset(years=5)],
            "family": ["pelaksana"],
            "birth_date": [pd.Timestamp("1990-06-01")],
            "age": [33.0],
        }
    )
    later = project(facts, AS_OF + pd.DateOffset(years=10))
    regular = int(reference.constant("regular_promotion_years"))
    assert later["grade_rank"].iloc[0] == 9 + 10 // regular
    # the grade's TMT moves with each regular promotion, by the calendar
    assert later["grade_since"].iloc[0] == AS_OF + pd.DateOffset(years=regular * (10 // regular))
    assert later["hire_date"].iloc[0] == facts["hire_date"].iloc[0]  # service is counted, not kept
    assert later["age"].iloc[0] == 43
    # one day before the second promotion's anniversary, the grade has risen once
    before = project(facts, AS_OF + pd.DateOffset(years=2 * regular) - pd.Timedelta(days=1))
    assert before["grade_rank"].iloc[0] == 10
    far = project(facts, AS_OF + pd.DateOffset(years=40))
    top = reference.grade_rank()["III/d"]  # S1's regular cap and pelaksana's top grade
    assert far["grade_rank"].iloc[0] == top


def test_routes_skip_families_without_any_post(hand_view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    routes = [["jf_ahli_utama", "administrator"], ["pengawas", "administrator"]]
    monkeypatch.setattr("features.planning.paths.family_routes", lambda start, target: routes)
    found = CareerPaths(view, records).routes("THREE_YEARS", "AD")
    assert [[step.family for step in route] for route in found] == [["pengawas", "administrator"]]


def test_route_dates_follow_the_rules(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    paths = CareerPaths(view, records)
    [route] = paths.routes("THREE_YEARS", "AD")
    pengawas, administrator = route
    assert pengawas.eligible_from == pd.Timestamp("2024-06-01")  # 4 years as pelaksana
    # 3 years as pengawas after that; the grade (III/d from III/b) is reached by then
    assert administrator.eligible_from is not None
    assert abs((administrator.eligible_from - pd.Timestamp("2027-06-01")).days) <= 1
    [blocked] = paths.routes("SMA", "AD")
    assert blocked[0].eligible_from is None and "EDU-PGW" in blocked[0].blocking
    assert len(blocked) == 1  # nothing after a step time cannot unlock
    with pytest.raises(KeyError, match="unknown position"):
        paths.routes("THREE_YEARS", "NOPE")


def test_next_steps_are_a_step_up_with_eligibility(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    steps = CareerPaths(view, records).next_steps("THREE_YEARS")
    assert list(steps["family"]) == ["pengawas"]
    assert not steps["eligible"].iloc[0] and steps["eligible_from"].iloc[0] == "2024-06-01"
    with pytest.raises(KeyError, match="not active"):
        CareerPaths(view, records).next_steps("NOBODY")


def test_paths_measure_fit_and_gaps_on_the_levels_given(
    small_records: Records, small_database: str, split
) -> None:  # type: ignore[no-untyped-def]
    """The service gives a person's current levels (the training champion's estimate, the one
    its reasons quote): next steps and routes measure fit and gaps on them, on the view's
    levels only when none are given."""
    from features.store.database import create_db_engine
    from features.store.personal import load_birth_dates

    births = load_birth_dates(create_db_engine(small_database))
    view = build_view(small_records, split.cutoff, births)
    paths = CareerPaths(view, small_records)
    short = [
        (person, steps)
        for person in view.frame.index[:60]
        if len(steps := paths.next_steps(str(person), k=3)) and steps["missing"].map(len).any()
    ]
    assert short, "some of the small dataset fall short of their next step"
    person, steps = short[0]
    own = view.levels[view.frame.index.get_loc(person)]
    pd.testing.assert_frame_equal(paths.next_steps(person, k=3, levels=own), steps)
    top = np.full_like(own, 5.0)
    raised = paths.next_steps(person, k=3, levels=top)
    assert raised["missing"].map(len).sum() == 0
    assert raised["fit_score"].max() > steps["fit_score"].max()
    target = str(steps["position_id"].iloc[0])
    for route in paths.routes(person, target, levels=top):
        assert all(step.shortfall.empty for step in route)
    with pytest.raises(ValueError, match="one per competency"):
        paths.next_steps(person, levels=top[:3])


def test_protected_attributes_are_never_model_inputs(small_examples) -> None:  # type: ignore[no-untyped-def]
    assert not PROTECTED & set(small_examples.placed.columns)
    for model in (SuccessModel().fit(small_examples), Imitation().fit(small_examples)):
        seen = set(model.model.feature_names_in_)
        assert seen <= set(CANDIDATE_FEATURES + PROXIMITY_FEATURES)
        assert not seen & PROTECTED
    # the success model does not learn past favouritism for insiders either
    assert "same_agency" not in SuccessModel().fit(small_examples).model.feature_names_in_


def test_reasons_name_the_largest_contributions_with_their_direction(small_examples) -> None:  # type: ignore[no-untyped-def]
    """A candidate's reasons are the features that move their score most, each saying whether
    it raises or lowers the predicted success: they add up with the intercept (and the
    calibration's shift, the same for everyone) to the score's log-odds."""
    model = SuccessModel().fit(small_examples)
    pairs = small_examples.pools.head(25)
    parts = placement_reasons.contributions(model.model, model.features, pairs)
    shift = model.calibration.offset if model.calibration else 0.0
    logit = parts.sum(axis=1) + model.model[-1].intercept_[0] + shift
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), model.score(pairs), rtol=1e-9)
    for row, reasons in enumerate(model.reasons(pairs)):
        assert len(reasons) == placement_reasons.REASONS_SHOWN
        largest = parts.iloc[row].abs().sort_values(ascending=False).index[0]
        assert reasons[0]["feature"] == largest
        for reason in reasons:
            raises = parts.iloc[row][reason["feature"]] >= 0
            assert reason["code"] == ("raises_success" if raises else "lowers_success")
            assert ("menaikkan" in reason["text_id"]) == raises


def test_ranking_only_among_the_marked_people(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    post = post_of(records, "PG", view.standards)
    among = view.frame.index != "PENALTY_25M"
    ranked = rank_candidates(view, post, _Column("years_in_position"), k=10, among=among)
    assert list(ranked["employee_id"]) == ["FOUR_YEARS"]


def test_success_model_refuses_data_without_failures(small_examples) -> None:  # type: ignore[no-untyped-def]
    only_successes = small_examples.placed.assign(success=1.0)
    examples = type(small_examples)(only_successes, small_examples.pools)
    with pytest.raises(ValueError, match="too few of each outcome"):
        SuccessModel().fit(examples)


@pytest.mark.slow
def test_train_register_promote_and_serve(
    store_settings: Settings, small_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training.contract import PLACEMENT_SUCCESS as MODEL_NAME
    from training.placement.kind import PlacementConfig, PlacementSuccess
    from training.promotion import promote
    from training.run import train

    result = train(PlacementSuccess(PlacementConfig(truth_dir=small_dataset)), store_settings)
    overall = result.report.overall
    assert {"learned", "fit_only", "imitation", "historical", "oracle"} <= set(overall.index)
    assert set(result.report.fairness["attribute"]) == {"sex", "age_band"}
    client = registry.configure(store_settings)
    assert registry.alias_version(client, MODEL_NAME, registry.CHALLENGER) == result.version
    run = client.get_run(result.run_id)
    # AUC needs both outcomes among the few test placements of a small region
    assert {"ndcg_at_10", "true_success_at_1"} <= set(run.data.metrics)
    assert any(k.startswith("fairness.historical.sex") for k in run.data.metrics)
    promote(store_settings, MODEL_NAME, reason="first", truth_dir=small_dataset)
    assert registry.alias_version(client, MODEL_NAME, registry.CHAMPION) == result.version

    model = mlflow.pyfunc.load_model(
        f"models:/{MODEL_NAME}@champion", model_config={"database_url": store_settings.database_url}
    )
    as_of = f"{result.split.test_year}-06-01"
    records_positions = pd.read_parquet(small_dataset / "positions.parquet")
    post = records_positions.loc[records_positions["family"] == "pengawas", "position_id"].iloc[0]
    answer = model.predict(pd.DataFrame({"position_id": [post], "k": [5], "as_of": [as_of]}))
    assert 0 < len(answer) <= 5 and answer["eligible"].all()
    assert answer["score"].is_monotonic_decreasing
    for bad, message in (
        ({"position_id": ["NOPE"], "as_of": [as_of]}, "row 0: unknown position_id 'NOPE'"),
        ({"position_id": [post], "as_of": ["2001-01-01"]}, "training cutoff"),
    ):
        with pytest.raises(ValueError, match=message):
            model.unwrap_python_model().predict(None, pd.DataFrame(bad))
    jf = records_positions.loc[records_positions["family"] == "jf_ahli_muda", "position_id"]
    with pytest.raises(ValueError, match="candidates are ranked for posts filled by placement"):
        model.unwrap_python_model().predict(None, pd.DataFrame({"position_id": [jf.iloc[0]]}))

    # the HR planner's and analyst's view from the command line
    from typer.testing import CliRunner

    from features.store.settings import get_settings
    from service.cli import app

    monkeypatch.setenv("JENJANG_DATABASE_URL", store_settings.database_url)
    monkeypatch.setenv("JENJANG_TRACKING_URI", store_settings.tracking_uri)
    get_settings.cache_clear()
    try:

        def run(*args: str):  # type: ignore[no-untyped-def]
            return CliRunner().invoke(app, ["placements", *args, "--as-of", as_of])

        ranked = run("candidates", post, "--k", "3")
        assert ranked.exit_code == 0, ranked.output
        assert f"placement-success v{result.version}" in " ".join(ranked.output.split())
        wrong = run("candidates", str(jf.iloc[0]))
        assert wrong.exit_code == 2 and "filled by placement" in " ".join(wrong.output.split())
        early = CliRunner().invoke(app, ["placements", "candidates", post, "--as-of", "2001-01-01"])
        assert early.exit_code == 2 and "training cutoff" in " ".join(early.output.split())
        person = _a_pelaksana(small_dataset)
        assert run("paths", person).exit_code == 0
        assert run("paths", person, "--to", post).exit_code == 0
        assert run("paths", "NOBODY").exit_code == 2
        assert run("succession", "administrator").exit_code == 0
        assert run("succession", "pelaksana").exit_code == 2
        two = records_positions.loc[records_positions["family"] == "pengawas", "position_id"][:2]
        planned = run("plan", *two)
        assert planned.exit_code == 0 and "total predicted success" in planned.output
        status = CliRunner().invoke(app, ["models", "status", MODEL_NAME])
        assert status.exit_code == 0 and "champion" in status.output
    finally:
        get_settings.cache_clear()


def _a_pelaksana(dataset: Path) -> str:
    """Someone of the small dataset with a step up ahead."""
    history = pd.read_parquet(dataset / "position_history.parquet")
    positions = pd.read_parquet(dataset / "positions.parquet").set_index("position_id")
    families = history["position_id"].map(positions["family"])
    return str(history.loc[families == "pelaksana", "employee_id"].iloc[-1])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"k": 3}, "input needs the 'position_id' column"),
        ({"position_id": ""}, "row 0: position_id must be a non-empty string"),
        ({"position_id": "P", "k": 0}, "row 0: k must be between 1 and 50"),
        ({"position_id": "P", "k": 2.5}, "row 0: k must be a whole number"),
        ({"position_id": "P", "as_of": "yesterday"}, "row 0: as_of 'yesterday' is not a date"),
        ({"position_id": "P", "include_ineligible": "yes"}, "include_ineligible must be true"),
    ],
)
def test_pyfunc_input_errors_name_the_row_and_field(row: dict, message: str) -> None:
    from training.placement.pyfunc import PlacementModel

    with pytest.raises(ValueError, match=message):
        PlacementModel().requests(pd.DataFrame([row]))
