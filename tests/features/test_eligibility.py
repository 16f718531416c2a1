"""Eligibility rules at their boundaries, on hand-built people (as of 2024-01-01)."""

from __future__ import annotations

import pandas as pd
import pytest

from features import reference
from features.rules.eligibility import eligibility_facts, evaluate, messages, rules
from tests.factories import hand_built

AS_OF = hand_built.AS_OF


def _records(**extra: pd.DataFrame) -> tuple[object, pd.Series]:
    return hand_built.records(**extra)


@pytest.fixture(scope="module")
def pengawas() -> tuple[object, object]:
    records, births = _records()
    facts = eligibility_facts(records, AS_OF, births)  # type: ignore[arg-type]
    return evaluate(facts, "pengawas", AS_OF), facts


def test_exactly_four_years_as_pelaksana_is_enough(pengawas) -> None:  # type: ignore[no-untyped-def]
    result, _ = pengawas
    assert result.eligible["FOUR_YEARS"]
    assert result.failed.loc["THREE_YEARS", "PREV-PGW"]
    # time will satisfy it: on the 4th anniversary of 2020-06-01, to the day
    assert result.eligible_from["THREE_YEARS"] == pd.Timestamp("2024-06-01")


def test_butuh_perbaikan_last_year_fails_and_time_does_not_fix_it(pengawas) -> None:  # type: ignore[no-untyped-def]
    result, _ = pengawas
    assert result.failed.loc["BUTUH_PERBAIKAN"].tolist().count(True) == 1
    assert result.failed.loc["BUTUH_PERBAIKAN", "SKP"]
    assert pd.isna(result.eligible_from["BUTUH_PERBAIKAN"])
    text = messages(result, "BUTUH_PERBAIKAN")[0]
    assert "Butuh Perbaikan" in text["text_id"] and "Baik" in text["text_en"]


def test_a_medium_penalty_23_months_ago_blocks_until_two_years_have_passed(pengawas) -> None:  # type: ignore[no-untyped-def]
    result, _ = pengawas
    assert result.failed.loc["PENALTY_23M", "DISC"]
    assert result.eligible_from["PENALTY_23M"] == pd.Timestamp("2024-02-01")
    assert result.eligible["PENALTY_25M"]


def test_grade_and_education(pengawas) -> None:  # type: ignore[no-untyped-def]
    result, _ = pengawas
    assert result.failed.loc["LOW_GRADE", "GRADE-PGW"]  # III/a, III/b needed
    # a regular promotion 4 years after 2022-01-01
    assert result.eligible_from["LOW_GRADE"] == pd.Timestamp("2026-01-01")
    assert result.failed.loc["SMA", "EDU-PGW"] and pd.isna(result.eligible_from["SMA"])
    assert "D3" in messages(result, "SMA")[0]["text_en"]


def test_age_56_may_apply_for_jpt_pratama_but_57_may_not() -> None:
    records, _ = _records()
    births = pd.Series(
        [pd.Timestamp("1967-01-02"), pd.Timestamp("1966-12-31")], index=["FOUR_YEARS", "SMA"]
    )
    facts = eligibility_facts(records, AS_OF, births)  # type: ignore[arg-type]
    result = evaluate(facts, "jpt_pratama", AS_OF)
    assert facts.loc["FOUR_YEARS", "age"] == 56 and facts.loc["SMA", "age"] == 57
    assert not result.failed.loc["FOUR_YEARS", "AGE-JPTP"]
    assert result.failed.loc["SMA", "AGE-JPTP"]
    # unknown birth dates cannot be checked: the rule fails and says why
    assert result.failed.loc["THREE_YEARS", "AGE-JPTP"]
    age = [m for m in messages(result, "THREE_YEARS") if m["rule_id"] == "AGE-JPTP"][0]
    assert "unknown" in age["text_en"]


