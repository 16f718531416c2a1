"""The `jenjang` command line, as a user runs it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.cli import app
from tests.factories.export import EMPLOYEES, write_export

runner = CliRunner()


def test_generate_ingest_summary(tmp_path: Path, database: Path) -> None:
    out = tmp_path / "gen"
    result = runner.invoke(
        app,
        [
            "data",
            "generate",
            "--employees",
            "120",
            "--seed",
            "5",
            "--format",
            "csv",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "employees.csv").exists() and (out / "truth" / "manifest.json").exists()
    result = runner.invoke(app, ["data", "ingest", str(out)])
    assert result.exit_code == 0, result.output
    assert "batch 1" in result.output and "employees" in result.output
    result = runner.invoke(app, ["data", "summary"])
    assert result.exit_code == 0 and "active ASN by region" in result.output


def test_validate_reports_problems_and_fails(tmp_path: Path, database: Path) -> None:
    bad = EMPLOYEES.copy()
    bad.loc[0, "sex"] = "X"
    report = tmp_path / "problems.csv"
    result = runner.invoke(
        app,
        [
            "data",
            "validate",
            str(write_export(tmp_path / "x", employees=bad)),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 1
    # sex is personal data: the problem names the row and column, never the value
    assert "employees.csv:2 [sex] the value is not a valid sex" in result.output
    assert "'X'" not in result.output
    assert "employees.csv" in report.read_text()


def test_ingest_of_a_bad_export_is_rejected(tmp_path: Path, database: Path) -> None:
    bad = EMPLOYEES.copy()
    bad.loc[1, "hire_date"] = "kemarin"
    result = runner.invoke(
        app, ["data", "ingest", str(write_export(tmp_path / "x", employees=bad))]
    )
    assert result.exit_code == 1
    assert "rejected" in result.output and "nothing was written" in result.output


def test_unknown_scale_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "generate", "--scale", "kota", "--out", str(tmp_path)])
    assert result.exit_code != 0


def test_generate_never_wipes_a_folder_that_is_not_a_dataset(tmp_path: Path) -> None:
    (tmp_path / "skripsi.docx").write_text("do not delete")
    result = runner.invoke(app, ["data", "generate", "--employees", "60", "--out", str(tmp_path)])
    assert result.exit_code == 2
    # Rich wraps long lines at the terminal width: compare with whitespace collapsed
    assert "not empty and holds no earlier Jenjang dataset" in " ".join(result.output.split())
    assert (tmp_path / "skripsi.docx").read_text() == "do not delete"
