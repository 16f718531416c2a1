"""An agency's training needs on hand-built people, posts and courses, where the answer can be
counted by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.asof.positions import competency_codes
from features.planning.needs import agency_needs

CODES = list(competency_codes())
A, B = CODES[0], CODES[1]


def _inputs() -> dict[str, object]:
    # four people of agency X (posts P1, P1, P1, P2) and one of agency Y
    frame = pd.DataFrame(
        {"agency_id": ["X", "X", "X", "X", "Y"], "position_id": ["P1", "P1", "P1", "P2", "P1"]},
        index=["e1", "e2", "e3", "e4", "e5"],
    )
    standards = pd.DataFrame(0.0, index=["P1", "P2"], columns=CODES)
    standards.loc["P1", [A, B]] = [4.0, 3.0]
    standards.loc["P2", [A]] = [2.0]
    levels = np.full((5, len(CODES)), 3.0)
    levels[:, 0] = [2.0, 3.2, 3.8, 1.0, 1.0]  # A: short by 2.0, 0.8, 0.2 (no gap), and P2 by 1.0
    levels[:, 1] = [2.4, 3.0, 3.0, 0.0, 0.0]  # B: e1 short by 0.6; e4's post does not ask for B
    courses = pd.DataFrame(
        {
            "course_id": ["C1", "C2", "C3"],
            "title_id": ["Satu", "Dua", "Tiga"],
            "title_en": ["One", "Two", "Three"],
            "kind": ["technical"] * 3,
            "jp": [10, 24, 8],
        }
    )
    entries = pd.DataFrame(
        {
            "course_id": ["C1", "C2", "C3"],
            "competency_code": [A, A, B],
            "level_min": [1, 3, 2],
            "level_max": [2, 4, 3],
            "nominal_gain": [0.5, 0.5, 0.5],
        }
    )
    jp = pd.Series({"e1": 24, "e2": 5, "e5": 0})
    return {
        "frame": frame,
        "levels": levels,
        "standards": standards,
        "courses": courses,
        "course_competencies": entries,
        "jp_this_year": jp,
    }


def test_shared_gaps_are_counted_ranked_and_matched_to_courses() -> None:
    needs = agency_needs(**_inputs(), agency_id="X")  # type: ignore[arg-type]
    assert needs.people == 4
    assert [(g.competency_code, g.people) for g in needs.gaps] == [(A, 3), (B, 1)]
    first = needs.gaps[0]
    assert first.share == 0.75 and first.mean_shortfall == round((2.0 + 0.8 + 1.0) / 3, 2)
    # levels of those short in A: 2.0, 3.2, 1.0 → C1 (levels 1–2) suits two, C2 (3–4) one
    assert [(c.course_id, c.participants, c.jp_total) for c in first.courses] == [
        ("C1", 2, 20),
        ("C2", 1, 24),
    ]
    assert [(c.course_id, c.participants) for c in needs.gaps[1].courses] == [("C3", 1)]


def test_the_jp_right_counts_people_without_records_as_zero() -> None:
    needs = agency_needs(**_inputs(), agency_id="X")  # type: ignore[arg-type]
    assert needs.jp_right == 20
    assert needs.below_right == 3  # e2 (5 JP), e3 and e4 (none); e1 has 24
    assert needs.jp_to_right == 15 + 20 + 20


def test_a_stricter_threshold_and_an_agency_without_gaps() -> None:
    strict = agency_needs(**_inputs(), agency_id="X", min_shortfall=1.0)  # type: ignore[arg-type]
    assert [(g.competency_code, g.people) for g in strict.gaps] == [(A, 2)]
    inputs = _inputs()
    inputs["levels"] = np.full((5, len(CODES)), 5.0)
    assert agency_needs(**inputs, agency_id="Y").gaps == []  # type: ignore[arg-type]


def test_an_agency_without_people_has_no_needs() -> None:
    needs = agency_needs(**_inputs(), agency_id="Z")  # type: ignore[arg-type]
    assert (needs.people, needs.gaps, needs.below_right, needs.jp_to_right) == (0, [], 0, 0)


def test_the_needs_command_per_agency_and_a_wrong_agency(
    small_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from features.store.settings import get_settings
    from service.cli import app

    monkeypatch.setenv("JENJANG_DATABASE_URL", small_database)
    get_settings.cache_clear()
    try:
        out = f"{tmp_path}/needs.csv"
        run = CliRunner().invoke(app, ["analyses", "needs", "--as-of", "2026-06-30", "--out", out])
        assert run.exit_code == 0, run.output
        table = pd.read_csv(out)
        assert table["agency_id"].nunique() > 1 and (table["participants"] > 0).all()
        assert (table["jp_total"] % table["participants"] == 0).all()  # participants × JP
        wrong = CliRunner().invoke(app, ["analyses", "needs", "--agency", "NO-SUCH-AGENCY"])
        assert wrong.exit_code == 2 and "NO-SUCH-AGENCY" in wrong.output
    finally:
        get_settings.cache_clear()
