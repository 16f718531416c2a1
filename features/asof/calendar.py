"""Calendar time, as the regulations count it: anniversaries, not days divided by 365.25.

"Three years as pengawas" holds on the third anniversary of the start, whatever leap days the
span holds. Every duration rule of eligibility, the age limit and the disciplinary window count
time here, with one rule for the ends of months:

- a date moved by whole months keeps its day of the month, or falls on the month's last day when
  the month is shorter (31 January + 1 month = 28 or 29 February);
- so the anniversary of 29 February in a common year is **28 February**.

This is `dateutil.relativedelta`'s rule (and pandas' ``DateOffset``); the tests check these
functions against `relativedelta` on random dates. They are vectorised because eligibility is
computed for a whole province (or country region) at once, with a different shift per person,
which ``DateOffset`` cannot do in one operation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The units a duration threshold may be given in (`eligibility_rules.csv`'s ``unit``).
UNITS: tuple[str, ...] = ("years", "months", "days")


def _days(dates: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[D]")


def add_months(dates: pd.Series, months: np.ndarray | pd.Series | int) -> pd.Series:
    """`dates` moved by `months` calendar months each (the day clipped to the month's end)."""
    day = _days(dates)
    month = day.astype("datetime64[M]")
    day_of_month = (day - month.astype("datetime64[D]")).astype("int64")
    steps = np.asarray(months, dtype="float64")
    known = ~np.isnan(steps) & ~np.isnat(day)
    target = month + np.where(known, steps, 0).astype("int64")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    moved = target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
    moved = np.where(known, moved, np.datetime64("NaT"))
    index = dates.index if isinstance(dates, pd.Series) else None
    return pd.Series(moved.astype("datetime64[ns]"), index=index)


def shift(dates: pd.Series, amount: np.ndarray | pd.Series | float, unit: str) -> pd.Series:
    """`dates` moved forward by `amount` of `unit` (years and months by the calendar)."""
    values = np.asarray(amount, dtype="float64")
    if unit == "days":
        moved = _days(dates) + np.nan_to_num(values).astype("int64")
        moved = np.where(np.isnan(values), np.datetime64("NaT"), moved)
        index = dates.index if isinstance(dates, pd.Series) else None
        return pd.Series(moved.astype("datetime64[ns]"), index=index)
    return add_months(dates, values * (12 if unit == "years" else 1))


def completed_months(start: pd.Series, end: pd.Series | pd.Timestamp) -> pd.Series:
    """Whole calendar months from `start` to `end` (the largest k with start + k months ≤ end;
    NaN where a date is unknown, 0 or less when `end` is not after `start`)."""
    first = _days(start)
    last = _days(pd.Series(end, index=start.index) if isinstance(end, pd.Timestamp) else end)
    months = (last.astype("datetime64[M]") - first.astype("datetime64[M]")).astype("float64")
    unknown = np.isnat(first) | np.isnat(last)
    months[unknown] = np.nan
    overshoot = _days(add_months(pd.Series(first), months)) > last
    months = months - np.where(unknown, 0, overshoot)
    return pd.Series(months, index=start.index)


def completed(start: pd.Series, end: pd.Series | pd.Timestamp, unit: str) -> pd.Series:
    """Whole `unit`s from `start` to `end` (NaN where a date is unknown)."""
    if unit == "days":
        last = pd.Series(end, index=start.index) if isinstance(end, pd.Timestamp) else end
        return (pd.to_datetime(last) - pd.to_datetime(start)).dt.days.astype("float64")
    months = completed_months(start, end)
    return np.floor(months / 12) if unit == "years" else months


def in_unit(amount: float, unit: str) -> float:
    """`amount` of `unit` as months (years and months) or days (days)."""
    return amount * 12 if unit == "years" else amount


def base_unit(unit: str) -> str:
    """The unit durations of `unit` are counted in: months for years and months, else days."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit of time {unit!r}; expected one of {', '.join(UNITS)}")
    return "days" if unit == "days" else "months"


def years_and_months(months: float) -> tuple[int, int]:
    """A count of months as (years, months), for messages."""
    whole = int(max(months, 0))
    return whole // 12, whole % 12
