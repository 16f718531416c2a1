"""Regulation-coded eligibility for a position: who may be placed, what fails, and from when.

The rules are data (`reference/eligibility_rules.csv`): an id, the position families a rule
applies to, the kind of check, its parameter (a key of `regulation_constants.csv`, or a course
for `training_done`), the families that count as the previous level, whether time alone will
satisfy it, its legal basis (or "heuristic"), and its message in Bahasa Indonesia and English.

`eligibility_facts` gathers, once per date, what the rules need about everyone (vectorised);
`evaluate` then checks every rule of a family for everyone in a few array operations. Age needs
the birth date, which is personal data: it is passed in separately (`birth_dates`) for this
legal check only and never becomes a model feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from features import reference
from features.asof.ages import age_at
from features.asof.course_history import recorded
from features.asof.evaluations import harmonised
from features.asof.positions import DAYS_PER_YEAR, current_grades, current_positions
from features.asof.records import Records, active_at, known

BAIK = 4.0  # ordinal of predikat Baik (ratings.csv)


@dataclass
class RuleResult:
    """Per person (rows in `facts` order): eligible, failed rules, and from when eligible."""

    eligible: pd.Series
    failed: pd.DataFrame  # people × rule ids, True where the rule fails
    eligible_from: pd.Series  # when time alone makes them eligible (NaT: not by time alone)
    have: pd.DataFrame  # people × rule ids: the person's raw value, shown in the messages
    need: dict[str, str]  # rule id → the required value, for the messages


@cache
def rules() -> pd.DataFrame:
    table = reference.load("eligibility_rules").copy()
    table["families"] = table["families"].str.split(";")
    table["previous_families"] = table["previous_families"].fillna("").str.split(";")
    table["time_satisfiable"] = table["time_satisfiable"] == "true"
    return table


@cache
def _rules_by_id() -> pd.DataFrame:
    return rules().set_index("rule_id")


def required_courses() -> list[str]:
    """Courses some rule requires to be done (``training_done``)."""
    table = rules()
    return sorted(table.loc[table["check"] == "training_done", "parameter"].unique())


def rules_for(family: str) -> pd.DataFrame:
    """The rules that apply to a position of `family` (none for non-managerial families)."""
    table = rules()
    return table[table["families"].apply(lambda families: family in families)]


def eligibility_facts(
    records: Records, as_of: pd.Timestamp, birth_dates: pd.Series | None = None
) -> pd.DataFrame:
    """What the rules need about everyone active at `as_of`, one row per employee."""
    people = active_at(records, as_of)["employee_id"]
    employees = records["employees"].set_index("employee_id").reindex(people)
    facts = pd.DataFrame(index=pd.Index(people, name="employee_id"))
    facts["education"] = employees["education"]
    facts["education_rank"] = employees["education"].map(reference.education_rank())
    facts["service_years"] = (as_of - employees["hire_date"]).dt.days / DAYS_PER_YEAR
    grades = current_grades(records, as_of)
    facts = facts.join(grades)
    facts["family"] = current_positions(records, as_of)["family"]
    facts = facts.join(_family_years(records, as_of))
    facts = facts.join(_ratings(records, as_of))
    facts["last_penalty"] = _last_penalty(records, as_of)
    births = birth_dates.reindex(people) if birth_dates is not None else pd.Series(pd.NaT, people)
    facts["age"] = age_at(pd.to_datetime(births).to_numpy(), as_of)
    facts["birth_date"] = pd.to_datetime(births).to_numpy()
    taken = recorded(records, as_of).dropna(subset=["course_id"])
    for course in required_courses():
        done = set(taken.loc[taken["course_id"] == course, "employee_id"])
        facts[f"done_{course}"] = facts.index.isin(done)
    return facts


def _family_years(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Years each person has held posts of each family, up to `as_of` (columns: families)."""
    history = known(records["position_history"], as_of)
    history = history[history["start_date"] <= as_of].sort_values(["employee_id", "start_date"])
    following = history.groupby("employee_id")["start_date"].shift(-1)
    end = history["end_date"].fillna(as_of)
    end = end.where(following.isna() | (end <= following), following)  # the next decree ends it
    end = end.where(end <= as_of, as_of)
    years = (end - history["start_date"]).dt.days.clip(lower=0) / DAYS_PER_YEAR
    family = history["position_id"].map(records["positions"].set_index("position_id")["family"])
    table = pd.DataFrame({"employee_id": history["employee_id"], "family": family, "years": years})
    wide = table.pivot_table(index="employee_id", columns="family", values="years", aggfunc="sum")
    return wide.add_prefix("years_as_").fillna(0.0)


