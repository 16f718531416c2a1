"""Training needs of an agency: the competency gaps most of its people share, the courses that
close them, and what they would cost in JP.

A person has a gap in a competency when their level (measured, or estimated where never
assessed) is at least `min_shortfall` below what their own post requires. For each shared gap,
the courses of the catalogue that develop that competency for learners at those levels are
listed with how many of the people with the gap they suit and the JP that would take (people ×
the course's JP). The JP right (at least 20 JP a year for every PNS, DOMAIN.md) is checked
against what each person completed this year.

`min_shortfall` (0.5 of a level) is a heuristic of this project, not a rule: it keeps rounding
noise in the estimated levels from counting as a need. It is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import reference
from features.asof.positions import competency_codes

#: Shortfall (in levels) from which a competency counts as a gap; a heuristic, see above.
MIN_SHORTFALL = 0.5


@dataclass(frozen=True)
class CourseOption:
    """One course that develops a shared gap's competency at the levels of those who have it."""

    course_id: str
    title_id: str
    title_en: str
    kind: str
    jp: int
    participants: int  # people with the gap whose level is in the course's band
    jp_total: int  # participants × jp


@dataclass(frozen=True)
class SharedGap:
    competency_code: str
    name_id: str
    name_en: str
    people: int  # people with this gap
    share: float  # of the agency's people
    mean_shortfall: float  # among those with the gap, in levels
    courses: list[CourseOption]


@dataclass(frozen=True)
class AgencyNeeds:
    agency_id: str
    people: int
    gaps: list[SharedGap]  # most shared first
    jp_right: int  # JP a year each ASN has a right to
    below_right: int  # people who completed fewer JP than the right this year
    jp_to_right: int  # JP that would bring them all up to it


def agency_needs(
    frame: pd.DataFrame,
    levels: np.ndarray,
    standards: pd.DataFrame,
    courses: pd.DataFrame,
    course_competencies: pd.DataFrame,
    jp_this_year: pd.Series,
    agency_id: str,
    top: int = 5,
    courses_per_gap: int = 3,
    min_shortfall: float = MIN_SHORTFALL,
    course_audiences: pd.DataFrame | None = None,
) -> AgencyNeeds:
    """The `top` most shared gaps of `agency_id`'s people (rows of `frame` and `levels`, which
    share an order), each with its best-suited courses, and the JP-right shortfall. A course
    counts only the people of its audience (`course_audiences`: a midwives' course is not a
    need of the revenue agency)."""
    rows = np.flatnonzero(frame["agency_id"].to_numpy() == agency_id)
    people = frame.index[rows]
    codes = list(competency_codes())
    required = standards.reindex(frame["position_id"].iloc[rows]).reindex(columns=codes)
    shortfall = np.clip(required.fillna(0.0).to_numpy() - levels[rows], 0.0, None)
    has_gap = shortfall >= min_shortfall
    counts = has_gap.sum(axis=0)
    names = reference.load("competencies").set_index("code")
    gaps = []
    for column in np.argsort(-counts, kind="stable")[:top]:
        if counts[column] == 0:
            break
        code = codes[column]
        mine = has_gap[:, column]
        gaps.append(
            SharedGap(
                competency_code=code,
                name_id=str(names.at[code, "name_id"]),
                name_en=str(names.at[code, "name_en"]),
                people=int(counts[column]),
                share=round(float(counts[column]) / len(rows), 3),
                mean_shortfall=round(float(shortfall[mine, column].mean()), 2),
                courses=_courses_for(
                    code,
                    levels[rows][mine, column],
                    courses,
                    course_competencies,
                    frame.iloc[rows[mine]],
                    course_audiences,
                )[:courses_per_gap],
            )
        )
    right = int(reference.constant("annual_development_jp"))
    done = jp_this_year.reindex(people).fillna(0).to_numpy()
    below = done < right
    return AgencyNeeds(
        agency_id=agency_id,
        people=len(rows),
        gaps=gaps,
        jp_right=right,
        below_right=int(below.sum()),
        jp_to_right=int(np.round((right - done[below]).sum())),
    )


def _courses_for(
    code: str,
    levels: np.ndarray,
    courses: pd.DataFrame,
    course_competencies: pd.DataFrame,
    people: pd.DataFrame,
    course_audiences: pd.DataFrame | None,
) -> list[CourseOption]:
    """Courses developing `code`, with how many of these people (`levels`, rows of `people`)
    are in each one's band (the level rounded to the nearest whole level) and its audience;
    most suited first, then fewer JP."""
    entries = course_competencies[course_competencies["competency_code"] == code]
    entries = entries.merge(courses, on="course_id")
    whole = np.round(levels)
    options = []
    for entry in entries.to_dict("records"):
        fits = _in_audience(people, course_audiences, str(entry["course_id"]))
        in_band = (whole >= entry["level_min"]) & (whole <= entry["level_max"])
        suited = int((in_band & fits).sum())
        if suited == 0:
            continue
        options.append(
            CourseOption(
                course_id=str(entry["course_id"]),
                title_id=str(entry["title_id"]),
                title_en=str(entry["title_en"]),
                kind=str(entry["kind"]),
                jp=int(entry["jp"]),
                participants=suited,
                jp_total=suited * int(entry["jp"]),
            )
        )
    return sorted(options, key=lambda o: (-o.participants, o.jp, o.course_id))


def _in_audience(people: pd.DataFrame, audiences: pd.DataFrame | None, course: str) -> np.ndarray:
    """Which of `people` a course is for (all when it has no audience rows)."""
    rows = None if audiences is None else audiences[audiences["course_id"] == course]
    if rows is None or rows.empty:
        return np.ones(len(people), dtype=bool)
    fits = np.zeros(len(people), dtype=bool)
    for kind, value in zip(rows["kind"], rows["value"], strict=True):
        if kind in people:
            fits |= (people[kind] == value).to_numpy()
    return fits
