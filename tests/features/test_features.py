"""Point-in-time features: hand-computed values, both SKP schemes, missing assessments, no
leakage from the future, and the locked feature list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.asof.course_history import completed, recorded, taken_pairs
from features.asof.course_pairs import (
    Catalogue,
    allowed_matrix,
    course_uptake,
    pair_features,
    taken_matrix,
)
from features.asof.frame import EMPLOYEE_FEATURES, FEATURE_SET_VERSION, block, build_feature_frame
from features.asof.positions import competency_codes
from features.asof.transformers import (
    FEATURE_NAMES_FILE,
    LevelImputer,
    PairEncoder,
    locked_feature_names,
)
from tests.factories import records as factory
from tests.factories.records import AS_OF


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return build_feature_frame(factory.spine(), factory.records()).set_index("employee_id")


def level(frame: pd.DataFrame, prefix: str, employee: str, code: str) -> float:
    return float(frame.loc[employee, f"{prefix}__{code}"])


def test_position_grade_and_tenure_as_of(frame: pd.DataFrame) -> None:
    e1 = frame.loc["E1"]
    assert e1["position_id"] == "P1" and e1["family"] == "pengawas"
    assert e1["years_in_position"] == pytest.approx(
        (AS_OF - pd.Timestamp("2022-03-01")).days / 365.25
    )
    assert e1["grade_rank"] == 11  # III/c
    assert frame.loc["E2", "position_id"] == "P2"


def test_latest_known_levels_and_gaps_to_current_and_next_standard(frame: pd.DataFrame) -> None:
    # the 2023-12-20 assessment was recorded after AS_OF: M.01 is still the 2020 value
    assert level(frame, "level", "E1", "M.01") == 1
    assert level(frame, "level", "E1", "T.KES.01") == 2
    assert np.isnan(level(frame, "level", "E1", "M.02"))
    assert level(frame, "required", "E1", "T.KES.01") == 3
    # the next step of pengawas is administrator: general 3, technical at least 3
    assert level(frame, "next_required", "E1", "M.01") == 3
    assert level(frame, "next_required", "E1", "T.KES.01") == 3
    e1 = frame.loc["E1"]
    assert e1["measured_share"] == pytest.approx(3 / 10)
    assert e1["gap_current_mean"] == pytest.approx(1.0)  # M.01 1→2, M.04 1→2, T.KES.01 2→3
    assert e1["gap_next_mean"] == pytest.approx(5 / 3)  # 2 + 2 + 1 over 3 measured
    assert e1["potential_score"] == 72 and e1["assessed"] == 1


def test_both_skp_schemes_are_harmonised_and_normalised_by_unit(frame: pd.DataFrame) -> None:
    e1 = frame.loc["E1"]
    # 2021: score 92 with no category → Sangat Baik (5); 2022: predikat Baik (4); 2023 unknown yet
    assert e1["rating_last"] == 4
    assert e1["rating_mean_2y"] == 4.5 and e1["rating_min_2y"] == 4
    assert e1["rating_trend_3y"] == pytest.approx(-1.0)
    # 2022 peers in U1: 4, 3, 5 → mean 4, E1 is at 0; 2021 had only 2 rated: not normalised
    assert e1["rating_vs_unit_2y"] == pytest.approx(0.0)
    assert frame.loc["E3", "rating_vs_unit_2y"] == pytest.approx(1.0)
    assert frame.loc["E2", "rating_last"] == 3  # score 70 → Cukup; then Butuh Perbaikan
    assert e1["unit_rating_last"] == 4


def test_training_history_jp_right_and_leadership_owed(frame: pd.DataFrame) -> None:
    e1, e2 = frame.loc["E1"], frame.loc["E2"]
    assert e1["jp_12m"] == 20 and e1["jp_24m"] == 50  # the December course is not known yet
    assert e1["jp_shortfall_12m"] == 0
    assert e1["courses_taken"] == 2 and e1["courses_managerial"] == 1
    assert e1["leadership_owed"] == 1 and e1["leadership_overdue"] == 1
    assert e1["leadership_course"] == "C001"  # PKP
    assert e2["jp_12m"] == 0 and e2["jp_shortfall_12m"] == 20
    assert np.isnan(e2["years_since_training"])
    assert e2["leadership_owed"] == 0


def test_talent_box_and_discipline(frame: pd.DataFrame) -> None:
    assert frame.loc["E1", "talent_box"] == 9  # di atas (4.5) × tinggi
    assert np.isnan(frame.loc["E3", "talent_box"])  # never assessed: no potential tier
    assert frame.loc["E2", "discipline_excluded"] == 1


def test_missing_assessments_stay_missing_until_imputed(frame: pd.DataFrame) -> None:
    e3 = frame.loc[["E3"]].reset_index()
    assert np.isnan(block(e3, "level")).all()
    assert e3.loc[0, "assessed"] == 0 and np.isnan(e3.loc[0, "gap_current_mean"])
    imputer = LevelImputer(min_observations=1).fit(frame.reset_index())
    filled = imputer.transform(frame.reset_index()).set_index("employee_id")
    # E3 is pelaksana; nobody measured as pelaksana → overall mean of E1's measurements
    assert filled.loc["E3", "level__M.01"] == 1.0
    assert filled.loc["E3", "levels_imputed"] == 9  # every competency of P2's standard
    assert filled.loc["E1", "level__M.01"] == 1.0  # measured values are kept


def test_unknown_person_keeps_a_row_without_values() -> None:
    frame = build_feature_frame(factory.spine("E1", "NOBODY"), factory.records())
    assert list(frame["employee_id"]) == ["E1", "NOBODY"]
    assert pd.isna(frame.loc[1, "position_id"])


def test_future_records_change_nothing() -> None:
    """Leakage: facts recorded on or after as_of (even about earlier periods) are invisible."""
    base = factory.tables()
    before = build_feature_frame(factory.spine(), factory.records())
    later = pd.Timestamp("2024-01-01 00:00:00")
    future = {
        "evaluations": pd.concat(
            [
                base["evaluations"],
                pd.DataFrame(
                    {
                        "employee_id": ["E2"],
                        "year": [2023],
                        "period": "annual",
                        "scheme": ["predikat_2022"],
                        "rating": ["sangat_kurang"],
                        "unit_id": ["U1"],
                        "recorded_at": [later],
                    }
                ),
            ]
        ),
        "assessments": pd.concat(
            [
                base["assessments"],
                pd.DataFrame(
                    {
                        "assessment_id": ["A9"],
                        "employee_id": ["E3"],
                        "assessed_on": ["2023-06-01"],
                        "method": ["cat"],
                        "potential_score": [20.0],
                        "potential_tier": ["rendah"],
                        "recorded_at": [later],
                    }
                ),
            ]
        ),
        "assessment_levels": pd.concat(
            [
                base["assessment_levels"],
                pd.DataFrame({"assessment_id": ["A9"], "competency_code": ["M.01"], "level": [5]}),
            ]
        ),
        "training_records": pd.concat(
            [
                base["training_records"],
                pd.DataFrame(
                    {
                        "employee_id": ["E2", "E1"],
                        "title": ["x", "PKP"],
                        "course_id": ["C029", "C001"],
                        "jp": [40, 830],
                        "start_date": ["2023-03-01", "2023-01-01"],
                        "end_date": ["2023-03-05", "2023-11-01"],
                        "recorded_at": [later, "2024-03-01"],
                    }
                ),
            ]
        ),
        "position_history": pd.concat(
            [
                base["position_history"],
                pd.DataFrame(
                    {
                        "employee_id": ["E2"],
                        "position_id": ["P1"],
                        "start_date": ["2023-10-01"],
                        "reason": ["promosi"],
                        "recorded_at": [later],
                    }
                ),
            ]
        ),
        "disciplinary_records": pd.concat(
            [
                base["disciplinary_records"],
                pd.DataFrame(
                    {
                        "employee_id": ["E1"],
                        "severity": ["berat"],
                        "decided_on": ["2023-12-01"],
                        "start_date": ["2023-12-01"],
                        "recorded_at": [later],
                    }
                ),
            ]
        ),
    }
    after = build_feature_frame(factory.spine(), factory.records(**future))
    pd.testing.assert_frame_equal(before, after)


def test_pair_features_cover_gaps_and_candidates_follow_the_rules() -> None:
    records = factory.records()
    frame = build_feature_frame(factory.spine(), records)
    filled = LevelImputer(min_observations=1).fit(frame).transform(frame)
    catalogue = Catalogue.from_records(records)
    column = {c: i for i, c in enumerate(catalogue.ids)}
    taken = taken_matrix(filled, taken_pairs(completed(records, AS_OF)), catalogue)
    allowed = allowed_matrix(filled, taken, catalogue)
    e1, e2 = 0, 1
    assert taken[e1, column["C014"]] and not allowed[e1, column["C014"]]  # already taken
    assert allowed[e1, column["C001"]] and not allowed[e2, column["C001"]]  # PKP: owed by E1 only
    assert not allowed[e1, column["C052"]]  # needs C051 first
    assert not allowed[:, column["C005"]].any()  # Latsar is never suggested
    rows = np.array([e1, e1])
    cols = np.array([column["C051"], column["C029"]])
    pairs = pair_features(filled, catalogue, course_uptake(records, catalogue, AS_OF), rows, cols)
    # C051: T.KES.01 band 1–2 gain 0.5 (E1 at 2, gap 1) + M.04 band 1–2 gain 0.1 (E1 at 1, gap 1)
    assert pairs.loc[0, "cover_current"] == pytest.approx(0.6)
    assert pairs.loc[0, "gap_targets_current"] == 2 and pairs.loc[0, "field_match"] == 1
    assert pairs.loc[1, "cover_current"] == pytest.approx(0.15)  # C029: M.04 only, gain 0.15
    assert pairs.loc[0, "jp_log"] == pytest.approx(np.log1p(48))


def test_feature_names_are_locked() -> None:
    """Changing the model inputs must be deliberate: update the list and FEATURE_SET_VERSION."""
    names = tuple(PairEncoder().fit(_any_pairs()).get_feature_names_out())
    assert names == locked_feature_names("pairs")
    assert tuple(EMPLOYEE_FEATURES) == locked_feature_names("employee")
    header = FEATURE_NAMES_FILE.read_text().splitlines()[0]
    assert f"version {FEATURE_SET_VERSION}." in header
    assert len(EMPLOYEE_FEATURES) == len(set(EMPLOYEE_FEATURES))
    assert len(competency_codes()) == 73


def test_no_personal_column_reaches_the_features() -> None:
    records = factory.records()
    assert not {"nip", "name", "sex", "birth_date"} & set(records["employees"].columns)
    frame = build_feature_frame(factory.spine(), records)
    assert not {"nip", "name", "sex", "birth_date", "age"} & set(frame.columns)


def _any_pairs() -> pd.DataFrame:
    records = factory.records()
    frame = LevelImputer(min_observations=1).fit_transform(
        build_feature_frame(factory.spine(), records)
    )
    catalogue = Catalogue.from_records(records)
    return pair_features(
        frame, catalogue, course_uptake(records, catalogue, AS_OF), np.array([0]), np.array([0])
    )


def test_a_repeated_spine_row_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="repeats"):
        build_feature_frame(factory.spine("E1", "E1"), factory.records())


def test_a_course_under_way_is_taken_but_not_yet_counted() -> None:
    """Recorded before as_of but ending after it: not suggested again, no JP yet."""
    base = factory.tables()
    under_way = pd.DataFrame(
        {
            "employee_id": ["E2"],
            "title": ["Manajemen Waktu"],
            "course_id": ["C029"],
            "jp": [40],
            "start_date": ["2023-12-20"],
            "end_date": ["2024-02-01"],
            "recorded_at": ["2023-12-22"],
        }
    )
    records = factory.records(
        training_records=pd.concat([base["training_records"], under_way], ignore_index=True)
    )
    frame = build_feature_frame(factory.spine(), records).set_index("employee_id")
    assert frame.loc["E2", "jp_12m"] == 0 and frame.loc["E2", "courses_taken"] == 0
    catalogue = Catalogue.from_records(records)
    taken = taken_matrix(frame.reset_index(), taken_pairs(recorded(records, AS_OF)), catalogue)
    assert taken[1, list(catalogue.ids).index("C029")]
