"""What the service knows about people and posts on one date: the data behind every answer.

A `Snapshot` is built once from the database for the service's date (`as_of`: the configured
one, else the data's extraction date, else today; `service_date`) at start and on reload:
everyone active described once (`features.view.View`), career paths, posts with their holders
and vacancies, grades, ratings and this year's JP. Routes read it; nothing here writes. Birth
dates are read for the legal age limit of eligibility only. The same records are handed to the
models in service, so the data is loaded once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features import reference
from features.asof import course_history as trainings
from features.asof.fit import breakdown, competency_fit
from features.asof.records import Records, known
from features.planning.needs import AgencyNeeds, agency_needs
from features.planning.paths import CareerPaths
from features.planning.succession import succession_pool
from features.store.personal import load_birth_dates
from features.store.reads import database_snapshot_id, extraction_date, load_records
from features.view import STRUCTURAL_FAMILIES, View, build_view
from service.settings import ServiceSettings
from training.contract import Data, Dated

log = logging.getLogger(__name__)

#: Ratings shown on a profile: the last this many years.
RATING_YEARS = 3


class NotFound(LookupError):
    """No such record on the snapshot's date (or none the caller may see: the same answer)."""


@dataclass
class Snapshot:
    """The records of one database state, described on `as_of`."""

    as_of: pd.Timestamp
    snapshot_id: str
    records: Records
    birth_dates: pd.Series
    view: View
    agencies: pd.DataFrame  # agency_id (index), name, region
    #: When it was read from the database (Unix time): the data's age in the metrics.
    built_at: float = field(default_factory=time.time)

    @cached_property
    def data(self) -> Data:
        """What the models in service answer from: these records, and this snapshot's view of
        everyone on `as_of` (described once for the service and its models)."""
        return Data(self.records, self.birth_dates, Dated({self.as_of: self.view}))

    @cached_property
    def paths(self) -> CareerPaths:
        return CareerPaths(self.view, self.records)

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Every post with its agency, holders on `as_of` and open seats (capacity − holders)."""
        units = self.records["units"][["unit_id", "agency_id"]]
        table = self.records["positions"].merge(units, on="unit_id", how="left")
        holders = self.view.frame["position_id"].value_counts()
        table["holders"] = table["position_id"].map(holders).fillna(0).astype(int)
        table["open_seats"] = (table["capacity"] - table["holders"]).clip(lower=0).astype(int)
        table["rankable"] = table["family"].isin(STRUCTURAL_FAMILIES)
        return table.set_index("position_id", drop=False).sort_index()

    @cached_property
    def unit_names(self) -> dict[str, str]:
        """Unit id → name (a dict: looked up for a few people per answer)."""
        units = self.records["units"]
        return dict(zip(units["unit_id"].astype(str), units["name"].astype(str), strict=True))

    @cached_property
    def grades(self) -> pd.Series:
        """Each active person's grade (I/a … IV/e or a PPPK grade) on `as_of`."""
        history = self.records["grade_history"]
        history = history[
            (history["start_date"] <= self.as_of) & (history["recorded_at"] < self.as_of)
        ]
        latest = history.sort_values("start_date").drop_duplicates("employee_id", keep="last")
        return pd.Series(latest["grade"].to_numpy(), index=latest["employee_id"].to_numpy())

    @cached_property
    def ratings(self) -> pd.DataFrame:
        """Annual SKP ratings known on `as_of` (predikat as recorded, with its scheme)."""
        evaluations = known(self.records["evaluations"], self.as_of)
        annual = evaluations[evaluations["period"] == "annual"]
        columns = ["employee_id", "year", "scheme", "rating"]
        return annual[columns].set_index("employee_id").sort_index()

    @cached_property
    def jp_this_year(self) -> pd.Series:
        """JP of competency development completed since 1 January of `as_of`'s year."""
        return trainings.jp_this_year(self.records, self.as_of)

    @cached_property
    def _rows(self) -> dict[str, int]:
        """Employee id → row of the view (a dict: an index lookup on pandas' Arrow strings
        costs a conversion of the whole index)."""
        return {person: i for i, person in enumerate(self.view.frame.index)}

    @cached_property
    def _agencies(self) -> list[str]:
        return [str(a) for a in self.view.frame["agency_id"]]

    def row(self, employee_id: str) -> int:
        row = self._rows.get(employee_id)
        if row is None:
            raise NotFound(f"no active employee {employee_id!r} on {self.as_of.date()}")
        return row

    def agency_of(self, employee_id: str) -> str:
        return self._agencies[self.row(employee_id)]

    def position(self, position_id: str) -> pd.Series:
        if position_id not in self.positions.index:
            raise NotFound(f"no position {position_id!r}")
        return self.positions.loc[position_id]  # type: ignore[return-value]  # unique ids

    def profile(self, employee_id: str, levels: np.ndarray | None = None) -> dict[str, object]:
        """Position, grade, competencies against the post's standard, ratings, talent box and
        this year's JP of one person (no name, NIP, birth date or sex). `levels`: the person's
        current levels as `competencies` takes them."""
        row = self.row(employee_id)
        person = self.view.frame.iloc[row]
        position = self.position(str(person["position_id"]))
        return {
            "employee_id": employee_id,
            "agency_id": str(person["agency_id"]),
            "unit_id": str(person["unit_id"]),
            "position": {
                "position_id": str(position["position_id"]),
                "title": str(position["title"]),
                "family": str(position["family"]),
                "field": None if pd.isna(position["field"]) else str(position["field"]),
                "years_in_position": round(float(person["years_in_position"]), 2),
            },
            "grade": self.grades.get(employee_id),
            "competencies": self.competencies(row, str(position["position_id"]), levels),
            "ratings": self.recent_ratings(employee_id),
            "talent": self._talent(person),
            "development": {
                "jp_this_year": int(self.jp_this_year.get(employee_id, 0)),
                "jp_right_per_year": int(reference.constant("annual_development_jp")),
                "jp_last_12_months": float(person["jp_12m"]),
            },
        }

    def competencies(
        self, row: int, position_id: str, levels: np.ndarray | None = None
    ) -> list[dict[str, object]]:
        """The person's levels against a post's standard, competency by competency: the level
        last measured (None when never assessed), the current level and the shortfall.
        `levels` (one per competency) is the person's current level where it is shown: the
        service passes the training recommender's estimate (`serving.levels`), the level its
        reasons quote; without it, the view's (last measured, else the family mean)."""
        required = self.view.standards.reindex([position_id]).fillna(0.0).to_numpy()[0]
        if levels is None:
            levels = self.view.levels[[row]]
        else:
            levels = np.asarray(levels, dtype=float).reshape(1, -1)
        fit = competency_fit(levels, required)
        table = breakdown(fit, 0, levels, required)
        measured = self.view.frame.iloc[row]
        out = []
        for item in table.to_dict("records"):
            last = measured.get(f"level__{item['competency_code']}")
            out.append(
                {
                    "competency_code": item["competency_code"],
                    "name_id": item["name_id"],
                    "name_en": item["name_en"],
                    "required_level": int(item["required_level"]),
                    "measured_level": None if last is None or pd.isna(last) else float(last),
                    "estimated_level": round(float(item["level"]), 2),
                    "shortfall": round(float(item["shortfall"]), 2),
                }
            )
        return out

    def recent_ratings(self, employee_id: str) -> list[dict[str, object]]:
        """The person's last SKP ratings (up to `RATING_YEARS`), oldest first."""
        if employee_id not in self.ratings.index:
            return []
        mine = self.ratings.loc[[employee_id]].sort_values("year").tail(RATING_YEARS)
        return [
            {"year": int(r["year"]), "scheme": str(r["scheme"]), "rating": str(r["rating"])}
            for r in mine.to_dict("records")
        ]

    def _talent(self, person: pd.Series) -> dict[str, object]:
        box = person["talent_box"]
        if pd.isna(box):
            return {"box": None, "action_id": None, "action_en": None}
        info = _boxes().loc[int(box)]
        return {
            "box": int(box),
            "performance_tier": info["performance_tier"],
            "potential_tier": info["potential_tier"],
            "action_id": info["action_id"],
            "action_en": info["action_en"],
        }

    def talent_distribution(self, agency_id: str) -> dict[int, int]:
        """How many active people of an agency are in each of the nine boxes (0: no box yet)."""
        frame = self.view.frame[self.view.frame["agency_id"] == agency_id]
        boxes = frame["talent_box"].fillna(0).astype(int).value_counts()
        return {box: int(boxes.get(box, 0)) for box in range(10)}

    def training_needs(self, agency_id: str) -> AgencyNeeds:
        """The agency's shared competency gaps, the courses closing them and the JP right."""
        if agency_id not in self.agencies.index:
            raise NotFound(f"no agency {agency_id!r}")
        return agency_needs(
            self.view.frame,
            self.view.levels,
            self.view.standards,
            self.records["courses"],
            self.records["course_competencies"],
            self.jp_this_year,
            agency_id,
            course_audiences=self.records["course_audiences"],
        )

    def succession(self, agency_id: str, family: str) -> pd.DataFrame:
        mine = (self.view.frame["agency_id"] == agency_id).to_numpy()
        return succession_pool(
            self.view.facts[mine], self.view.frame[mine], family, self.as_of
        ).reset_index(names="employee_id")


