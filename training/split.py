"""Spines, labels and the global temporal split of the training recommender.

A cycle is a calendar year. The spine of cycle Y is every employee active on 1 January of Y
(hired before, not yet left); the label of (employee, course) is whether the person started the
course during Y. Training uses cycles before the test cycle T and only records known before
1 January of T — labels of the last training cycle included — so nothing of T, and nothing
recorded after T began, reaches the model. Splits are global (by date), never per person.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.asof.records import Records, active_at, known


@dataclass(frozen=True)
class TemporalSplit:
    """Train on `train_years` (labels known before 1 January of `test_year`), test on it."""

    train_years: tuple[int, ...]
    test_year: int

    @property
    def cutoff(self) -> pd.Timestamp:
        return cycle_start(self.test_year)

    @classmethod
    def last_cycles(cls, test_year: int, train_cycles: int = 3) -> TemporalSplit:
        years = tuple(range(test_year - train_cycles, test_year))
        return cls(train_years=years, test_year=test_year)

    def validation(self) -> TemporalSplit:
        """The same split moved one cycle back: tune on it without touching the test cycle."""
        return TemporalSplit(tuple(y - 1 for y in self.train_years), self.test_year - 1)


def cycle_start(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=1, day=1)


def latest_complete_cycle(records: Records) -> int:
    """The last year whose trainings are (almost all) recorded: the one before the newest data."""
    trainings = records["training_records"]
    if trainings.empty:
        raise ValueError("no training records: nothing to learn recommendations from")
    newest = trainings["recorded_at"].max()
    year = int(newest.year) - 1
    return year if newest.month >= 3 else year - 1


def spine(records: Records, year: int) -> pd.DataFrame:
    """Employees active on 1 January of `year` (as known then), with ``as_of``."""
    return active_at(records, cycle_start(year))


def labels(records: Records, year: int, known_before: pd.Timestamp | None = None) -> pd.DataFrame:
    """(employee_id, course_id) started during `year`, from records known before `known_before`."""
    trainings = records["training_records"]
    if known_before is not None:
        trainings = known(trainings, known_before)
    started = trainings[(trainings["start_date"].dt.year == year) & trainings["course_id"].notna()]
    return started[["employee_id", "course_id"]].drop_duplicates().reset_index(drop=True)
