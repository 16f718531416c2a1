"""Posts bound to a profession (`post_professions.csv`): a hospital director is a doctor or a
health worker, so a teacher who became the education office's Sekretaris is never offered
"Direktur RSUD", in career steps or as a candidate, and is told why; a doctor is offered it."""

from __future__ import annotations

import pandas as pd
import pytest

from features import reference
from features.asof.records import from_frames
from features.planning.paths import CareerPaths
from features.planning.ranking import rank_candidates
from features.rules import professions
from features.rules.eligibility import messages
from features.view import build_view, post_of
from tests.factories import hand_built

AS_OF = hand_built.AS_OF
GOOD = ("baik", "baik")
#: id: (education, start of the post held now, grade, grade since, SKP 2021/2022, penalty)
PEOPLE = {
    "TEACHER_SECRETARY": ("S1", "2019-01-01", "IV/b", "2019-01-01", GOOD, None),
    "DOCTOR": ("S1", "2015-01-01", "IV/b", "2019-01-01", GOOD, None),
    "NURSE_SECRETARY": ("S1", "2019-01-01", "IV/b", "2019-01-01", GOOD, None),
}
POSTS = pd.DataFrame(
    {
        "position_id": ["GURU", "DOKTER", "PERAWAT", "SEK", "SEKKES", "DIR", "KADIS"],
        "unit_id": "U1",
        "title": [
            "Guru Ahli Muda",
            "Dokter Ahli Madya",
            "Perawat Ahli Muda",
            "Sekretaris",
            "Sekretaris",
            "Direktur RSUD Prof. Dr. H. Aloei Saboe",
            "Kepala Dinas Pendidikan dan Kebudayaan",
        ],
        "family": [
            "jf_ahli_muda",
            "jf_ahli_madya",
            "jf_ahli_muda",
            "administrator",
            "administrator",
            "jpt_pratama",
            "jpt_pratama",
        ],
        "field": ["pendidikan", "kesehatan", "kesehatan", "pendidikan", "kesehatan"]
        + ["kesehatan", "pendidikan"],
        "occupation": ["guru", "dokter", "perawat_ahli", None, None, None, None],
        "capacity": [9, 9, 9, 1, 1, 1, 1],
    }
)
#: Before their present posts: the secretaries taught or nursed from 2010 to 2018.
EARLIER = pd.DataFrame(
    {
        "employee_id": ["TEACHER_SECRETARY", "NURSE_SECRETARY"],
        "position_id": ["GURU", "PERAWAT"],
        "start_date": ["2010-01-01", "2010-01-01"],
        "reason": "pengangkatan",
        "recorded_at": ["2010-01-05", "2010-01-05"],
    }
)
#: Everyone has done PKA, so that only the profession can stand between them and a JPT post.
PKA = pd.DataFrame(
    {
        "employee_id": list(PEOPLE),
        "title": "Pelatihan Kepemimpinan Administrator",
        "course_id": "C002",
        "jp": 100,
        "start_date": "2020-03-01",
        "end_date": "2020-06-01",
        "recorded_at": "2020-06-05",
    }
)


@pytest.fixture(scope="module")
def hand():  # type: ignore[no-untyped-def]
    records, births = hand_built.records(
        PEOPLE,
        held={"TEACHER_SECRETARY": "SEK", "DOCTOR": "DOKTER", "NURSE_SECRETARY": "SEKKES"},
        positions=POSTS,
        position_history=EARLIER,
    )
    records = from_frames({**records.tables, "training_records": PKA})
    return records, build_view(records, AS_OF, births)