def _boxes() -> pd.DataFrame:
    table = reference.load("talent_boxes")
    return table.set_index(table["box"].astype(int))


def build_snapshot(engine: sa.Engine, as_of: pd.Timestamp, cache: Path | None = None) -> Snapshot:
    """Load the records (from `cache` when this data snapshot was read before) and describe
    everyone active on `as_of` (seconds at province scale)."""
    records = load_records(engine, cache=cache)
    snapshot_id = records.snapshot_id
    agencies = load_records(engine, ("agencies",))["agencies"]
    births = load_birth_dates(engine)
    view = build_view(records, as_of, births)
    log.info("snapshot %s: %d people active on %s", snapshot_id, len(view.frame), as_of.date())
    table = agencies.set_index("agency_id", drop=False).sort_index()
    snapshot = Snapshot(as_of, snapshot_id, records, births, view, table)
    # built now, not by the first requests (which would wait, or build them twice at once)
    for part in (
        "paths",
        "positions",
        "unit_names",
        "grades",
        "ratings",
        "jp_this_year",
        "_rows",
        "_agencies",
    ):
        getattr(snapshot, part)
    return snapshot


def service_date(settings: ServiceSettings, engine: sa.Engine) -> pd.Timestamp:
    """The date answers hold for: the configured one, else the day the data in the database
    was extracted (a dataset is described on its own day: on today's, its last months would
    look empty), else today."""
    if settings.as_of is not None:
        return pd.Timestamp(settings.as_of)
    with engine.connect() as connection:
        extracted = extraction_date(connection)
    return pd.Timestamp(extracted or dt.date.today())


def refreshed(
    engine: sa.Engine, current: Snapshot, as_of: pd.Timestamp, cache: Path | None = None
) -> Snapshot:
    """A new snapshot when the database changed since `current` (an ingest) or the service's
    date moved on (a new day), else `current` itself."""
    with engine.connect() as connection:
        same_data = database_snapshot_id(connection) == current.snapshot_id
    if same_data and as_of == current.as_of:
        return current
    return build_snapshot(engine, as_of, cache)
