"""Ages at a date, from birth dates loaded by `features.store.personal` (never a feature):
the legal age limit of eligibility and the age bands of the fairness audit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.asof.calendar import completed

#: Age bands of the fairness report (lower bounds, years, at the evaluation date).
AGE_BANDS = ((0, "<40"), (40, "40-49"), (50, "50+"))


def age_at(birth: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """Completed years of age at `as_of` (NaN when the birth date is unknown), by the calendar
    of `features.asof.calendar`: someone born on 29 February turns a year older on 28 February
    of a common year."""
    born = pd.Series(pd.DatetimeIndex(birth))
    return completed(born, as_of, "years").to_numpy(dtype=float)


def age_band(birth_dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Age band of each person at `as_of` (``<40``, ``40-49``, ``50+``; missing stays missing)."""
    age = pd.Series(age_at(pd.to_datetime(birth_dates).to_numpy(), as_of), birth_dates.index)
    lows = np.array([low for low, _ in AGE_BANDS], dtype=float)
    labels = np.array([label for _, label in AGE_BANDS], dtype=object)
    index = np.clip(np.searchsorted(lows, age.fillna(-1).to_numpy(), side="right") - 1, 0, None)
    bands = pd.Series(labels[index], index=birth_dates.index)
    return bands.where(age.notna().to_numpy())