def test_posts_are_recognised_by_title_in_real_spellings_too() -> None:
    titles = pd.Series(
        [
            "Direktur RSUD Prof. Dr. H. Aloei Saboe",
            "DIREKTUR RUMAH SAKIT UMUM DAERAH TOTO KABILA",
            "Kepala Puskesmas 01 Gorontalo",
            "KEPALA UPTD PUSKESMAS LIMBOTO",
            "Kepala Subbagian Tata Usaha Puskesmas 01 Gorontalo",
            "Kepala SD Negeri 3 Limboto",
            "Kepala Seksi Pembinaan SMA",
            "Sekretaris",
            "Kepala Dinas Kesehatan",
        ]
    )
    assert list(professions.requirement_of(titles)) == [
        "PROF-RS",
        "PROF-RS",
        "PROF-PKM",
        "PROF-PKM",
        "",
        "PROF-SEK",
        "",
        "",
        "PROF-DINKES",
    ]


def test_every_requirement_has_a_basis_or_says_heuristic() -> None:
    table = reference.load("post_professions")
    assert table["basis"].notna().all()
    known = set(reference.load("occupations")["occupation"]) | reference.vocabulary("field")
    assert set(table["value"]) <= known
    assert {r.requirement_id for r in professions.requirements()} >= {
        "PROF-RS",
        "PROF-PKM",
        "PROF-SEK",
    }
    director = professions.by_id()["PROF-RS"]
    assert "UU 44/2009" in director.basis and "heuristic" in director.basis


def test_a_teacher_turned_secretary_is_not_offered_the_hospital(hand) -> None:  # type: ignore[no-untyped-def]
    records, view = hand
    steps = CareerPaths(view, records).next_steps("TEACHER_SECRETARY")
    assert "DIR" not in set(steps["position_id"])
    assert "KADIS" in set(steps["position_id"])  # an open JPT post stays on offer


def test_a_doctor_and_a_nurse_are_offered_the_hospital(hand) -> None:  # type: ignore[no-untyped-def]
    records, view = hand
    for person in ("DOCTOR", "NURSE_SECRETARY"):
        steps = CareerPaths(view, records).next_steps(person).set_index("position_id")
        assert "DIR" in steps.index, person
        assert "PROF-RS" not in steps.loc["DIR", "failed_rules"]


def test_a_route_to_the_hospital_is_blocked_with_the_reason(hand) -> None:  # type: ignore[no-untyped-def]
    records, view = hand
    paths = CareerPaths(view, records)
    [route] = paths.routes("TEACHER_SECRETARY", "DIR")
    [step] = route
    assert step.eligible_from is None and step.blocking == ["PROF-RS"]
    [reason] = step.blocking_reasons
    assert reason["rule_id"] == "PROF-RS" and "UU 44/2009" in str(reason["basis"])
    assert "Dokter" in str(reason["text_id"]) and "Kesehatan" in str(reason["text_id"])
    assert "Medical doctor" in str(reason["text_en"])
    direct = paths.routes("DOCTOR", "DIR")[0]  # shortest first: straight from JF ahli madya
    assert len(direct) == 1 and direct[0].eligible_from == AS_OF and direct[0].blocking == []


def test_placement_candidates_leave_out_those_without_the_profession(hand) -> None:  # type: ignore[no-untyped-def]
    records, view = hand
    post = post_of(records, "DIR", view.standards)

    class Fit:
        name = "fit"

        def score(self, pairs: pd.DataFrame):  # type: ignore[no-untyped-def]
            return pairs["fit_score"].to_numpy(dtype=float)

    eligible = rank_candidates(view, post, Fit())
    assert set(eligible["employee_id"]) == {"DOCTOR", "NURSE_SECRETARY"}
    everyone = rank_candidates(view, post, Fit(), include_ineligible=True).set_index("employee_id")
    assert everyone.loc["TEACHER_SECRETARY", "failed_rules"] == ["PROF-RS"]
    assert not everyone.loc["TEACHER_SECRETARY", "eligible"]
    result = view.post_eligibility("DIR", "jpt_pratama")
    [why] = messages(result, "TEACHER_SECRETARY")
    assert why["text_id"].startswith("Jabatan ini hanya untuk Dokter")  # type: ignore[union-attr]
    assert messages(view.post_eligibility("KADIS", "jpt_pratama"), "TEACHER_SECRETARY") == []
