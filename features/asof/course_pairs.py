"""Employee × course pair features: how much of a person's gap a course's level band covers.

A course targets competencies, each with a level band (`course_competencies.csv`): it is meant
for learners whose level lies in the band, and promises a nominal gain. For a person with
(measured or imputed) levels and the standards of their post and next step, a pair's features
say how much of the gap the course can close, whether the person is at the right level for it,
whether it is mandatory for them, and how popular it has been lately. `allowed` marks the pairs
a recommender may suggest: not already taken, prerequisites done, a mandated course only for
the family that owes it, and a course only for its audience (`course_audiences.csv`: the
occupations, families or fields a BKD would send to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from features.asof.frame import block
from features.asof.positions import DAYS_PER_YEAR, competency_codes, current_positions
from features.asof.records import Records, active_at, known

#: A learner within this many levels of a course's band still counts as at the right level.
BAND_SLACK = 0.5

PAIR_NUMERIC = [
    "promise_current",
    "promise_next",
    "cover_current",
    "cover_next",
    "cover_current_share",
    "gap_targets_current",
    "gap_targets_next",
    "band_share",
    "below_band_mean",
    "above_band_mean",
    "target_level_mean",
    "targets_in_standard",
    "nominal_gain_total",
    "jp_log",
    "field_match",
    "general_course",
    "leadership_owed_course",
    "uptake_12m",
    "uptake_family_12m",
    "jp_shortfall_12m",
    "courses_taken",
    "years_in_position",
    "rating_vs_unit_2y",
    "potential_tier",
    "grade_rank",
    "education_rank",
    "levels_imputed",
    "gap_current_mean",
]
PAIR_CATEGORICAL = ["family", "course_kind", "delivery"]


@dataclass(frozen=True)
class Catalogue:
    """The course catalogue as arrays: courses, their competency bands, prerequisites."""

    courses: pd.DataFrame
    entry_course: np.ndarray
    entry_competency: np.ndarray
    entry_min: np.ndarray
    entry_max: np.ndarray
    entry_gain: np.ndarray
    membership: np.ndarray  # entries × courses, 1 where the entry belongs to the course
    prerequisites: tuple[np.ndarray, ...]
    #: per course, who it is for: kind (occupation, family, field) → values; empty: everyone
    audiences: tuple[dict[str, frozenset[str]], ...] = ()

    @classmethod
    def from_records(cls, records: Records) -> Catalogue:
        courses = records["courses"].sort_values("course_id").reset_index(drop=True)
        index = {c: i for i, c in enumerate(courses["course_id"])}
        codes = {c: i for i, c in enumerate(competency_codes())}
        entries = records["course_competencies"]
        entries = entries[entries["course_id"].isin(index)]
        entry_course = entries["course_id"].map(index).to_numpy(dtype=int)
        membership = np.zeros((len(entries), len(courses)))
        membership[np.arange(len(entries)), entry_course] = 1.0
        prerequisites: list[list[int]] = [[] for _ in range(len(courses))]
        for row in records["course_prerequisites"].itertuples():
            if row.course_id in index and row.prerequisite_id in index:
                prerequisites[index[row.course_id]].append(index[row.prerequisite_id])
        audiences: list[dict[str, set[str]]] = [{} for _ in range(len(courses))]
        for row in records["course_audiences"].itertuples():
            if row.course_id in index:
                audiences[index[row.course_id]].setdefault(str(row.kind), set()).add(str(row.value))
        return cls(
            courses=courses,
            entry_course=entry_course,
            entry_competency=entries["competency_code"].map(codes).to_numpy(dtype=int),
            entry_min=entries["level_min"].to_numpy(dtype=float),
            entry_max=entries["level_max"].to_numpy(dtype=float),
            entry_gain=entries["nominal_gain"].to_numpy(dtype=float),
            membership=membership,
            prerequisites=tuple(np.array(p, dtype=int) for p in prerequisites),
            audiences=tuple({k: frozenset(v) for k, v in a.items()} for a in audiences),
        )

    @property
    def ids(self) -> np.ndarray:
        return self.courses["course_id"].to_numpy()

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """The courses as plain dicts, by catalogue position (cheap per-answer lookups)."""
        return self.courses.to_dict("records")  # type: ignore[return-value]

    @cached_property
    def entries_by_course(self) -> list[np.ndarray]:
        """Each course's entry positions (catalogue column → entries), found once."""
        return [np.flatnonzero(self.entry_course == k) for k in range(len(self.ids))]

    def entries_of(self, courses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For course positions `courses` (one per take): (take index, entry index) pairs."""
        order = np.argsort(self.entry_course, kind="stable")
        counts = np.bincount(self.entry_course, minlength=len(self.ids))
        offsets = np.concatenate([[0], np.cumsum(counts)])
        n = counts[courses]
        take = np.repeat(np.arange(len(courses)), n)
        within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        return take, order[offsets[courses][take] + within]


@dataclass(frozen=True)
class Uptake:
    """Share of active people (overall and per family) who took each course lately."""

    overall: np.ndarray  # per course
    by_family: dict[str, np.ndarray]


@dataclass(frozen=True)
class UptakeCounts:
    """The counts behind `Uptake`: takers per course in the year (overall and per family) and
    the active people they are shares of. Counts of disjoint parts of the population (the
    regions of a national batch job) add up to the counts of the whole, so each part can be
    counted where it is and the shares taken once, over everyone."""

    takers: np.ndarray  # per course
    family_takers: dict[str, np.ndarray]
    people: int
    family_people: dict[str, int]

    def __add__(self, other: UptakeCounts) -> UptakeCounts:
        families = self.family_takers.keys() | other.family_takers.keys()
        none = np.zeros_like(self.takers)
        return UptakeCounts(
            self.takers + other.takers,
            {
                f: self.family_takers.get(f, none) + other.family_takers.get(f, none)
                for f in sorted(families)
            },
            self.people + other.people,
            {
                f: self.family_people.get(f, 0) + other.family_people.get(f, 0)
                for f in sorted(self.family_people.keys() | other.family_people.keys())
            },
        )

    def shares(self) -> Uptake:
        return Uptake(
            overall=self.takers / max(self.people, 1),
            by_family={
                family: n / max(self.family_people.get(family, 1), 1)
                for family, n in self.family_takers.items()
            },
        )


def uptake_counts(records: Records, catalogue: Catalogue, as_of: pd.Timestamp) -> UptakeCounts:
    """Who took each course in the 12 months before `as_of`, from records known by then."""
    positions = current_positions(records, as_of)
    positions = positions[positions.index.isin(active_at(records, as_of)["employee_id"])]
    trainings = known(records["training_records"], as_of)
    ended = trainings["end_date"].fillna(trainings["start_date"])
    recent = trainings[
        ((as_of - ended).dt.days < DAYS_PER_YEAR) & (ended < as_of) & trainings["course_id"].notna()
    ]
    takers = recent[["employee_id", "course_id"]].drop_duplicates()
    takers = takers.assign(family=takers["employee_id"].map(positions["family"]))
    index = pd.Index(catalogue.ids)
    by_family = {
        str(family): rows.groupby("course_id").size().reindex(index, fill_value=0).to_numpy()
        for family, rows in takers.groupby("family")
    }
    return UptakeCounts(
        takers=takers.groupby("course_id").size().reindex(index, fill_value=0).to_numpy(),
        family_takers=by_family,
        people=len(positions),
        family_people={str(f): int(n) for f, n in positions["family"].value_counts().items()},
    )


def course_uptake(records: Records, catalogue: Catalogue, as_of: pd.Timestamp) -> Uptake:
    """Course uptake in the 12 months before `as_of`, from records known by then."""
    return uptake_counts(records, catalogue, as_of).shares()


def pair_matrix(
    employee_ids: np.ndarray, course_ids: np.ndarray, pairs: pd.DataFrame
) -> np.ndarray:
    """People × courses, True where (employee_id, course_id) is one of `pairs`."""
    rows = pd.Series(np.arange(len(employee_ids)), index=employee_ids)
    rows = rows[~rows.index.duplicated()]
    cols = pd.Series(np.arange(len(course_ids)), index=course_ids)
    pairs = pairs[pairs["employee_id"].isin(rows.index) & pairs["course_id"].isin(cols.index)]
    out = np.zeros((len(employee_ids), len(course_ids)), dtype=bool)
    out[rows[pairs["employee_id"]].to_numpy(), cols[pairs["course_id"]].to_numpy()] = True
    return out


def taken_matrix(frame: pd.DataFrame, taken: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    """Rows of `frame` × courses: True where the person already took the course."""
    return pair_matrix(frame["employee_id"].to_numpy(), catalogue.ids, taken)


def owed_matrix(frame: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    """People × courses: True at the leadership course each person's post makes them owe."""
    owed = frame["leadership_course"].fillna("").to_numpy()
    return catalogue.ids[None, :] == owed[:, None]


#: The columns of the feature frame an audience is matched on (`course_audiences.kind`).
AUDIENCE_COLUMNS = ("occupation", "family", "field")


def audience_matrix(frame: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    """People × courses: True where the person is in the course's audience (the occupation,
    family or field of their post matches one of its rows; a course without rows is for all)."""
    out = np.ones((len(frame), len(catalogue.ids)), dtype=bool)
    restricted = [k for k, audience in enumerate(catalogue.audiences) if audience]
    if not restricted:
        return out
    held = {
        kind: frame[kind].fillna("").astype(str).to_numpy()
        if kind in frame
        else np.full(len(frame), "", dtype=object)
        for kind in AUDIENCE_COLUMNS
    }
    for k in restricted:
        fits = np.zeros(len(frame), dtype=bool)
        for kind, values in catalogue.audiences[k].items():
            fits |= np.isin(held[kind], list(values))
        out[:, k] = fits
    return out


def allowed_matrix(frame: pd.DataFrame, taken: np.ndarray, catalogue: Catalogue) -> np.ndarray:
    """What may be suggested: not taken, prerequisites done, mandated only to those who owe it,
    and only to the course's audience (a teachers' programme to teachers, `audience_matrix`)."""
    mandate = catalogue.courses["mandatory_for"].fillna("").to_numpy()
    allowed = ~taken & (mandate == "")[None, :]
    allowed |= owed_matrix(frame, catalogue) & ~taken
    for k, prerequisites in enumerate(catalogue.prerequisites):
        if len(prerequisites):
            allowed[:, k] &= taken[:, prerequisites].all(axis=1)
    return allowed & audience_matrix(frame, catalogue)


def entry_view(
    frame: pd.DataFrame, catalogue: Catalogue, levels: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per person (rows) and course entry (columns): level, gaps and position in the band.

    `levels` (people × competencies) replaces the frame's level block when given.
    """
    c = catalogue.entry_competency
    if levels is None:
        levels = block(frame, "level")
    level = levels[:, c]
    required = block(frame, "required")[:, c]
    following = block(frame, "next_required")[:, c]
    below = np.clip(catalogue.entry_min - BAND_SLACK - level, 0, None)
    above = np.clip(level - catalogue.entry_max - BAND_SLACK, 0, None)
    return {
        "level": level,
        "required": required,
        "gap": np.clip(required - level, 0, None),
        "gap_next": np.clip(following - level, 0, None),
        "below": below,
        "above": above,
        "in_band": ((below == 0) & (above == 0)).astype(float),
    }


def gap_coverage(frame: pd.DataFrame, catalogue: Catalogue) -> dict[str, np.ndarray]:
    """People × courses, three of the pair features at matrix cost: how much of the current
    post's (``cover_current``) and the next step's (``cover_next``) gaps each course can close
    at the person's levels, and whether it is their owed leadership course. The frame must
    have no missing level (`features.asof.transformers.LevelImputer`)."""
    view = entry_view(frame, catalogue)
    reach = catalogue.entry_gain * view["in_band"]
    return {
        "leadership_owed_course": owed_matrix(frame, catalogue).astype(float),
        "cover_current": np.minimum(reach, view["gap"]) @ catalogue.membership,
        "cover_next": np.minimum(reach, view["gap_next"]) @ catalogue.membership,
    }


def pair_features(
    frame: pd.DataFrame,
    catalogue: Catalogue,
    uptake: Uptake,
    rows: np.ndarray,
    cols: np.ndarray,
    levels: np.ndarray | None = None,
) -> pd.DataFrame:
    """Features of the pairs (frame row `rows[i]`, course `cols[i]`), in that order.

    Levels come from `levels` (people × competencies) or from the frame, which must then have
    no missing level (`features.asof.transformers.LevelImputer`); the frame must have
    ``levels_imputed``.
    """
    if levels is None:
        levels = block(frame, "level")
    view = entry_view(frame, catalogue, levels)
    member = catalogue.membership
    per_course = member.sum(axis=0)

    def total(values: np.ndarray) -> np.ndarray:
        return (values @ member)[rows, cols]

    def mean(values: np.ndarray) -> np.ndarray:
        return total(values) / np.maximum(per_course[cols], 1)

    reach = catalogue.entry_gain * view["in_band"]
    cover = total(np.minimum(reach, view["gap"]))
    gap_sum = block(frame, "required") - levels
    gap_sum = np.clip(gap_sum, 0, None).sum(axis=1)[rows]
    courses = catalogue.courses.iloc[cols]
    family = frame["family"].fillna("").to_numpy()[rows]
    by_family = np.vstack(
        [uptake.by_family.get(f, np.zeros(len(catalogue.ids))) for f in np.unique(family)]
    )
    family_row = np.searchsorted(np.unique(family), family)
    out = {
        "promise_current": total(reach * view["gap"]),
        "promise_next": total(reach * view["gap_next"]),
        "cover_current": cover,
        "cover_next": total(np.minimum(reach, view["gap_next"])),
        "cover_current_share": cover / np.maximum(gap_sum, 1e-9) * (gap_sum > 0),
        "gap_targets_current": total((view["gap"] > 0).astype(float)),
        "gap_targets_next": total((view["gap_next"] > 0).astype(float)),
        "band_share": mean(view["in_band"]),
        "below_band_mean": mean(view["below"]),
        "above_band_mean": mean(view["above"]),
        "target_level_mean": mean(view["level"]),
        "targets_in_standard": total((view["required"] > 0).astype(float)),
        "nominal_gain_total": np.broadcast_to(
            catalogue.entry_gain @ member, (len(frame), len(catalogue.ids))
        )[rows, cols],
        "jp_log": np.log1p(courses["jp"].to_numpy(dtype=float)),
        "field_match": (
            courses["field"].fillna("").to_numpy() == frame["field"].fillna("-").to_numpy()[rows]
        ).astype(float),
        "general_course": courses["field"].isna().to_numpy().astype(float),
        "leadership_owed_course": (
            courses["course_id"].to_numpy()
            == frame["leadership_course"].fillna("").to_numpy()[rows]
        ).astype(float),
        "uptake_12m": uptake.overall[cols],
        "uptake_family_12m": by_family[family_row, cols],
        "family": family,
        "course_kind": courses["kind"].to_numpy(),
        "delivery": courses["delivery"].to_numpy(),
    }
    for name in PAIR_NUMERIC:
        if name not in out:
            out[name] = frame[name].to_numpy(dtype=float)[rows]
    return pd.DataFrame(out)[PAIR_NUMERIC + PAIR_CATEGORICAL]
