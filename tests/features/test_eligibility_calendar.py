"""Eligibility exact to the day: every time-satisfiable rule fails the day before its
eligible-from date and holds on it, across leap years and month ends; and random dates,
durations and histories agree with a small reference written here from the regulation text.

The reference counts time with `dateutil.relativedelta`, as a person reading the rules would:

- "N years as / since X" holds from the N-th anniversary of the start (29 February's
  anniversary in a common year is 28 February);
- periods in posts of the rule's group of families that follow one another without a gap are
  one period; a finished period counts in whole months, the current one runs on;
- a medium or heavy penalty bars the rule until the anniversary of its decision;
- the SKP rule reads the ratings of the last N calendar years before the date; the last year is
  skipped while it may still be finalised (90 days after its end) and has no rating yet.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features import reference
from features.asof.ages import age_at
from features.asof.calendar import add_months, completed, completed_months, shift
from features.asof.records import from_frames
from features.rules.eligibility import eligibility_facts, evaluate, messages, rules

FAMILIES = list(reference.load("position_families")["family"])
LAG = int(reference.constant("skp_finalisation_lag_days"))

#: Start dates that catch the calendar out: leap days, month ends, the turn of the year.
AWKWARD = [
    dt.date(2016, 2, 29),
    dt.date(2020, 2, 29),
    dt.date(2019, 2, 28),
    dt.date(2019, 3, 1),
    dt.date(2018, 1, 31),
    dt.date(2018, 8, 31),
    dt.date(2017, 12, 31),
    dt.date(2018, 6, 15),
]


# --- the reference, from the regulation text ----------------------------------------------


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from `start` to `end`, as relativedelta counts them."""
    if end <= start:
        return 0
    delta = relativedelta(end, start)
    return delta.years * 12 + delta.months


def anniversary(start: dt.date, years: int) -> dt.date:
    return start + relativedelta(years=years)


def group_months(posts: list[tuple[str, dt.date, dt.date | None]], group, on: dt.date) -> int:
    """Time in `group` on `on`: posts (family, start, last day or None) in order."""
    periods: list[list] = []  # [start, exclusive end, current]
    for i, (family, start, last) in enumerate(posts):
        if start > on:
            break
        following = posts[i + 1][1] if i + 1 < len(posts) and posts[i + 1][1] <= on else None
        end = on if last is None else min(last + dt.timedelta(days=1), on)
        if following is not None:
            end = min(end, following)
        current = following is None and (last is None or last >= on)
        if family not in group:
            continue
        if periods and start <= periods[-1][1]:
            periods[-1][1] = max(periods[-1][1], end)
            periods[-1][2] = periods[-1][2] or current
        else:
            periods.append([start, end, current])
    return sum(months_between(s, e) for s, e, _ in periods)


# --- records built for one person -------------------------------------------------------------


def person_records(
    hire: dt.date,
    posts: list[tuple[str, dt.date, dt.date | None]],
    grade: tuple[str, dt.date] = ("IV/e", dt.date(2000, 1, 1)),
    ratings: list[tuple[int, str, dt.date]] | None = None,
    penalty: dt.date | None = None,
):
    """One person, P, with a post of every family on offer (position id = family)."""
    recorded = pd.Timestamp(min(hire, *(start for _, start, _ in posts)))
    frames = {
        "employees": pd.DataFrame(
            {
                "employee_id": ["P"],
                "employment_type": "PNS",
                "education": "S2",
                "hire_date": [pd.Timestamp(hire)],
                "recorded_at": [recorded],
            }
        ),
        "units": pd.DataFrame(
            {"unit_id": ["U1"], "agency_id": ["A1"], "name": ["U"], "unit_type": ["bidang"]}
        ),
        "positions": pd.DataFrame(
            {
                "position_id": FAMILIES,
                "unit_id": "U1",
                "title": FAMILIES,
                "family": FAMILIES,
                "field": "kesehatan",
                "occupation": None,
                "capacity": 1,
            }
        ),
        "position_history": pd.DataFrame(
            {
                "employee_id": "P",
                "position_id": [family for family, _, _ in posts],
                "start_date": [pd.Timestamp(start) for _, start, _ in posts],
                "end_date": [pd.Timestamp(last) if last else pd.NaT for _, _, last in posts],
                "reason": "promosi",
                "recorded_at": recorded,
            }
        ),
        "grade_history": pd.DataFrame(
            {
                "employee_id": ["P"],
                "grade": [grade[0]],
                "start_date": [pd.Timestamp(grade[1])],
                "recorded_at": [recorded],
            }
        ),
        "evaluations": pd.DataFrame(
            [
                {
                    "employee_id": "P",
                    "year": year,
                    "period": "annual",
                    "scheme": "predikat_2022",
                    "rating": rating,
                    "unit_id": "U1",
                    "recorded_at": pd.Timestamp(known),
                }
                for year, rating, known in (
                    ratings
                    if ratings is not None
                    else [(y, "baik", dt.date(y + 1, 1, 20)) for y in range(2000, 2040)]
                )
            ]
        ),
        "disciplinary_records": pd.DataFrame(
            [
                {
                    "employee_id": "P",
                    "severity": "sedang",
                    "decided_on": pd.Timestamp(penalty),
                    "start_date": pd.Timestamp(penalty),
                    "recorded_at": pd.Timestamp(penalty),
                }
            ]
            if penalty
            else []
        ),
        "courses": reference.load("courses"),
    }
    return from_frames(frames)


