"""The reference data shipped with Jenjang says what DOMAIN.md says."""

from __future__ import annotations

import pandas as pd
import pytest

from features import reference
from features.schema import TABLES


def test_every_vocabulary_named_by_the_schema_exists() -> None:
    for table in TABLES.values():
        for column in table.columns:
            if column.enum:
                assert reference.vocabulary(column.enum), f"{table.name}.{column.name}"


def test_required_levels_per_family_follow_permenpanrb_38_2017() -> None:
    families = reference.load("position_families").set_index("family")
    levels = families["required_level"].astype(int)
    expected = {
        "jpt_madya": 5,
        "jpt_pratama": 4,
        "administrator": 3,
        "pengawas": 2,
        "pelaksana": 1,
        "jf_ahli_pertama": 2,
    }
    assert {k: levels[k] for k in expected} == expected
    assert (families.loc["jf_ahli_muda", "required_level_basis"]).startswith("heuristic")


def test_seventeen_pns_grades_in_order() -> None:
    grades = reference.load("grades").query("scheme == 'pns'")
    assert list(grades["grade"])[:2] == ["I/a", "I/b"] and len(grades) == 17
    assert grades.set_index("grade").loc["III/c", "pangkat"] == "Penata"


def test_predikat_matrix_and_talent_boxes_match_domain() -> None:
    matrix = reference.load("predikat_matrix").set_index(["work_result", "work_behaviour"])[
        "rating"
    ]
    assert matrix[("di_atas", "di_atas")] == "sangat_baik"
    assert matrix[("di_bawah", "sesuai")] == "butuh_perbaikan"
    assert matrix[("sesuai", "di_bawah")] == "kurang"
    assert len(matrix) == 9
    boxes = reference.load("talent_boxes").set_index(["performance_tier", "potential_tier"])
    assert int(boxes.loc[("di_atas", "tinggi"), "box"]) == 9
    assert int(boxes.loc[("di_bawah", "tinggi"), "box"]) == 6
    assert set(boxes.query("succession == 'true'")["box"].astype(int)) == {7, 8, 9}


def test_regulation_constants_each_carry_a_basis() -> None:
    constants = reference.load("regulation_constants")
    assert set(constants["status"]) <= {"regulation", "heuristic"}
    assert constants["basis"].notna().all()
    assert reference.constant("annual_development_jp") == 20
    assert reference.constant("jpt_pratama_max_age") == 56


def test_course_catalogue_is_large_and_consistent() -> None:
    courses = reference.load("courses")
    links = reference.load("course_competencies")
    prerequisites = reference.load("course_prerequisites")
    codes = set(reference.load("competencies")["code"])
    assert len(courses) >= 150 and courses["course_id"].is_unique
    assert set(courses["course_id"]) == set(links["course_id"]), "every course develops something"
    assert set(links["competency_code"]) <= codes
    assert links.groupby("competency_code").size().min() >= 2
    assert (links["level_min"].astype(int) <= links["level_max"].astype(int)).all()
    assert set(prerequisites.stack()) <= set(courses["course_id"])
    for mandate, course in [("pengawas", "PKP"), ("administrator", "PKA")]:
        titles = courses.loc[courses["mandatory_for"] == mandate, "title_id"]
        assert titles.str.contains(course).any()


@pytest.mark.parametrize("field", sorted(reference.vocabulary("field")))
def test_each_field_has_technical_competencies_and_courses(field: str) -> None:
    competencies = reference.load("competencies")
    assert (competencies["field"] == field).sum() >= 4
    assert (reference.load("courses")["field"] == field).sum() >= 10


def test_aliases_point_at_canonical_names() -> None:
    aliases = reference.load("aliases")
    tables = aliases.query("kind == 'table'")["canonical"]
    assert set(tables) <= set(TABLES)
    for row in aliases.query("kind == 'column'").itertuples():
        scope = TABLES.values() if row.scope == "*" else [TABLES[row.scope]]
        assert any(row.canonical in t.column_names for t in scope), row.alias
    assert isinstance(aliases, pd.DataFrame)