def test_every_rule_has_a_basis_and_both_messages() -> None:
    table = rules()
    assert table["rule_id"].is_unique
    assert table["basis"].str.len().gt(0).all()
    assert table["message_id"].str.len().gt(0).all() and table["message_en"].str.len().gt(0).all()
    families = set(reference.load("position_families")["family"])
    assert all(set(f) <= families for f in table["families"])


def test_succession_pool_takes_boxes_7_to_9_ready_now_or_within_two_years() -> None:
    from features.planning.succession import succession_pool

    # three pengawas: 4 years in post at IV/a (ready now), 2.6 years (ready mid-2024), and
    # one as ready but in box 5; PENALTY_23M is in box 9 but excluded by the penalty
    promoted = ["FOUR_YEARS", "PENALTY_25M", "THREE_YEARS", "PENALTY_23M"]
    since = ["2020-01-01", "2021-06-01", "2020-01-01", "2020-01-01"]
    records, births = _records(
        position_history=pd.DataFrame(
            {
                "employee_id": promoted,
                "position_id": "PG",
                "start_date": since,
                "reason": "promosi",
                "recorded_at": since,
            }
        ),
        grade_history=pd.DataFrame(
            {
                "employee_id": promoted,
                "grade": "IV/a",
                "start_date": "2023-04-01",
                "recorded_at": "2023-04-01",
            }
        ),
    )
    facts = eligibility_facts(records, AS_OF, births)  # type: ignore[arg-type]
    frame = pd.DataFrame({"talent_box": 9.0, "discipline_excluded": 0.0}, index=facts.index)
    frame.loc["THREE_YEARS", "talent_box"] = 5.0
    frame.loc["PENALTY_23M", "discipline_excluded"] = 1.0
    pool = succession_pool(facts, frame, "administrator", AS_OF)
    assert pool["readiness"].to_dict() == {
        "FOUR_YEARS": "siap sekarang",
        "PENALTY_25M": "1-2 tahun",
    }
    assert pool.loc["PENALTY_25M", "eligible_from"] == pd.Timestamp("2024-06-01")
    with pytest.raises(ValueError, match="succession pools are for"):
        succession_pool(facts, frame, "pelaksana", AS_OF)


def test_age_limit_messages_never_state_the_age() -> None:
    """The age is derived from the birth date (personal data): a message says the limit is not
    met, or that the birth date is unknown, and never how old the person is."""
    import numpy as np

    from features.rules.eligibility import RuleResult

    ids = pd.Index(["OLD", "UNKNOWN"])
    result = RuleResult(
        eligible=pd.Series([False, False], index=ids),
        failed=pd.DataFrame({"AGE-JPTP": [True, True]}, index=ids),
        eligible_from=pd.Series([pd.NaT, pd.NaT], index=ids),
        have=pd.DataFrame({"AGE-JPTP": [58.0, np.nan]}, index=ids),
        need={"AGE-JPTP": "56"},
    )
    old = messages(result, "OLD")[0]
    assert "58" not in old["text_id"] + old["text_en"]
    assert old["text_en"] == "Age of at most 56 years required; this limit is not met."
    assert "birth date unknown" in messages(result, "UNKNOWN")[0]["text_en"]


def test_every_timed_rule_has_the_unit_of_its_constant_and_a_line_in_the_docs() -> None:
    """The rules file's unit is the one the code counts in; it must agree with the constant's
    own unit, and docs/eligibility.md must list the rule."""
    from pathlib import Path

    from features.rules.eligibility import TIMED_CHECKS

    constants = reference.load("regulation_constants").set_index("key")["unit"]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "eligibility.md").read_text()
    for rule in rules().itertuples():
        if rule.check in TIMED_CHECKS:
            assert rule.unit in ("years", "months", "days"), rule.rule_id
            assert constants[rule.parameter] == rule.unit, rule.rule_id
        assert rule.rule_id in doc, f"docs/eligibility.md does not list {rule.rule_id}"
