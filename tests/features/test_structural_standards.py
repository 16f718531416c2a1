"""The generator's structural posts carry the technical standard of their own function (an
education office's Sekretaris is not held to a teacher's lesson planning), and its placements
into profession-bound posts go to people of that profession."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from features import reference
from features.rules import professions
from features.synth import organisation

#: A teacher's own competencies: lesson planning and learning assessment.
TEACHING = {"T.PDD.01", "T.PDD.02"}


@pytest.fixture(scope="module")
def tables(small_dataset: Path) -> dict[str, pd.DataFrame]:
    names = ("positions", "units", "agencies", "position_standards", "position_history")
    return {name: pd.read_parquet(small_dataset / f"{name}.parquet") for name in names}


def test_every_row_names_known_competencies_and_a_basis() -> None:
    path = Path(organisation.__file__).with_name("structural_standards.csv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    codes = set(reference.load("competencies")["code"])
    assert rows and all(set(r["technical_competencies"].split(";")) <= codes for r in rows)
    assert all(r["basis"].startswith("heuristic") or "/" in r["basis"] for r in rows)


def test_the_education_offices_secretary_is_not_held_to_lesson_planning(tables) -> None:  # type: ignore[no-untyped-def]
    posts = tables["positions"].merge(tables["units"], on="unit_id")
    offices = tables["agencies"][["agency_id", "field"]].rename(columns={"field": "office"})
    posts = posts.merge(offices, on="agency_id")
    secretaries = posts[(posts["title"] == "Sekretaris") & (posts["office"] == "pendidikan")]
    assert len(secretaries) >= 3
    standards = tables["position_standards"]
    theirs = standards[standards["position_id"].isin(secretaries["position_id"])]
    technical = set(theirs.loc[theirs["competency_code"].str.startswith("T."), "competency_code"])
    assert technical == {"T.PRC.01", "T.KEU.01", "T.KPG.01"}  # planning, budgets, staffing
    # no structural post of any office teaches; teachers still do
    structural = posts.loc[posts["occupation"].isna(), "position_id"]
    assert not set(standards.loc[standards["position_id"].isin(structural), "competency_code"]) & (
        TEACHING
    )
    teachers = posts.loc[posts["occupation"] == "guru", "position_id"]
    held = standards.loc[standards["position_id"].isin(teachers), "competency_code"]
    assert "T.PDD.01" in set(held)


def test_placements_into_profession_bound_posts_go_to_the_profession(tables) -> None:  # type: ignore[no-untyped-def]
    """Every promotion into a hospital director's, puskesmas head's, … post went to someone
    whose earlier posts show the profession (the rule the records are checked with)."""
    history = tables["position_history"].merge(
        tables["positions"][["position_id", "title", "occupation"]], on="position_id"
    )
    history["requirement"] = professions.requirement_of(history["title"]).to_numpy()
    fields = reference.load("occupations").set_index("occupation")["field"]
    promoted = history[(history["requirement"] != "") & (history["reason"] == "promosi")]
    assert len(promoted) >= 5
    for move in promoted.itertuples():
        before = history[
            (history["employee_id"] == move.employee_id) & (history["start_date"] < move.start_date)
        ]
        rule = professions.by_id()[move.requirement]
        held = set(before["occupation"].dropna())
        assert (
            held & rule.occupations
            or set(before["occupation"].dropna().map(fields)) & rule.fields
            or (before["requirement"] == move.requirement).any()
        ), (move.employee_id, move.title)
