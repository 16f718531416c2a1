"""Regulation-coded eligibility for a position: who may be placed, what fails, and from when.

The rules are data (`reference/eligibility_rules.csv`): an id, the position families a rule
applies to, the kind of check, its parameter (a key of `regulation_constants.csv`, or a course
for `training_done`), the unit of its threshold (years, months or days for time), the families
that count as the previous level, whether time alone will satisfy it, its legal basis (or
"heuristic"), and its message in Bahasa Indonesia and English. `docs/eligibility.md` lists them.

Time is calendar time (`features.asof.calendar`): "three years as pengawas" holds from the
third anniversary, and an eligible-from date is the exact first day on which a rule holds. The
facts therefore keep dates (hire, grade since, since when a person holds a post of a group of
families), and each check counts from them to the date asked, so a route planned years ahead
(`features.planning.paths`) is checked by the same arithmetic as today.

`eligibility_facts` gathers, once per date, what the rules need about everyone (vectorised);
`evaluate` then checks every rule of a family for everyone in a few array operations. Age needs
the birth date, which is personal data: it is passed in separately (`birth_dates`) for this
legal check only and never becomes a model feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import numpy as np
import pandas as pd

from features import reference
from features.asof.ages import age_at
from features.asof.calendar import base_unit, completed, in_unit, shift, years_and_months
from features.asof.course_history import recorded
from features.asof.evaluations import harmonised
from features.asof.positions import current_positions, latest_grades
from features.asof.records import Records, active_at, known
from features.rules import professions

BAIK = 4.0  # ordinal of predikat Baik (ratings.csv)
#: The checks whose threshold is a length of time (their unit is years, months or days).
TIMED_CHECKS = ("min_service", "min_time_in_families", "max_age", "min_rating", "no_penalty")


@dataclass
class RuleResult:
    """Per person (rows in `facts` order): eligible, failed rules, and from when eligible."""

    eligible: pd.Series
    failed: pd.DataFrame  # people × rule ids, True where the rule fails
    eligible_from: pd.Series  # the first day all rules hold by time alone (NaT: not by time)
    have: pd.DataFrame  # people × rule ids: the person's raw value, shown in the messages
    need: dict[str, str]  # rule id → the required value, for the messages
    holds_from: pd.DataFrame | None = None  # people × rule ids: first day a rule holds (NaT)
    facts: pd.DataFrame | None = None  # what was checked (the SKP years read, for messages)


@cache
def rules() -> pd.DataFrame:
    table = reference.load("eligibility_rules").copy()
    table["families"] = table["families"].str.split(";")
    table["previous_families"] = table["previous_families"].fillna("").str.split(";")
    table["time_satisfiable"] = table["time_satisfiable"] == "true"
    timed = table["check"].isin(TIMED_CHECKS)
    for unit in table.loc[timed, "unit"]:
        base_unit(str(unit))  # a clear error for a unit of time the calendar does not know
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


def group_rules() -> pd.DataFrame:
    """The rules that count time in a group of families (``min_time_in_families``)."""
    table = rules()
    return table[table["check"] == "min_time_in_families"]


def eligibility_facts(
    records: Records, as_of: pd.Timestamp, birth_dates: pd.Series | None = None
) -> pd.DataFrame:
    """What the rules need about everyone active at `as_of`, one row per employee."""
    people = active_at(records, as_of)["employee_id"]
    employees = records["employees"].set_index("employee_id").reindex(people)
    facts = pd.DataFrame(index=pd.Index(people, name="employee_id"))
    facts["education"] = employees["education"]
    facts["education_rank"] = employees["education"].map(reference.education_rank())
    facts["hire_date"] = pd.to_datetime(employees["hire_date"])
    grades = latest_grades(records, as_of).set_index("employee_id")
    facts["grade_rank"] = grades["grade"].map(reference.grade_rank()).astype(float)
    facts["grade_since"] = pd.to_datetime(grades["start_date"])
    facts["family"] = current_positions(records, as_of)["family"]
    facts = facts.join(time_in_groups(records, as_of))
    facts = facts.join(skp_window(records, as_of, facts.index))
    facts["last_penalty"] = _last_penalty(records, as_of)
    births = birth_dates.reindex(people) if birth_dates is not None else pd.Series(pd.NaT, people)
    facts["age"] = age_at(pd.to_datetime(births).to_numpy(), as_of)
    facts["birth_date"] = pd.to_datetime(births).to_numpy()
    taken = recorded(records, as_of).dropna(subset=["course_id"])
    for course in required_courses():
        done = set(taken.loc[taken["course_id"] == course, "employee_id"])
        facts[f"done_{course}"] = facts.index.isin(done)
    return facts.join(professions.qualified(records, as_of, facts.index))


def held_periods(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every post held up to `as_of`: employee_id, family, start and end (exclusive), and
    whether it is the person's current post.

    A decree's ``end_date`` is its last day in the post, so a period ends the day after it; the
    next decree ends it at the latest, and an open post runs up to `as_of`."""
    history = known(records["position_history"], as_of)
    history = history[history["start_date"] <= as_of].sort_values(["employee_id", "start_date"])
    following = history.groupby("employee_id")["start_date"].shift(-1)
    end = (history["end_date"] + pd.Timedelta(days=1)).fillna(as_of)
    end = end.where(following.isna() | (end <= following), following)
    end = end.where(end <= as_of, as_of)
    family = history["position_id"].map(records["positions"].set_index("position_id")["family"])
    return pd.DataFrame(
        {
            "employee_id": history["employee_id"].to_numpy(),
            "family": family.to_numpy(),
            "start": history["start_date"].to_numpy(),
            "end": end.to_numpy(),
            # still held on `as_of`: no later decree, and no last day before it
            "current": (
                following.isna() & (history["end_date"].isna() | (history["end_date"] >= as_of))
            ).to_numpy(),
        }
    )