def check(records, family: str, rule_id: str, on: dt.date):
    """(holds, eligible-from of the rule) for P on `on`."""
    as_of = pd.Timestamp(on)
    births = pd.Series([pd.Timestamp("1985-01-01")], index=["P"])
    result = evaluate(eligibility_facts(records, as_of, births), family, as_of)
    holds_from = result.holds_from.loc["P", rule_id]
    return not bool(result.failed.loc["P", rule_id]), holds_from, result


def assert_first_day(records, family: str, rule_id: str, expected: dt.date, asked: dt.date):
    """Asked on `asked`, the rule says it holds from `expected`; it fails the day before and
    holds on the day itself."""
    holds, holds_from, _ = check(records, family, rule_id, asked)
    assert not holds
    assert pd.Timestamp(holds_from).date() == expected, (rule_id, asked)
    assert not check(records, family, rule_id, expected - dt.timedelta(days=1))[0], rule_id
    assert check(records, family, rule_id, expected)[0], rule_id


# --- the calendar against relativedelta ------------------------------------------------------

dates = st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2060, 12, 31))


@given(start=dates, months=st.integers(min_value=-600, max_value=600))
def test_moving_by_months_agrees_with_relativedelta(start: dt.date, months: int) -> None:
    moved = add_months(pd.Series([pd.Timestamp(start)]), np.array([months]))
    assert moved.iloc[0].date() == start + relativedelta(months=months)


@given(start=dates, end=dates)
def test_completed_months_and_years_agree_with_relativedelta(start: dt.date, end: dt.date) -> None:
    start, end = min(start, end), max(start, end)
    s = pd.Series([pd.Timestamp(start)])
    got = completed_months(s, pd.Timestamp(end)).iloc[0]
    delta = relativedelta(end, start)
    assert got == delta.years * 12 + delta.months
    assert completed(s, pd.Timestamp(end), "years").iloc[0] == delta.years
    assert completed(s, pd.Timestamp(end), "days").iloc[0] == (end - start).days


def test_unknown_dates_stay_unknown() -> None:
    s = pd.Series([pd.NaT, pd.Timestamp("2020-02-29")])
    assert completed_months(s, pd.Timestamp("2021-02-28")).isna().tolist() == [True, False]
    assert shift(s, 1, "years").iloc[1] == pd.Timestamp("2021-02-28")
    assert pd.isna(shift(s, 1, "years").iloc[0])


def test_someone_born_on_29_february_turns_a_year_older_on_28_february() -> None:
    born = np.array(["2000-02-29"], dtype="datetime64[ns]")
    assert age_at(born, pd.Timestamp("2023-02-27"))[0] == 22
    assert age_at(born, pd.Timestamp("2023-02-28"))[0] == 23
    assert age_at(born, pd.Timestamp("2024-02-28"))[0] == 23  # a leap year: on the 29th
    assert age_at(born, pd.Timestamp("2024-02-29"))[0] == 24


# --- every time-satisfiable rule, the day before and the day itself --------------------------


def _time_rules() -> pd.DataFrame:
    table = rules()
    return table[table["time_satisfiable"]]


def test_every_time_satisfiable_rule_is_covered_here() -> None:
    """A new time-satisfiable kind of check needs its boundary test here."""
    assert set(_time_rules()["check"]) == {
        "min_service",
        "min_time_in_families",
        "min_grade",
        "no_penalty",
    }


@pytest.mark.parametrize("start", AWKWARD, ids=str)
@pytest.mark.parametrize(
    "rule_id", list(rules().query("check == 'min_service'")["rule_id"]), ids=str
)
def test_service_is_met_on_its_anniversary(rule_id: str, start: dt.date) -> None:
    rule = rules().set_index("rule_id").loc[rule_id]
    years = int(reference.constant(rule["parameter"]))
    family = rule["families"][0]
    records = person_records(start, [("pelaksana", start, None)])
    asked = start + relativedelta(months=7)
    assert_first_day(records, family, rule_id, anniversary(start, years), asked)


