"""Why a course is recommended, in Bahasa Indonesia and English.

Each reason is a small record (a `code`, the numbers behind it, and the sentence in both
languages) so the API can show the sentence and a page can draw the numbers:

- ``leadership_owed`` — the post's mandatory leadership training is not done yet;
- ``gap_current`` — which competency of the current post's standard the course raises, from
  which level towards which required level;
- ``gap_next`` — the same for the next career step's standard;
- ``jp_shortfall`` — the person is below the 20 JP/year development right;
- ``popular_in_family`` — when nothing else applies: colleagues in the same kind of post took it;
- ``audience`` — last, for a course meant for some posts only (`course_audiences.csv`): whom
  it is for ("Pelatihan ini untuk Guru"), the rule that keeps it from everyone else.

The Indonesian sentences write decimals with a comma ("sekitar 1,6"), the English with a point.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from features import reference
from features.asof.course_pairs import Catalogue
from features.asof.positions import competency_codes, next_family
from training.courses.gains import entry_gains

#: Gains smaller than this (in levels) are not worth a sentence.
MIN_REASON_GAIN = 0.05

Reason = dict[str, Any]


@cache
def _competency_names() -> dict[str, tuple[str, str]]:
    table = reference.load("competencies")
    return {
        c: (i, e) for c, i, e in zip(table["code"], table["name_id"], table["name_en"], strict=True)
    }


@cache
def _family_names() -> dict[str, tuple[str, str]]:
    table = reference.load("position_families")
    return {
        f: (i, e)
        for f, i, e in zip(table["family"], table["name_id"], table["name_en"], strict=True)
    }


class Explainer:
    """Reasons for one person's recommended courses (computes the person's gains once)."""

    def __init__(
        self,
        person: Mapping[str, Any],
        required: np.ndarray,
        following: np.ndarray,
        measured: np.ndarray,
        levels: np.ndarray,
        catalogue: Catalogue,
        share: np.ndarray,
        position_title: str,
        family_uptake: np.ndarray | None,
    ) -> None:
        """`person` is the person's feature row; `required`, `following` and `measured` their
        competency blocks (current standard, next step's standard, last measured levels);
        `levels` their current levels (`TrainingRecommender.current_levels`): the one estimate
        of the person on the date, which the service's profile, chart and paths show too. A
        reason's "before" is that level as it is; the last measurement is only named as its
        basis, and a gap is claimed only where that level is below the standard."""
        self.person = person
        self.catalogue = catalogue
        self.title = position_title
        self.family_uptake = family_uptake
        self.measured = measured
        self.now = entry_gains(levels[None, :], required[None, :], catalogue, share)
        self.later = entry_gains(levels[None, :], following[None, :], catalogue, share)
        # what each entry closes, computed once: a list explains ten courses of a person
        self.closed_now = self.now.closed[0]
        self.closed_later = self.later.closed[0]

    def reasons(self, course: int) -> list[Reason]:
        """Reasons for catalogue column `course`, most binding first."""
        person, info = self.person, self.catalogue.rows[course]
        out: list[Reason] = []
        if person.get("leadership_course") == info["course_id"]:
            out.append(_leadership(person, info))
        out += self._gaps(course)
        if float(person.get("jp_shortfall_12m", 0.0) or 0.0) > 0:
            out.append(_jp(person, int(info["jp"])))
        if not out and self.family_uptake is not None and self.family_uptake[course] > 0:
            out.append(_popular(float(self.family_uptake[course])))
        fits = _audience(self.person, self.catalogue.audiences, course)
        if fits is not None:
            out.append(fits)
        return out

    def _gaps(self, course: int) -> list[Reason]:
        codes = competency_codes()
        step = next_family().get(str(self.person["family"]), "")
        step_id, step_en = _family_names().get(step, (step, step))
        out: list[Reason] = []
        for j in self.catalogue.entries_by_course[course]:
            c = self.catalogue.entry_competency[j]
            code = codes[c]
            name_id, name_en = _competency_names()[code]
            before, after = float(self.now.before[0, j]), float(self.now.after[0, j])
            basis_id, basis_en = _basis(self.measured[c])
            if self.closed_now[j] >= MIN_REASON_GAIN:
                need = float(self.now.required[0, j])
                out.append(
                    _gap_reason("gap_current", code, before, after, need, self.title, None)
                    | {
                        "text_id": f"Menutup kesenjangan {name_id} ({code}) untuk jabatan "
                        f"{self.title}: level Anda kini sekitar {_id(before)} ({basis_id}), "
                        f"setelah pelatihan sekitar {_id(after)}; standar {need:.0f}.",
                        "text_en": f"Closes the {name_en} ({code}) gap for {self.title}: your "
                        f"level is about {before:.1f} ({basis_en}), about {after:.1f} after "
                        f"the course; the standard is {need:.0f}.",
                    }
                )
            elif step and self.closed_later[j] >= MIN_REASON_GAIN:
                need = float(self.later.required[0, j])
                out.append(
                    _gap_reason("gap_next", code, before, after, need, self.title, step)
                    | {
                        "text_id": f"Menyiapkan langkah karier berikut ({step_id}): {name_id} "
                        f"({code}) dari sekitar {_id(before)} ({basis_id}) ke sekitar "
                        f"{_id(after)}; dibutuhkan {need:.0f}.",
                        "text_en": f"Prepares the next career step ({step_en}): {name_en} "
                        f"({code}) from about {before:.1f} ({basis_en}) to about {after:.1f}; "
                        f"{need:.0f} is needed.",
                    }
                )
        return out


@cache
def _audience_names() -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, value) → how an audience is named, in both languages."""
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for row in reference.load("occupations").itertuples():
        names[("occupation", str(row.occupation))] = (str(row.name_id), str(row.name_en))
    for family, pair in _family_names().items():
        names[("family", family)] = pair
    for row in reference.load("fields").itertuples():
        names[("field", str(row.field))] = (f"bidang {row.name_id}", f"the {row.name_en} field")
    return names


def _audience(
    person: Mapping[str, Any], audiences: tuple[dict[str, frozenset[str]], ...], course: int
) -> Reason | None:
    """The course is for people of the person's post (its audience), said when it has one:
    a course offered only to its audience says whom it is for."""
    if not audiences or not audiences[course]:
        return None
    for kind, values in audiences[course].items():
        held = str(person.get(kind) or "")
        if held in values:
            who_id, who_en = _audience_names().get((kind, held), (held, held))
            return {
                "code": "audience",
                "kind": kind,
                "value": held,
                "text_id": f"Pelatihan ini untuk {who_id}, sesuai jabatan Anda.",
                "text_en": f"This course is for {who_en}, as your post is.",
            }
    return None


def _id(value: float) -> str:
    """A level or a number of years in an Indonesian sentence: one decimal, with a comma."""
    return f"{value:.1f}".replace(".", ",")


def _basis(measured: float) -> tuple[str, str]:
    """How the current level is known, for the sentence."""
    if np.isnan(measured):
        return "perkiraan, belum pernah diukur", "estimated, never measured"
    return (
        f"perkiraan dari asesmen terakhir {measured:.0f}",
        f"estimated from your last assessment, {measured:.0f}",
    )


def _leadership(person: Mapping[str, Any], course: dict[str, Any]) -> Reason:
    years = float(person.get("years_in_position", 0.0) or 0.0)
    family_id, family_en = _family_names().get(person["family"], (person["family"],) * 2)
    overdue = bool(person.get("leadership_overdue", 0.0))
    deadline = reference.constant("leadership_training_deadline_years")
    late_id = f", melewati batas {deadline} tahun" if overdue else ""
    late_en = f", past the {deadline}-year deadline" if overdue else ""
    return {
        "code": "leadership_owed",
        "course_id": course["course_id"],
        "years_in_position": round(years, 1),
        "overdue": overdue,
        "text_id": f"Wajib bagi {family_id}: {course['title_id']} belum diikuti; "
        f"Anda menjabat {_id(years)} tahun{late_id}.",
        "text_en": f"Mandatory for {family_en}: {course['title_en']} not yet taken; "
        f"you have held the post for {years:.1f} years{late_en}.",
    }


def _gap_reason(
    code: str,
    competency: str,
    before: float,
    after: float,
    required: float,
    position: str,
    step: str | None,
) -> Reason:
    return {
        "code": code,
        "competency_code": competency,
        "level_from": round(before, 2),
        "level_to": round(after, 2),
        "required_level": round(required, 0),
        "position": position,
        "next_family": step,
    }


def _jp(person: Mapping[str, Any], jp: int) -> Reason:
    done = float(person.get("jp_12m", 0.0) or 0.0)
    right = int(reference.constant("annual_development_jp"))
    return {
        "code": "jp_shortfall",
        "jp_last_12_months": done,
        "jp_course": jp,
        "text_id": f"Anda baru mengikuti {done:.0f} dari {right} JP pengembangan kompetensi dalam "
        f"12 bulan terakhir; pelatihan ini {jp} JP.",
        "text_en": f"You have {done:.0f} of the {right} JP of competency development due in the "
        f"last 12 months; this course is {jp} JP.",
    }


def _popular(share: float) -> Reason:
    return {
        "code": "popular_in_family",
        "share": round(share, 3),
        "text_id": f"Diikuti {share:.0%} rekan dengan jenis jabatan yang sama dalam 12 bulan "
        "terakhir.",
        "text_en": f"Taken by {share:.0%} of colleagues in the same kind of post in the last "
        "12 months.",
    }
