"""The state of one simulated region and the event logs it produces.

`World` holds the organisation, the people and who holds which post; every mechanism module
(`careers`, `learning`, `appraisal`) reads and updates it for one year at a time and appends
what happened to `Logs`, from which `observe` later writes the observable tables and the truth.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from features import reference
from features.rules import professions
from features.synth.config import GeneratorConfig, Region
from features.synth.organisation import Catalogues, Organisation
from features.synth.people import People


class Logs:
    """Append-only event logs: each is a list of column dicts, concatenated at the end."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[dict[str, np.ndarray]]] = defaultdict(list)

    def add(self, name: str, **columns: Any) -> None:
        lengths = {len(np.atleast_1d(v)) for v in columns.values() if not np.isscalar(v)}
        length = max(lengths) if lengths else 1
        chunk = {
            k: (np.full(length, v) if np.isscalar(v) or v is None else np.asarray(v))
            for k, v in columns.items()
        }
        if length:
            self._chunks[name].append(chunk)

    def frame(self, name: str) -> pd.DataFrame:
        chunks = self._chunks.get(name, [])
        if not chunks:
            return pd.DataFrame()
        return pd.DataFrame({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})


@dataclass
class CourseBook:
    """The catalogue as arrays, with each course's competency entries and hidden effectiveness."""

    courses: pd.DataFrame
    entry_course: np.ndarray
    entry_competency: np.ndarray
    entry_min: np.ndarray
    entry_max: np.ndarray
    entry_gain: np.ndarray
    effectiveness: np.ndarray
    prerequisites: list[np.ndarray]
    popularity: np.ndarray
    mandate: np.ndarray
    #: per course, kind (occupation, family, field) → values it is for; empty: everyone
    audiences: tuple[dict[str, frozenset[str]], ...] = ()

    @property
    def size(self) -> int:
        return len(self.courses)

    def in_audience(self, posts: dict[str, np.ndarray]) -> np.ndarray:
        """People × courses: whether each person's post (`posts`: occupation, family and field
        per person) is in each course's audience."""
        people = len(next(iter(posts.values())))
        out = np.ones((people, self.size), dtype=bool)
        for k, audience in enumerate(self.audiences):
            if audience:
                fits = np.zeros(people, dtype=bool)
                for kind, values in audience.items():
                    fits |= np.isin(posts[kind], list(values))
                out[:, k] = fits
        return out


@dataclass
class World:
    """One region being simulated."""

    config: GeneratorConfig
    region: Region
    rng: np.random.Generator
    catalogues: Catalogues
    org: Organisation
    courses: CourseBook
    people: People
    unit_agency: np.ndarray
    unit_quality: np.ndarray
    holder: dict[int, int] = field(default_factory=dict)
    logs: Logs = field(default_factory=Logs)
    snapshots: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    taken: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    assessment_count: int = 0
    year: int = 0
    #: per person, the occupations held and the profession-bound posts (requirement ids) held:
    #: what `features.rules.professions` reads from the position history
    professions: dict[int, set[str]] = field(default_factory=dict)
    _post_requirement: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def positions(self) -> pd.DataFrame:
        return self.org.positions.frame()

    def required(self) -> np.ndarray:
        return self.org.positions.required_matrix()

    def active(self) -> np.ndarray:
        return np.flatnonzero(self.people["active"])

    def date(self, month: int, day: int = 1) -> np.datetime64:
        return np.datetime64(f"{self.year}-{month:02d}-{day:02d}", "D")

    def random_dates(self, n: int, first_month: int = 1, last_month: int = 12) -> np.ndarray:
        start = self.date(first_month)
        end = np.datetime64(f"{self.year}-{last_month:02d}-28", "D")
        span = int((end - start).astype(int))
        return start + self.rng.integers(0, span + 1, n).astype("timedelta64[D]")

    def dates_after_hire(
        self, idx: np.ndarray, first_month: int = 1, last_month: int = 12
    ) -> np.ndarray:
        """Random dates this year for people `idx`, none before their TMT."""
        dates = self.random_dates(len(idx), first_month, last_month)
        return np.maximum(dates, self.people["hire"][idx])

    def age(self, idx: np.ndarray, on: np.datetime64) -> np.ndarray:
        return (on - self.people["birth"][idx]).astype(int) / 365.25

    def move(
        self, idx: np.ndarray, positions: np.ndarray, start: np.ndarray | np.datetime64, reason: str
    ) -> None:
        """Put people into positions from `start`, logging the move."""
        idx = np.atleast_1d(idx)
        positions = np.atleast_1d(positions)
        start = np.broadcast_to(start, idx.shape)
        pos_frame = self.org.positions.rows
        for person, position in zip(idx, positions, strict=True):
            old = int(self.people.columns["position"][person])
            if old >= 0 and self.holder.get(old) == person:
                del self.holder[old]
            if pos_frame[position].structural:
                self.holder[int(position)] = int(person)
            held = pos_frame[position].occupation or self.requirement(int(position))
            if held:
                self.professions.setdefault(int(person), set()).add(held)
        self.people.columns["position"][idx] = positions
        self.people.columns["position_since"][idx] = start
        self.people.columns["unit"][idx] = [pos_frame[p].unit_index for p in positions]
        self.logs.add(
            "position_history", person=idx, position=positions, start=start, reason=reason
        )

    def requirement(self, position: int) -> str:
        """The profession a post is bound to (`post_professions.csv`; "" for most posts)."""
        if position not in self._post_requirement:
            title = pd.Series([self.org.positions.rows[position].title])
            self._post_requirement[position] = str(professions.requirement_of(title).iloc[0])
        return self._post_requirement[position]

    def hold_profession(self, idx: np.ndarray, requirement_id: str) -> np.ndarray:
        """Whether each of `idx` has held a post of the profession `requirement_id` asks for, or
        a post bound to it (the rule `features.rules.professions` applies to the records)."""
        qualifying = _qualifying(requirement_id)
        held = self.professions
        return np.array([bool(held.get(int(p), set()) & qualifying) for p in idx], dtype=bool)

    def family_of(self, idx: np.ndarray) -> np.ndarray:
        rows = self.org.positions.rows
        return np.array([rows[p].family for p in self.people["position"][idx]], dtype=object)


@cache
def _qualifying(requirement_id: str) -> frozenset[str]:
    """Occupations (and the requirement id itself) that give the profession `requirement_id`."""
    requirement = professions.by_id()[requirement_id]
    occupations = reference.load("occupations")
    of_field = occupations.loc[occupations["field"].isin(requirement.fields), "occupation"]
    return requirement.occupations | frozenset(of_field) | {requirement_id}