@pytest.mark.parametrize("start", AWKWARD, ids=str)
@pytest.mark.parametrize(
    "rule_id", list(rules().query("check == 'min_time_in_families'")["rule_id"]), ids=str
)
def test_time_in_a_group_is_met_on_its_anniversary(rule_id: str, start: dt.date) -> None:
    """One unbroken period in the group, across two posts of it (a move the day after the
    first ends): met exactly N years after the first day."""
    rule = rules().set_index("rule_id").loc[rule_id]
    years = int(reference.constant(rule["parameter"]))
    first, second = rule["previous_families"][0], rule["previous_families"][-1]
    moved = start + relativedelta(months=5)
    posts = [(first, start, moved - dt.timedelta(days=1)), (second, moved, None)]
    records = person_records(dt.date(2000, 1, 3), posts)
    asked = start + relativedelta(months=8)
    assert_first_day(records, rule["families"][0], rule_id, anniversary(start, years), asked)


@pytest.mark.parametrize("start", AWKWARD, ids=str)
def test_an_earlier_period_counts_in_whole_months(start: dt.date) -> None:
    """Pelaksana for 1 year 2 months and 20 days, two years elsewhere, then pelaksana again:
    the first period counts 14 months, so 4 years are met 34 months into the second."""
    rule = rules().set_index("rule_id").loc["PREV-PGW"]
    need = int(reference.constant(rule["parameter"])) * 12
    first_end = start + relativedelta(months=14, days=20)  # exclusive
    back = first_end + relativedelta(years=2)
    posts = [
        ("pelaksana", start, first_end - dt.timedelta(days=1)),
        ("jf_ahli_madya", first_end, back - dt.timedelta(days=1)),
        ("pelaksana", back, None),
    ]
    records = person_records(dt.date(2000, 1, 3), posts)
    expected = back + relativedelta(months=need - 14)
    assert_first_day(records, "pengawas", "PREV-PGW", expected, back + relativedelta(months=3))
    assert group_months(posts, rule["previous_families"], expected) == need


@pytest.mark.parametrize("start", AWKWARD, ids=str)
@pytest.mark.parametrize("rule_id", list(rules().query("check == 'min_grade'")["rule_id"]), ids=str)
def test_a_grade_one_step_short_is_projected_a_regular_promotion_later(
    rule_id: str, start: dt.date
) -> None:
    rule = rules().set_index("rule_id").loc[rule_id]
    need = reference.grade_rank()[str(reference.constant(rule["parameter"]))]
    below = {rank: grade for grade, rank in reference.grade_rank().items() if "/" in grade}
    regular = int(reference.constant("regular_promotion_years"))
    records = person_records(
        dt.date(2000, 1, 3), [("pelaksana", dt.date(2000, 1, 3), None)], (below[need - 1], start)
    )
    expected = anniversary(start, regular)
    holds, holds_from, _ = check(
        records, rule["families"][0], rule_id, start + relativedelta(days=40)
    )
    assert not holds and pd.Timestamp(holds_from).date() == expected


@pytest.mark.parametrize("decided", AWKWARD, ids=str)
def test_a_penalty_bars_until_the_anniversary_of_its_decision(decided: dt.date) -> None:
    years = int(reference.constant("discipline_lookback_years"))
    records = person_records(
        dt.date(2000, 1, 3), [("pelaksana", dt.date(2000, 1, 3), None)], penalty=decided
    )
    expected = anniversary(decided, years)
    asked = decided + dt.timedelta(days=1)
    assert_first_day(records, "pengawas", "DISC", expected, asked)
    text = next(m for m in messages(check(records, "pengawas", "DISC", asked)[2], "P"))
    assert decided.isoformat() in text["text_id"] and expected.isoformat() in text["text_en"]
    assert text["holds_from"] == expected.isoformat()


# --- the SKP window is read by the as-of date ------------------------------------------------


def test_old_ratings_do_not_pass_the_rule_years_later() -> None:
    """Last rated 2019–2020 (both Sangat Baik): in 2024 the rule reads 2022 and 2023 and fails."""
    ratings = [
        (2019, "sangat_baik", dt.date(2020, 1, 20)),
        (2020, "sangat_baik", dt.date(2021, 1, 20)),
    ]
    records = person_records(
        dt.date(2000, 1, 3), [("pelaksana", dt.date(2000, 1, 3), None)], ratings=ratings
    )
    holds, _, result = check(records, "pengawas", "SKP", dt.date(2024, 6, 1))
    assert not holds
    message = next(m for m in messages(result, "P") if m["rule_id"] == "SKP")
    assert message["years_read"] == [2022, 2023]
    assert "2022, 2023" in message["text_id"] and "not rated" in message["text_en"]