def time_in_groups(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """For each rule that counts time in a group of families: the time of the finished periods
    in the group (``credit_<rule>``, in whole months, or days for a rule in days) and since when
    the person has held the group without a break (``since_<rule>``; NaT if not now).

    Posts of the group that follow one another without a gap are one period, counted from its
    first day by the calendar. Finished periods count in whole months each (the days left over
    are not carried: masa kerja is counted in years and months), so one unbroken period is met
    exactly on its anniversary and several are never over-counted."""
    periods = held_periods(records, as_of)
    out = {}
    for rule in group_rules().itertuples():
        unit = base_unit(str(rule.unit))
        group = periods[periods["family"].isin(cast(list[str], rule.previous_families))]
        reach = group.groupby("employee_id")["end"].cummax()
        previous = reach.groupby(group["employee_id"]).shift()
        number = (previous.isna() | (group["start"] > previous)).cumsum()
        merged = group.groupby(number).agg(
            employee_id=("employee_id", "first"),
            start=("start", "min"),
            end=("end", "max"),
            current=("current", "any"),
        )
        length = completed(merged["start"], merged["end"], unit).clip(lower=0)
        finished = merged[~merged["current"]]
        out[f"credit_{rule.rule_id}"] = (
            length[~merged["current"]].groupby(finished["employee_id"]).sum()
        )
        running = merged[merged["current"]]
        out[f"since_{rule.rule_id}"] = running.set_index("employee_id")["start"]
    frame = pd.DataFrame(out)
    for rule_id in group_rules()["rule_id"]:
        frame[f"credit_{rule_id}"] = frame[f"credit_{rule_id}"].astype(float)
        frame[f"since_{rule_id}"] = pd.to_datetime(frame[f"since_{rule_id}"])
    return frame


def skp_window(records: Records, as_of: pd.Timestamp, people: pd.Index) -> pd.DataFrame:
    """The SKP the rating rule reads at `as_of`: the annual ratings of the last
    `skp_lookback_years` calendar years before `as_of`, their lowest and how many are known.

    The last year's SKP is finalised after the year ends: until `skp_finalisation_lag_days`
    after 31 December, a person whose rating of that year is not yet known is read on the
    years before it (the year is *pending*, ``skp_pending``), and after that a missing year is
    a missing SKP and the rule fails. ``skp_years`` says which years were read."""
    lookback = int(reference.constant("skp_lookback_years"))
    lag = int(reference.constant("skp_finalisation_lag_days"))
    last = as_of.year - 1
    finalising = as_of <= pd.Timestamp(year=last, month=12, day=31) + pd.Timedelta(days=lag)
    rated = harmonised(records, as_of)
    rated = rated[rated["employee_id"].isin(people)]
    has_last = people.isin(rated.loc[rated["year"] == last, "employee_id"])
    pending = np.asarray(finalising & ~has_last)
    window_end = pd.Series(np.where(pending, last - 1, last), index=people)
    ends = rated["employee_id"].map(window_end)
    read = rated[(rated["year"] <= ends) & (rated["year"] > ends - lookback)]
    grouped = read.groupby("employee_id")["ordinal"]
    years = {
        end: ", ".join(str(y) for y in range(end - lookback + 1, end + 1))
        for end in {last - 1, last}
    }
    return pd.DataFrame(
        {
            "rating_min": grouped.min().reindex(people),
            "rated_years": grouped.size().reindex(people).fillna(0).astype(int),
            "skp_years": window_end.map(years),
            "skp_pending": np.where(pending, str(last), ""),
        },
        index=people,
    )


def _last_penalty(records: Records, as_of: pd.Timestamp) -> pd.Series:
    penalties = known(records["disciplinary_records"], as_of)
    heavy = penalties[
        penalties["severity"].isin(["sedang", "berat"]) & (penalties["decided_on"] <= as_of)
    ]
    return heavy.groupby("employee_id")["decided_on"].max()


def evaluate(
    facts: pd.DataFrame, family: str, as_of: pd.Timestamp, profession: str | None = None
) -> RuleResult:
    """Check every rule of `family` for everyone in `facts` on `as_of` (vectorised); for a
    profession-bound post, `profession` (its requirement id, `features.rules.professions`) is
    one more rule, which time never satisfies."""
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
    if profession:
        failed[profession] = ~professions.holds(facts, profession)
        dates[profession] = pd.Series(pd.NaT, facts.index)
        have[profession], need[profession] = pd.Series(None, facts.index), profession
    failed_frame = pd.DataFrame(failed, index=facts.index, dtype=bool)
    eligible = ~failed_frame.any(axis=1)
    date_frame = pd.DataFrame(dates, index=facts.index).astype("datetime64[ns]")
    blocking = failed_frame & date_frame.isna()
    waiting = date_frame.where(failed_frame).max(axis=1)
    eligible_from = waiting.where(~blocking.any(axis=1))
    eligible_from = eligible_from.where(~eligible, as_of)
    return RuleResult(
        eligible,
        failed_frame,
        eligible_from,
        pd.DataFrame(have, index=facts.index),
        need,
        holds_from=date_frame,
        facts=facts,
    )


def messages(result: RuleResult, person: str) -> list[dict[str, object]]:
    """The failed rules of one person, with their messages in both languages and, for a rule
    time will satisfy, the first day it holds (``holds_from``)."""
    table = _rules_by_id()
    out = []
    for rule_id in result.failed.columns[result.failed.loc[person].to_numpy()]:
        if rule_id not in table.index:  # a post's profession (`professions.message`)
            out.append(professions.message(str(rule_id)))
            continue
        rule = table.loc[rule_id]
        check, unit = str(rule["check"]), str(rule["unit"])
        have_id, have_en = SHOWN[check](result.have.loc[person, rule_id], base_unit_of(unit))
        need_id, need_en = _needed(result.need[rule_id], check, unit)
        values_id = {"need": need_id, "have": have_id}
        values_en = {"need": need_en, "have": have_en}
        extra = _rating_window(result, person) if check == "min_rating" else {}
        text_id = rule["message_id"].format(**values_id, **extra)
        text_en = rule["message_en"].format(**values_en, **extra)
        holds = None
        if result.holds_from is not None and bool(rule["time_satisfiable"]):
            date = pd.Timestamp(cast(Any, result.holds_from.loc[person, rule_id]))
            if not pd.isna(date):
                holds = date.date().isoformat()
                text_id += f" Terpenuhi mulai {holds}."
                text_en += f" Met from {holds}."
        message: dict[str, object] = {
            "rule_id": rule_id,
            "basis": rule["basis"],
            "time_satisfiable": bool(rule["time_satisfiable"]),
            "holds_from": holds,
            "text_id": text_id,
            "text_en": text_en,
        }
        if check == "min_rating":
            message["years_read"] = [int(y) for y in str(extra["years"]).split(", ") if y]
        out.append(message)
    return out


def _rating_window(result: RuleResult, person: str) -> dict[str, str]:
    """The SKP years a rating rule read for `person`, and the year still being finalised."""
    if result.facts is None or "skp_years" not in result.facts:
        return {"years": "", "pending_id": "", "pending_en": ""}
    row = result.facts.loc[person]
    pending = str(row["skp_pending"])
    return {
        "years": str(row["skp_years"]),
        "pending_id": f"; SKP {pending} masih dalam masa penetapan" if pending else "",
        "pending_en": f"; the SKP of {pending} is still being finalised" if pending else "",
    }


_UNIT_WORDS = {"years": ("tahun", "years"), "months": ("bulan", "months"), "days": ("hari", "days")}


def _needed(need: str, check: str, unit: str) -> tuple[str, str]:
    """The threshold as written in a message: with its unit for a length of time."""
    if check not in TIMED_CHECKS:
        return need, need
    word_id, word_en = _UNIT_WORDS[unit]
    return f"{need} {word_id}", f"{need} {word_en}"


def _amount(rule: Any) -> tuple[float, str]:
    """A timed rule's threshold in its base unit (months, or days) and that unit."""
    unit = str(rule.unit)
    return in_unit(float(reference.constant(rule.parameter)), unit), base_unit(unit)


def _education(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = str(reference.constant(rule.parameter))
    ok = facts["education_rank"] >= reference.education_rank()[need]
    return ok.fillna(False), pd.Series(pd.NaT, facts.index), facts["education"], need


def _service(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    """Service since hire (TMT CPNS), counted by the calendar: met on the anniversary."""
    need, unit = _amount(rule)
    have = completed(facts["hire_date"], as_of, unit)
    date = shift(facts["hire_date"], need, unit)
    return (have >= need).fillna(False), date, have, _shown_need(rule)


def _in_families(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    """Time in the rule's group of families: finished periods plus the unbroken current one.
    Time satisfies it only while the person holds a post of the group."""
    need, unit = _amount(rule)
    credit = facts.get(f"credit_{rule.rule_id}", pd.Series(0.0, facts.index)).fillna(0.0)
    since = facts.get(f"since_{rule.rule_id}", pd.Series(pd.NaT, facts.index))
    running = completed(pd.to_datetime(since), as_of, unit).fillna(0.0).clip(lower=0)
    have = credit + running
    date = shift(pd.to_datetime(since), need - credit, unit)
    return have >= need, date, have, _shown_need(rule)


def _age_limit(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = float(reference.constant(rule.parameter))
    have = facts["age"]
    return (have <= need).fillna(False), pd.Series(pd.NaT, facts.index), have, f"{need:g}"


def _grade(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    """The grade, and when regular promotions (one every `regular_promotion_years`, counted
    from the current grade's TMT) would reach it: a projection, not a right."""
    need = str(reference.constant(rule.parameter))
    gap = reference.grade_rank()[need] - facts["grade_rank"]
    regular = in_unit(float(reference.constant("regular_promotion_years")), "years")
    date = shift(facts["grade_since"], gap.clip(lower=0) * regular, "months")
    ok = (gap <= 0).fillna(False)
    return ok, date.where(gap > 0), facts["grade_rank"], need


def _rating(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    need = int(reference.constant(rule.parameter))
    ok = (facts["rated_years"] >= need) & (facts["rating_min"] >= BAIK)
    return ok.fillna(False), pd.Series(pd.NaT, facts.index), facts["rating_min"], f"{need}"


@cache
def _rating_names() -> dict[float, str]:
    table = reference.load("ratings").query("scheme == 'predikat_2022'")
    return dict(zip(table["ordinal"].astype(float), table["label_id"], strict=True))


def _penalty(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    """Clear of a medium or heavy penalty from the anniversary of its decision."""
    need, unit = _amount(rule)
    last = pd.to_datetime(facts["last_penalty"])
    clear = shift(last, pd.Series(need, facts.index).where(last.notna()), unit)
    ok = last.isna() | (clear <= as_of)
    return ok, clear.where(~ok), last, _shown_need(rule)


def _training(facts: pd.DataFrame, rule, as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    ok = facts[f"done_{rule.parameter}"].astype(bool)
    return ok, pd.Series(pd.NaT, facts.index), pd.Series(None, facts.index), rule.parameter


def _shown_need(rule: Any) -> str:
    return f"{float(reference.constant(rule.parameter)):g}"


CHECKS = {
    "min_education": _education,
    "min_service": _service,
    "min_time_in_families": _in_families,
    "max_age": _age_limit,
    "min_grade": _grade,
    "min_rating": _rating,
    "no_penalty": _penalty,
    "training_done": _training,
}


def base_unit_of(unit: str) -> str:
    """The unit a rule's lengths of time are kept in (`base_unit`), or `unit` for others."""
    return base_unit(unit) if unit in ("years", "months", "days") else unit


def _length(value: Any, unit: str) -> tuple[str, str]:
    """A length of time (months, or days) in both languages: "4 tahun 11 bulan"."""
    if pd.isna(value):
        return "tidak diketahui", "unknown"
    if unit == "days":
        return f"{value:.0f} hari", f"{value:.0f} days"
    years, months = years_and_months(value)
    return f"{years} tahun {months} bulan", f"{years} years {months} months"


def _both(shown: Callable[[Any], str]) -> Callable[[Any, str], tuple[str, str]]:
    return lambda value, unit: (shown(value), shown(value))


@cache
def _grade_names() -> dict[int, str]:
    return {rank: grade for grade, rank in reference.grade_rank().items() if "/" in grade}


def _no_age(value: Any, unit: str) -> tuple[str, str]:
    """Never the age itself (it is derived from the birth date): only whether it is known."""
    if pd.isna(value):
        return " (tanggal lahir tidak diketahui)", " (birth date unknown)"
    return "", ""


def _rating_shown(value: Any, unit: str) -> tuple[str, str]:
    if pd.isna(value):
        return "belum dinilai", "not rated"
    name = _rating_names().get(value, "?")
    return name, name


#: How a person's value is written in a message, per kind of check, in Bahasa Indonesia and
#: English (formatted only for the person whose messages are asked for, not for everyone).
SHOWN: dict[str, Callable[[Any, str], tuple[str, str]]] = {
    "min_education": _both(lambda v: "?" if pd.isna(v) else str(v)),
    "min_service": _length,
    "min_time_in_families": _length,
    "max_age": _no_age,
    "min_grade": _both(lambda v: "?" if pd.isna(v) else _grade_names().get(int(v), "?")),
    "min_rating": _rating_shown,
    "no_penalty": _both(lambda v: "-" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")),
    "training_done": _both(lambda v: "-"),
}
