"""The O*NET adapter on a small hand-made fixture in O*NET's own file layout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from service.cli import app
from training.analyses.onet import onet_check

CODE = "O*NET-SOC Code"

#: Four occupations, two elements each of skills and knowledge (levels 0–7, importance 1–5):
#: NURSE and MIDWIFE alike, TEACHER and TUTOR alike, TUTOR a lighter TEACHER.
LEVELS = {
    "29-0001.00": ("NURSE", [5, 4, 1, 6]),
    "29-0002.00": ("MIDWIFE", [5, 4, 1, 5]),
    "25-0001.00": ("TEACHER", [2, 6, 6, 1]),
    "25-0002.00": ("TUTOR", [1, 5, 5, 1]),
}


def write_fixture(folder: Path) -> Path:
    for name, elements in (
        ("skills.csv", ["2.A.1", "2.A.2"]),
        ("knowledge.csv", ["2.C.1", "2.C.2"]),
    ):
        rows = []
        for code, (title, levels) in LEVELS.items():
            part = levels[:2] if name == "skills.csv" else levels[2:]
            for element, level in zip(elements, part, strict=True):
                rows.append(
                    {
                        CODE: code,
                        "Title": title,
                        "Element ID": element,
                        "Scale ID": "LV",
                        "Data Value": level,
                    }
                )
                rows.append(
                    {
                        CODE: code,
                        "Title": title,
                        "Element ID": element,
                        "Scale ID": "IM",
                        "Data Value": 1 + level / 2,
                    }
                )
        pd.DataFrame(rows).to_csv(folder / name, index=False)
    related = [
        ("29-0001.00", "29-0002.00"),
        ("29-0002.00", "29-0001.00"),
        ("25-0001.00", "25-0002.00"),
        ("25-0002.00", "25-0001.00"),
    ]
    pd.DataFrame(related, columns=[CODE, "Related O*NET-SOC Code"]).to_csv(
        folder / "related_occupations.csv", index=False
    )
    return folder


def test_alike_occupations_rank_first(tmp_path: Path) -> None:
    table = onet_check(write_fixture(tmp_path))
    # each source has one related occupation among three others: recall@10 is 1 for any
    # ranking; MRR tells whether it comes first
    assert table.loc["cosine of importance (reference)", "mrr"] == pytest.approx(1.0)
    assert table.loc["competency fit, two way (product)", "mrr"] == pytest.approx(1.0)
    assert table.loc["competency fit, one way (product)", "sources"] == 4
    # one way: a TEACHER over-qualifies for TUTOR (ranked first), a TUTOR falls short of
    # TEACHER but of NURSE and MIDWIFE even more
    assert table.loc["competency fit, one way (product)", "mrr"] == pytest.approx(1.0)


def test_pairs_from_a_csv_and_clear_errors(tmp_path: Path) -> None:
    folder = write_fixture(tmp_path)
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"source": ["29-0001.00"], "target": ["25-0001.00"]}).to_csv(pairs, index=False)
    table = onet_check(folder, pairs)
    assert table.loc["cosine of importance (reference)", "mrr"] < 1.0
    missing = CliRunner().invoke(app, ["bench", "onet", "--onet-dir", str(tmp_path / "nope")])
    # rich wraps long paths: compare with the line breaks collapsed
    assert missing.exit_code == 2 and "not found" in " ".join(missing.output.split())
