"""Courses have an audience, as data (`course_audiences.csv`), enforced like a prerequisite: a
teachers' programme is offered to teachers and never to an extension officer; an open course is
offered to both; an agency's training needs count only the people a course is for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import reference
from features.asof.course_pairs import Catalogue, allowed_matrix, audience_matrix
from features.asof.records import from_frames
from features.planning.needs import _courses_for

COURSES = reference.load("courses").head(3)
TEACHERS, OPEN, ADMINISTRATORS = COURSES["course_id"].tolist()


def _catalogue() -> Catalogue:
    audiences = pd.DataFrame(
        {
            "course_id": [TEACHERS, TEACHERS, ADMINISTRATORS],
            "kind": ["occupation", "occupation", "family"],
            "value": ["guru", "guru_bk", "administrator"],
            "basis": "heuristic: test",
        }
    )
    records = from_frames(
        {
            "courses": COURSES.assign(mandatory_for=None),
            "course_competencies": reference.load("course_competencies").query(
                "course_id in @COURSES.course_id"
            ),
            "course_audiences": audiences,
        }
    )
    return Catalogue.from_records(records)


PEOPLE = pd.DataFrame(
    {
        "occupation": ["guru", "penyuluh_pertanian", None],
        "family": ["jf_ahli_muda", "jf_ahli_madya", "administrator"],
        "field": ["pendidikan", "pertanian", "pendidikan"],
        "leadership_course": [None, None, None],
    },
    index=["TEACHER", "EXTENSION_OFFICER", "SECRETARY"],
)


def test_a_course_is_offered_to_its_audience_only() -> None:
    catalogue = _catalogue()
    column = {course: k for k, course in enumerate(catalogue.ids)}
    allowed = allowed_matrix(PEOPLE, np.zeros((3, 3), dtype=bool), catalogue)
    offered = {
        person: {c for c in catalogue.ids if allowed[i, column[c]]}
        for i, person in enumerate(PEOPLE.index)
    }
    assert offered["TEACHER"] == {TEACHERS, OPEN}
    assert offered["EXTENSION_OFFICER"] == {OPEN}
    # the Sekretaris of the education office is not a teacher, though the field is education
    assert offered["SECRETARY"] == {OPEN, ADMINISTRATORS}


def test_a_course_without_audience_rows_is_for_everyone() -> None:
    catalogue = _catalogue()
    open_column = list(catalogue.ids).index(OPEN)
    assert audience_matrix(PEOPLE, catalogue)[:, open_column].all()


def test_training_needs_count_only_the_audience() -> None:
    code = (
        reference.load("course_competencies")
        .query("course_id == @TEACHERS")["competency_code"]
        .iloc[0]
    )
    entry = (
        reference.load("course_competencies")
        .query("course_id == @TEACHERS and competency_code == @code")
        .iloc[0]
    )
    level = float(entry["level_min"])  # in the band
    audiences = pd.DataFrame(
        {"course_id": [TEACHERS], "kind": ["occupation"], "value": ["guru"], "basis": ["test"]}
    )
    typed = from_frames({"course_competencies": reference.load("course_competencies")})
    options = _courses_for(
        code,
        np.array([level, level, level]),
        COURSES,
        typed["course_competencies"],
        PEOPLE,
        audiences,
    )
    teachers = [o for o in options if o.course_id == TEACHERS]
    assert teachers and teachers[0].participants == 1  # the teacher only, of the three


def test_every_shipped_audience_names_a_known_course_and_value() -> None:
    table = reference.load("course_audiences")
    known = {
        "occupation": set(reference.load("occupations")["occupation"]),
        "family": set(reference.load("position_families")["family"]),
        "field": set(reference.load("fields")["field"]),
    }
    assert set(table["course_id"]) <= set(reference.load("courses")["course_id"])
    for kind, value in zip(table["kind"], table["value"], strict=True):
        assert value in known[kind], (kind, value)
    assert table["basis"].str.len().gt(0).all()


def test_a_course_for_some_posts_says_whom_it_is_for() -> None:
    """The last reason of a restricted course names its audience, in both languages."""
    from training.courses.reasons import _audience

    catalogue = _catalogue()
    teachers = list(catalogue.ids).index(TEACHERS)
    said = _audience(PEOPLE.loc["TEACHER"].to_dict(), catalogue.audiences, teachers)
    assert said is not None and said["code"] == "audience"
    assert said["text_id"] == "Pelatihan ini untuk Guru, sesuai jabatan Anda."
    assert said["text_en"] == "This course is for Teacher, as your post is."
    open_course = list(catalogue.ids).index(OPEN)
    assert _audience(PEOPLE.loc["TEACHER"].to_dict(), catalogue.audiences, open_course) is None
