"""Protected attributes, loaded apart from the feature records and only for two uses.

The legal age limit of a post (a check of eligibility, not a model input) needs the birth date;
the fairness audit needs sex and age band to measure selection rates by group. Neither may feed
a model, so `features.records.load_records` never loads these columns and this module is the
one place that does. Nothing here is ever logged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

#: Age bands of the fairness report (lower bounds, years, at the evaluation date).
AGE_BANDS = ((0, "<40"), (40, "40-49"), (50, "50+"))


def load_protected(engine: sa.Engine) -> pd.DataFrame:
    """Sex and birth date per employee (index employee_id): for fairness audits."""
    query = sa.text("SELECT employee_id, sex, birth_date FROM employees")
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    return frame.set_index("employee_id")


def load_birth_dates(engine: sa.Engine) -> pd.Series:
    """Birth date per employee (index employee_id): for the legal age limit of eligibility."""
    query = sa.text("SELECT employee_id, birth_date FROM employees")
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    return pd.to_datetime(frame.set_index("employee_id")["birth_date"])


def age_at(birth: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """Completed years of age at `as_of` (NaN when the birth date is unknown)."""
    born = pd.DatetimeIndex(birth)
    had_birthday = (as_of.month > born.month) | (
        (as_of.month == born.month) & (as_of.day >= born.day)
    )
    return np.where(born.isna(), np.nan, as_of.year - born.year - (~had_birthday).astype(int))


def age_band(birth_dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Age band of each person at `as_of` (``<40``, ``40-49``, ``50+``; missing stays missing)."""
    age = pd.Series(age_at(pd.to_datetime(birth_dates).to_numpy(), as_of), birth_dates.index)
    lows = np.array([low for low, _ in AGE_BANDS], dtype=float)
    labels = np.array([label for _, label in AGE_BANDS], dtype=object)
    index = np.clip(np.searchsorted(lows, age.fillna(-1).to_numpy(), side="right") - 1, 0, None)
    bands = pd.Series(labels[index], index=birth_dates.index)
    return bands.where(age.notna().to_numpy())