def test_a_last_year_still_being_finalised_is_not_a_missing_one() -> None:
    """Rated Baik for 2021 and 2022; 2023's SKP is not in yet. In February 2024 the rule reads
    2021–2022 and holds; after the finalisation period a missing 2023 fails it."""
    ratings = [(2021, "baik", dt.date(2022, 1, 20)), (2022, "baik", dt.date(2023, 1, 20))]
    records = person_records(
        dt.date(2000, 1, 3), [("pelaksana", dt.date(2000, 1, 3), None)], ratings=ratings
    )
    last_day = dt.date(2023, 12, 31) + dt.timedelta(days=LAG)
    holds, _, result = check(records, "pengawas", "SKP", last_day)
    assert holds and result.facts.loc["P", "skp_years"] == "2021, 2022"
    assert result.facts.loc["P", "skp_pending"] == "2023"
    holds, _, result = check(records, "pengawas", "SKP", last_day + dt.timedelta(days=1))
    assert not holds
    message = next(m for m in messages(result, "P") if m["rule_id"] == "SKP")
    assert message["years_read"] == [2022, 2023]


def test_a_late_rating_read_during_finalisation_counts() -> None:
    """2023 rated Butuh Perbaikan and recorded in February 2024: from then it is read."""
    ratings = [
        (2021, "baik", dt.date(2022, 1, 20)),
        (2022, "baik", dt.date(2023, 1, 20)),
        (2023, "butuh_perbaikan", dt.date(2024, 2, 10)),
    ]
    records = person_records(
        dt.date(2000, 1, 3), [("pelaksana", dt.date(2000, 1, 3), None)], ratings=ratings
    )
    assert check(records, "pengawas", "SKP", dt.date(2024, 2, 10))[0]
    holds, _, result = check(records, "pengawas", "SKP", dt.date(2024, 2, 11))
    assert not holds
    message = next(m for m in messages(result, "P") if m["rule_id"] == "SKP")
    assert message["years_read"] == [2022, 2023] and "Butuh Perbaikan" in message["text_id"]


# --- random histories against the reference --------------------------------------------------

GROUP_RULES = rules().query("check == 'min_time_in_families'").set_index("rule_id")


@st.composite
def histories(draw):  # type: ignore[no-untyped-def]
    """Up to five posts in date order, each either following the last without a gap, after
    a gap, or ended early; families drawn from every family."""
    start = draw(st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2015, 12, 31)))
    posts: list[tuple[str, dt.date, dt.date | None]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        family = draw(st.sampled_from(FAMILIES))
        length = draw(st.integers(min_value=20, max_value=1800))
        gap = draw(st.sampled_from([0, 0, 0, 1, 45]))
        posts.append((family, start, start + dt.timedelta(days=length - 1)))
        start = start + dt.timedelta(days=length + gap)
    if draw(st.booleans()):  # the last post is still held
        family, first, _ = posts[-1]
        posts[-1] = (family, first, None)
    return posts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    posts=histories(), on=st.dates(min_value=dt.date(2008, 1, 1), max_value=dt.date(2026, 12, 31))
)
def test_time_in_families_agrees_with_the_reference(posts, on: dt.date) -> None:  # type: ignore[no-untyped-def]
    records = person_records(dt.date(2004, 1, 5), posts)
    as_of = pd.Timestamp(on)
    facts = eligibility_facts(records, as_of, pd.Series([pd.Timestamp("1985-01-01")], ["P"]))
    for rule_id, rule in GROUP_RULES.iterrows():
        need = int(reference.constant(rule["parameter"])) * 12
        family = rule["families"][0]
        result = evaluate(facts, family, as_of)
        expected = group_months(posts, rule["previous_families"], on) >= need
        assert (not result.failed.loc["P", rule_id]) == expected, (rule_id, posts, on)
        holds_from = result.holds_from.loc["P", rule_id]
        if not expected and not pd.isna(holds_from):
            first = pd.Timestamp(holds_from).date()
            # the date is exact if the person keeps their current post until then
            kept = _kept(posts, on)
            assert group_months(kept, rule["previous_families"], first) >= need
            before = first - dt.timedelta(days=1)
            assert group_months(kept, rule["previous_families"], before) < need


