"""Placements: ranking eligible candidates, the evaluation's metrics, fairness, career paths."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import mlflow
import numpy as np
import pandas as pd
import pytest

from features import reference
from features.candidates import CANDIDATE_FEATURES, PROXIMITY_FEATURES
from features.database import create_db_engine
from features.personal import load_protected
from features.records import Records, from_frames
from features.settings import Settings
from training import registry
from training.fairness import selection_rates
from training.paths import CareerPaths, family_graph, family_routes, project
from training.placement import (
    FitOnly,
    Imitation,
    SuccessModel,
    build_view,
    placement_events,
    post_of,
    rank_candidates,
    training_examples,
)
from training.placement_eval import Round, evaluate_placements
from training.split import TemporalSplit

AS_OF = pd.Timestamp("2024-01-01")

#: Never a model input: personal columns and what can be derived from them.
PROTECTED = {"nip", "name", "sex", "birth_date", "religion", "age", "age_band"}

#: id: (education, pelaksana since, grade, grade since, ratings 2021/2022, penalty date)
PEOPLE = {
    "FOUR_YEARS": ("S1", "2020-01-01", "III/b", "2019-01-01", ("baik", "baik"), None),
    "THREE_YEARS": ("S1", "2020-06-01", "III/b", "2019-01-01", ("baik", "baik"), None),
    "BUTUH_PERBAIKAN": (
        "S1",
        "2015-01-01",
        "III/b",
        "2019-01-01",
        ("baik", "butuh_perbaikan"),
        None,
    ),
    "PENALTY_23M": ("S1", "2015-01-01", "III/b", "2019-01-01", ("baik", "baik"), "2022-02-01"),
    "PENALTY_25M": ("S1", "2015-01-01", "III/b", "2019-01-01", ("baik", "baik"), "2021-12-01"),
    "SMA": ("SMA", "2015-01-01", "III/b", "2019-01-01", ("baik", "baik"), None),
}


def _hand_built() -> tuple[Records, pd.Series]:
    """Six pelaksana in one agency, a pengawas post held by someone else, an administrator post."""
    ids = [*PEOPLE, "HOLDER"]
    people = {
        **PEOPLE,
        "HOLDER": ("S1", "2015-01-01", "III/c", "2019-01-01", ("baik", "baik"), None),
    }
    frames = {
        "employees": pd.DataFrame(
            {
                "employee_id": ids,
                "employment_type": "PNS",
                "education": [p[0] for p in people.values()],
                "hire_date": "2010-01-01",
                "recorded_at": "2010-01-05",
            }
        ),
        "units": pd.DataFrame(
            {"unit_id": ["U1"], "agency_id": ["A1"], "name": ["U"], "unit_type": ["bidang"]}
        ),
        "positions": pd.DataFrame(
            {
                "position_id": ["PL", "PG", "AD"],
                "unit_id": "U1",
                "title": ["Staf", "Kepala Seksi", "Kepala Bidang"],
                "family": ["pelaksana", "pengawas", "administrator"],
                "field": "kesehatan",
                "occupation": None,
                "capacity": [9, 1, 1],
            }
        ),
        "position_history": pd.DataFrame(
            {
                "employee_id": ids,
                "position_id": ["PL"] * len(PEOPLE) + ["PG"],
                "start_date": [p[1] for p in people.values()],
                "reason": "pengangkatan",
                "recorded_at": [p[1] for p in people.values()],
            }
        ),
        "grade_history": pd.DataFrame(
            {
                "employee_id": ids,
                "grade": [p[2] for p in people.values()],
                "start_date": [p[3] for p in people.values()],
                "recorded_at": [p[3] for p in people.values()],
            }
        ),
        "evaluations": pd.DataFrame(
            [
                {
                    "employee_id": i,
                    "year": year,
                    "period": "annual",
                    "scheme": "predikat_2022",
                    "rating": rating,
                    "unit_id": "U1",
                    "recorded_at": f"{year + 1}-02-01",
                }
                for i, p in people.items()
                for year, rating in zip((2021, 2022), p[4], strict=True)
            ]
        ),
        "disciplinary_records": pd.DataFrame(
            [
                {
                    "employee_id": i,
                    "severity": "sedang",
                    "decided_on": p[5],
                    "start_date": p[5],
                    "recorded_at": p[5],
                }
                for i, p in people.items()
                if p[5]
            ]
        ),
        "courses": reference.load("courses"),
    }
    births = pd.Series(pd.Timestamp("1980-01-01"), index=ids)
    return from_frames(frames), births


@pytest.fixture(scope="module")
def hand_view():  # type: ignore[no-untyped-def]
    records, births = _hand_built()
    return records, build_view(records, AS_OF, births)


def test_ranking_returns_only_eligible_people_and_never_the_holder(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    post = post_of(records, "PG", view.standards)
    ranked = rank_candidates(view, post, FitOnly(), k=10)
    assert set(ranked["employee_id"]) == {"FOUR_YEARS", "PENALTY_25M"}
    assert ranked["eligible"].all() and list(ranked["rank"]) == [1, 2]
    everyone = rank_candidates(view, post, FitOnly(), k=10, include_ineligible=True)
    assert "HOLDER" not in set(everyone["employee_id"])
    failed = dict(
        zip(everyone["employee_id"], everyone["failed_rules"].map(json.loads), strict=True)
    )
    assert failed["THREE_YEARS"] == ["PREV-PGW"]
    assert failed["SMA"] == ["EDU-PGW"]
    assert failed["PENALTY_23M"] == ["DISC"]
    assert failed["BUTUH_PERBAIKAN"] == ["SKP"]
    when = dict(zip(everyone["employee_id"], everyone["eligible_from"], strict=True))
    assert when["THREE_YEARS"] == "2024-06-01" and when["SMA"] == ""
    assert len(rank_candidates(view, post, FitOnly(), k=1)) == 1


def test_unknown_position_is_a_clear_error(hand_view) -> None:  # type: ignore[no-untyped-def]
    records, view = hand_view
    with pytest.raises(KeyError, match="unknown position 'NOPE'"):
        post_of(records, "NOPE", view.standards)


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
            "years_in_grade": [0.0],
            "service_years": [5.0],
            "family": ["pelaksana"],
            "years_as_pelaksana": [5.0],
            "birth_date": [pd.Timestamp("1990-06-01")],
            "age": [33.0],
        }
    )
    later = project(facts, AS_OF, AS_OF + pd.DateOffset(years=10))
    regular = float(reference.constant("regular_promotion_years"))
    assert later["grade_rank"].iloc[0] == 9 + np.floor(10 / regular)
    assert later["service_years"].iloc[0] == pytest.approx(15.0, abs=0.01)
    assert later["years_as_pelaksana"].iloc[0] == pytest.approx(15.0, abs=0.01)
    assert later["age"].iloc[0] == 43
    far = project(facts, AS_OF, AS_OF + pd.DateOffset(years=40))
    top = reference.grade_rank()["III/d"]  # S1's regular cap and pelaksana's top grade
    assert far["grade_rank"].iloc[0] == top


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


@pytest.fixture(scope="module")
def small_examples(small_records: Records, small_database: str):  # type: ignore[no-untyped-def]
    births = load_protected(create_db_engine(small_database))["birth_date"]
    events = placement_events(small_records, range(2000, 2100))
    test_year = int(events["year"].max())
    split = TemporalSplit(tuple(range(int(events["year"].min()), test_year)), test_year)
    return training_examples(small_records, split, births)


def test_protected_attributes_are_never_model_inputs(small_examples) -> None:  # type: ignore[no-untyped-def]
    assert not PROTECTED & set(small_examples.placed.columns)
    for model in (SuccessModel().fit(small_examples), Imitation().fit(small_examples)):
        seen = set(model.model.feature_names_in_)
        assert seen <= set(CANDIDATE_FEATURES + PROXIMITY_FEATURES)
        assert not seen & PROTECTED
    # the success model does not learn past favouritism for insiders either
    assert "same_agency" not in SuccessModel().fit(small_examples).model.feature_names_in_


def test_success_model_refuses_data_without_failures(small_examples) -> None:  # type: ignore[no-untyped-def]
    only_successes = small_examples.placed.assign(success=1.0)
    examples = type(small_examples)(only_successes, small_examples.pools)
    with pytest.raises(ValueError, match="too few of each outcome"):
        SuccessModel().fit(examples)


@pytest.mark.slow
def test_train_register_promote_and_serve(store_settings: Settings, small_dataset: Path) -> None:
    from training.placement_pipeline import MODEL_NAME, PlacementConfig, train_placements
    from training.promotion import promote

    result = train_placements(PlacementConfig(truth_dir=small_dataset), store_settings)
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
        ({"position_id": ["NOPE"], "as_of": [as_of]}, "unknown position_id"),
        ({"position_id": [post], "k": [0], "as_of": [as_of]}, "k must be between"),
        ({"position_id": [post], "as_of": ["2001-01-01"]}, "training cutoff"),
        ({"k": [3]}, "position_id"),
    ):
        with pytest.raises(Exception, match=message):
            model.predict(pd.DataFrame(bad))