def _ratings(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Lowest ordinal and count of the last `skp_lookback_years` rated years known."""
    lookback = int(reference.constant("skp_lookback_years"))
    rated = harmonised(records, as_of).sort_values(["employee_id", "year"])
    last = rated.groupby("employee_id").tail(lookback)
    grouped = last.groupby("employee_id")["ordinal"]
    return pd.DataFrame({"rating_min": grouped.min(), "rated_years": grouped.size()})


def _last_penalty(records: Records, as_of: pd.Timestamp) -> pd.Series:
    penalties = known(records["disciplinary_records"], as_of)
    heavy = penalties[
        penalties["severity"].isin(["sedang", "berat"]) & (penalties["decided_on"] < as_of)
    ]
    return heavy.groupby("employee_id")["decided_on"].max()


def evaluate(facts: pd.DataFrame, family: str, as_of: pd.Timestamp) -> RuleResult:
    """Check every rule of `family` for everyone in `facts` (vectorised)."""
    failed: dict[str, pd.Series] = {}
    dates: dict[str, pd.Series] = {}
    have: dict[str, pd.Series] = {}
    need: dict[str, str] = {}
    for rule in rules_for(family).itertuples():
        rule_id = str(rule.rule_id)
        ok, date, value, required = CHECKS[str(rule.check)](facts, rule, as_of)
        failed[rule_id] = ~ok
        dates[rule_id] = date if rule.time_satisfiable else pd.Series(pd.NaT, facts.index)
        have[rule_id], need[rule_id] = value, required
    failed_frame = pd.DataFrame(failed, index=facts.index, dtype=bool)
    eligible = ~failed_frame.any(axis=1)
    date_frame = pd.DataFrame(dates, index=facts.index)
    blocking = failed_frame & date_frame.isna()
    waiting = date_frame.where(failed_frame).max(axis=1)
    eligible_from = waiting.where(~blocking.any(axis=1))
    eligible_from = eligible_from.where(~eligible, as_of)
    return RuleResult(
        eligible, failed_frame, eligible_from, pd.DataFrame(have, index=facts.index), need
    )


def messages(result: RuleResult, person: str) -> list[dict[str, object]]:
    """The failed rules of one person, with their messages in both languages."""
    table = _rules_by_id()
    out = []
    for rule_id in result.failed.columns[result.failed.loc[person].to_numpy()]:
        rule = table.loc[rule_id]
        have = SHOWN[str(rule["check"])](result.have.loc[person, rule_id])
        values = {"need": result.need[rule_id], "have": have}
        out.append(
            {
                "rule_id": rule_id,
                "basis": rule["basis"],
                "time_satisfiable": bool(rule["time_satisfiable"]),
                "text_id": rule["message_id"].format(**values),
                "text_en": rule["message_en"].format(**values),
            }
        )
    return out


def _years_later(as_of: pd.Timestamp, years: pd.Series) -> pd.Series:
    days = np.ceil(years.clip(lower=0) * DAYS_PER_YEAR).astype("float")
    return as_of + pd.to_timedelta(days, unit="D")


def _education(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = str(reference.constant(rule.parameter))
    ok = facts["education_rank"] >= reference.education_rank()[need]
    return ok.fillna(False), pd.Series(pd.NaT, facts.index), facts["education"], need


def _service(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = float(reference.constant(rule.parameter))
    have = facts["service_years"]
    return have >= need, _years_later(as_of, need - have), have, f"{need:g}"


def _previous(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = float(reference.constant(rule.parameter))
    columns = [f"years_as_{f}" for f in rule.previous_families if f"years_as_{f}" in facts]
    have = facts[columns].sum(axis=1) if columns else pd.Series(0.0, facts.index)
    holding = facts["family"].isin(rule.previous_families)
    date = _years_later(as_of, need - have).where(holding)
    return have >= need, date, have, f"{need:g}"


def _age_limit(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = float(reference.constant(rule.parameter))
    have = facts["age"]
    return (have <= need).fillna(False), pd.Series(pd.NaT, facts.index), have, f"{need:g}"


def _grade(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = str(reference.constant(rule.parameter))
    ranks = reference.grade_rank()
    gap = ranks[need] - facts["grade_rank"]
    regular = float(reference.constant("regular_promotion_years"))
    wait = gap * regular - facts["years_in_grade"]
    ok = (gap <= 0).fillna(False)
    return ok, _years_later(as_of, wait).where(gap > 0), facts["grade_rank"], need


def _rating(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = int(reference.constant(rule.parameter))
    ok = (facts["rated_years"] >= need) & (facts["rating_min"] >= BAIK)
    return ok.fillna(False), pd.Series(pd.NaT, facts.index), facts["rating_min"], f"{need}"


@cache
def _rating_names() -> dict[float, str]:
    table = reference.load("ratings").query("scheme == 'predikat_2022'")
    return dict(zip(table["ordinal"].astype(float), table["label_id"], strict=True))


def _penalty(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    years = float(reference.constant(rule.parameter))
    last = facts["last_penalty"]
    clear = last + pd.to_timedelta(np.ceil(years * DAYS_PER_YEAR), unit="D")
    ok = last.isna() | (clear <= as_of)
    return ok, clear.where(~ok), last, f"{years:g}"


def _training(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    ok = facts[f"done_{rule.parameter}"].astype(bool)
    return ok, pd.Series(pd.NaT, facts.index), pd.Series(None, facts.index), rule.parameter


CHECKS = {
    "min_education": _education,
    "min_service_years": _service,
    "min_years_in_families": _previous,
    "max_age": _age_limit,
    "min_grade": _grade,
    "min_rating": _rating,
    "no_penalty": _penalty,
    "training_done": _training,
}


def _number(decimals: int) -> Callable[[Any], str]:
    def shown(value: Any) -> str:
        return "tidak diketahui / unknown" if pd.isna(value) else f"{value:.{decimals}f}"

    return shown


@cache
def _grade_names() -> dict[int, str]:
    return {rank: grade for grade, rank in reference.grade_rank().items() if "/" in grade}


#: How a person's value is written in a message, per kind of check (formatted only for the
#: person whose messages are asked for, not for everyone ranked).
SHOWN: dict[str, Callable[[Any], str]] = {
    "min_education": lambda v: "?" if pd.isna(v) else str(v),
    "min_service_years": _number(1),
    "min_years_in_families": _number(1),
    # never the age itself (it is derived from the birth date): only whether it is known
    "max_age": lambda v: (
        " (tanggal lahir tidak diketahui / birth date unknown)" if pd.isna(v) else ""
    ),
    "min_grade": lambda v: "?" if pd.isna(v) else _grade_names().get(int(v), "?"),
    "min_rating": lambda v: _rating_names().get(v, "belum dinilai / not rated"),
    "no_penalty": lambda v: "-" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d"),
    "training_done": lambda v: "-",
}