def _kept(posts, on: dt.date):  # type: ignore[no-untyped-def]
    """The history as known on `on`, with the post held then held on (no end)."""
    known = [post for post in posts if post[1] <= on]
    family, first, _ = known[-1]
    return [*known[:-1], (family, first, None)]


@settings(max_examples=60, deadline=None)
@given(
    hire=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2020, 12, 31)),
    penalty=st.one_of(
        st.none(), st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2024, 12, 31))
    ),
    on=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2027, 12, 31)),
)
def test_service_and_penalties_agree_with_the_reference(hire, penalty, on) -> None:  # type: ignore[no-untyped-def]
    records = person_records(hire, [("administrator", hire, None)], penalty=penalty)
    as_of = pd.Timestamp(on)
    facts = eligibility_facts(records, as_of, pd.Series([pd.Timestamp("1985-01-01")], ["P"]))
    result = evaluate(facts, "jpt_pratama", as_of)
    years = int(reference.constant("jpt_pratama_min_experience_years"))
    assert (not result.failed.loc["P", "EXP-JPTP"]) == (on >= anniversary(hire, years))
    lookback = int(reference.constant("discipline_lookback_years"))
    barred = penalty is not None and penalty < on and on < anniversary(penalty, lookback)
    assert bool(result.failed.loc["P", "DISC"]) == barred


@settings(max_examples=60, deadline=None)
@given(
    rated=st.dictionaries(
        st.integers(min_value=2015, max_value=2026),
        st.tuples(
            st.sampled_from(["sangat_baik", "baik", "butuh_perbaikan"]),
            st.integers(min_value=10, max_value=300),
        ),
        max_size=8,
    ),
    on=st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2027, 12, 31)),
)
def test_the_skp_window_agrees_with_the_reference(rated, on) -> None:  # type: ignore[no-untyped-def]
    ratings = [(y, r, dt.date(y, 12, 31) + dt.timedelta(days=lag)) for y, (r, lag) in rated.items()]
    records = person_records(
        dt.date(2000, 1, 3), [("pelaksana", dt.date(2000, 1, 3), None)], ratings=ratings
    )
    holds, _, result = check(records, "pengawas", "SKP", on)
    known = {y: r for y, r, seen in ratings if seen < on}
    last = on.year - 1
    finalising = on <= dt.date(last, 12, 31) + dt.timedelta(days=LAG)
    end = last - 1 if finalising and last not in known else last
    lookback = int(reference.constant("skp_lookback_years"))
    window = range(end - lookback + 1, end + 1)
    expected = all(known.get(y) in ("sangat_baik", "baik") for y in window)
    assert holds == expected, (ratings, on)
    assert result.facts.loc["P", "skp_years"] == ", ".join(map(str, window))


@pytest.mark.parametrize(
    "born", [dt.date(1968, 2, 29), dt.date(1967, 1, 31), dt.date(1967, 12, 31)], ids=str
)
@pytest.mark.parametrize("rule_id", list(rules().query("check == 'max_age'")["rule_id"]), ids=str)
def test_an_age_limit_holds_to_the_day_before_the_next_birthday(
    rule_id: str, born: dt.date
) -> None:
    """ "At most N years": N years and 364 days still holds; the (N+1)-th birthday fails it (for
    29 February, 28 February in a common year)."""
    rule = rules().set_index("rule_id").loc[rule_id]
    limit = int(reference.constant(rule["parameter"]))
    records = person_records(dt.date(2000, 1, 3), [("administrator", dt.date(2000, 1, 3), None)])
    births = pd.Series([pd.Timestamp(born)], index=["P"])
    over = anniversary(born, limit + 1)

    def holds(on: dt.date) -> bool:
        as_of = pd.Timestamp(on)
        result = evaluate(eligibility_facts(records, as_of, births), rule["families"][0], as_of)
        return not bool(result.failed.loc["P", rule_id])

    assert holds(over - dt.timedelta(days=1)) and not holds(over)


def test_a_post_left_the_day_before_is_not_held_on_the_day() -> None:
    """Pelaksana whose last day was yesterday: the time counts, but it no longer runs, so time
    alone will not make them eligible for pengawas (no eligible-from date)."""
    on = dt.date(2024, 3, 1)
    posts = [("pelaksana", dt.date(2021, 1, 1), on - dt.timedelta(days=1))]
    records = person_records(dt.date(2000, 1, 3), posts)
    holds, holds_from, _ = check(records, "pengawas", "PREV-PGW", on)
    assert not holds and pd.isna(holds_from)
    kept = person_records(dt.date(2000, 1, 3), [("pelaksana", dt.date(2021, 1, 1), on)])
    assert check(kept, "pengawas", "PREV-PGW", on)[1] == pd.Timestamp("2025-01-01")
