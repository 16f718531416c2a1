"""Bad input gets a clear error naming file, row, column and problem — all of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from features.ingest.validation import validate_folder
from tests.factories.export import EMPLOYEES, EVALUATIONS, POSITION_HISTORY, TRAINING, write_export

TODAY = dt.date(2026, 11, 28)


def _problems(folder: Path, severity: str = "error") -> list[str]:
    report = validate_folder(folder, today=TODAY)
    return [str(p) for p in report.problems if p.severity == severity]


def test_the_tiny_export_is_valid_and_titles_are_matched(tmp_path: Path) -> None:
    report = validate_folder(write_export(tmp_path), today=TODAY)
    assert report.ok, report.errors
    training = report.tables["training_records"].set_index("employee_id")
    assert training.loc["E1", "course_id"] == "C002"  # PKA despite capitals and cohort
    assert pd.isna(training.loc["E2", "course_id"])
    assert any("matches no catalogue course" in str(p) for p in report.warnings)


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    errors = _problems(write_export(tmp_path, employees=EMPLOYEES.drop(columns="birth_date")))
    assert errors == ["error: employees.csv [birth_date] required column is missing"]


def test_every_bad_value_is_reported_with_row_and_column(tmp_path: Path) -> None:
    bad = EMPLOYEES.copy()
    bad.loc[0, "birth_date"] = "15-13-1990"  # no month 13
    bad.loc[1, "education"] = "S7"
    bad.loc[1, "employment_type"] = "honorer"
    errors = _problems(write_export(tmp_path, employees=bad))
    # a birth date is personal data: the problem names the row and column, not the value
    assert (
        "error: employees.csv:2 [birth_date] cannot read the value as a date"
        " (YYYY-MM-DD, DD/MM/YYYY or 17 Agustus 2020)" in errors
    )
    assert not any("15-13-1990" in e for e in errors)
    assert any(
        e.startswith("error: employees.csv:3 [education] 'S7' is not a valid education")
        for e in errors
    )
    assert any(e.startswith("error: employees.csv:3 [employment_type]") for e in errors)


def test_nip_must_agree_with_birth_date_and_sex(tmp_path: Path) -> None:
    bad = EMPLOYEES.copy()
    bad.loc[0, "nip"] = "199001162015032001"  # born the 16th, record says 15th
    bad.loc[1, "sex"] = "F"  # NIP digit 15 says male
    errors = _problems(write_export(tmp_path, employees=bad))
    assert "error: employees.csv:2 [nip] birth date in the NIP differs from birth_date" in errors
    assert "error: employees.csv:3 [nip] sex in the NIP differs from sex" in errors


def test_nip_format_and_uniqueness(tmp_path: Path) -> None:
    bad = EMPLOYEES.copy()
    bad.loc[0, "nip"] = "19900115201503200"  # 17 digits
    bad.loc[1, "nip"] = bad.loc[0, "nip"]
    errors = _problems(write_export(tmp_path, employees=bad))
    assert any("[nip] the value must be exactly 18 digits" in e for e in errors)
    assert not any("19900115201503200" in e for e in errors)  # never quoted: personal data
    assert any("[nip] must be unique" in e for e in errors)


def test_references_must_resolve(tmp_path: Path) -> None:
    bad = POSITION_HISTORY.copy()
    bad.loc[1, "position_id"] = "P404"
    errors = _problems(write_export(tmp_path, position_history=bad))
    assert errors == [
        "error: position_history.csv:3 [position_id] 'P404' is not a known positions.position_id"
    ]


def test_no_future_dates_and_no_evaluation_before_hire(tmp_path: Path) -> None:
    bad = EVALUATIONS.copy()
    bad.loc[0, "recorded_at"] = "2027-01-05 09:00:00"
    bad.loc[2, "year"] = 2008  # E2 hired 2010
    bad.loc[2, ["period_start", "period_end", "recorded_at"]] = [
        "2008-01-01",
        "2008-12-31",
        "2009-02-01 09:00:00",
    ]
    errors = _problems(write_export(tmp_path, evaluations=bad))
    assert "error: evaluations.csv:2 [recorded_at] 2027-01-05 is in the future" in errors
    assert (
        "error: evaluations.csv:4 [year] evaluation for 2008, before the employee was hired"
        in errors
    )


def test_fact_recorded_before_it_could_be_known(tmp_path: Path) -> None:
    bad = TRAINING.copy()
    bad.loc[0, "recorded_at"] = "2019-01-01 09:00:00"
    errors = _problems(write_export(tmp_path, training_records=bad))
    assert errors == [
        "error: training_records.csv:2 [recorded_at] recorded before start_date: "
        "the fact was not known yet"
    ]


def test_conflicting_duplicates_are_errors_exact_ones_warnings(tmp_path: Path) -> None:
    twice = pd.concat([TRAINING, TRAINING.iloc[[1]]], ignore_index=True)
    clash = EVALUATIONS.copy()
    clash.loc[1, "year"] = 2021
    clash.loc[1, ["period_start", "period_end"]] = ["2021-01-01", "2021-12-31"]
    report = validate_folder(
        write_export(tmp_path, training_records=twice, evaluations=clash), today=TODAY
    )
    assert len(report.tables["training_records"]) == 2
    assert any("repeats an earlier row exactly" in str(w) for w in report.warnings)
    assert [str(e) for e in report.errors] == [
        "error: evaluations.csv:3 [employee_id, year, period] same key as row 2 but "
        "different values"
    ]


def test_scheme_parts_are_required(tmp_path: Path) -> None:
    bad = EVALUATIONS.copy()
    bad.loc[0, "score"] = None
    bad.loc[1, "work_behaviour"] = None
    errors = _problems(write_export(tmp_path, evaluations=bad))
    assert "error: evaluations.csv:2 [score] the numeric SKP scheme needs a score" in errors
    assert any("evaluations.csv:3 [work_result] the 2022 scheme needs" in e for e in errors)


def test_indonesian_export_names_and_spellings_are_understood(tmp_path: Path) -> None:
    write_export(tmp_path)
    (tmp_path / "employees.csv").unlink()
    pegawai = EMPLOYEES.rename(
        columns={
            "employee_id": "id_pegawai",
            "nip": "NIP",
            "name": "Nama",
            "sex": "Jenis Kelamin",
            "birth_date": "Tanggal Lahir",
            "hire_date": "TMT CPNS",
            "education": "Pendidikan",
        }
    )
    pegawai["Jenis Kelamin"] = ["Perempuan", "Laki-laki"]
    pegawai["Tanggal Lahir"] = ["15/01/1990", "20/07/1985"]
    pegawai["Pendidikan"] = ["S-1", "S2"]
    pegawai.to_excel(tmp_path / "pegawai.xlsx", index=False)
    (tmp_path / "catatan.csv").write_text("bukan,tabel\n1,2\n")
    report = validate_folder(tmp_path, today=TODAY)
    assert report.ok, report.errors
    employees = report.tables["employees"].set_index("employee_id")
    assert employees.loc["E1", "sex"] == "F" and employees.loc["E1", "education"] == "S1"
    assert employees.loc["E1", "birth_date"] == pd.Timestamp("1990-01-15")
    assert "warning: catatan.csv not a known table; skipped" in [str(w) for w in report.warnings]


def test_unreadable_and_doubled_tables_are_errors(tmp_path: Path) -> None:
    write_export(tmp_path)
    EMPLOYEES.to_csv(tmp_path / "pegawai.csv", index=False)
    (tmp_path / "units.parquet").write_text("not parquet")
    errors = _problems(tmp_path)
    assert any("second file for table employees" in e for e in errors)
    assert any(e.startswith("error: units.parquet cannot read the file") for e in errors)


def test_nothing_predates_the_hire(tmp_path: Path) -> None:
    early_post = POSITION_HISTORY.copy()
    early_post.loc[0, "start_date"] = "2014-07-01"  # E1 hired 2015-03-01
    early_course = TRAINING.copy()
    early_course.loc[1, ["start_date", "end_date"]] = ["2009-05-01", "2009-05-03"]  # E2: 2010
    early_course.loc[1, "recorded_at"] = "2009-06-01 09:00:00"
    report = validate_folder(
        write_export(tmp_path, position_history=early_post, training_records=early_course),
        today=TODAY,
    )
    assert [str(e) for e in report.errors] == [
        "error: position_history.csv:2 [start_date] start_date is before the employee's "
        "hire_date (TMT)"
    ]
    assert any(
        "training_records.csv [start_date] start_date is before" in str(w) for w in report.warnings
    )


def test_facts_after_the_exit_are_flagged(tmp_path: Path) -> None:
    left = EMPLOYEES.copy()
    left.loc[1, ["exit_date", "exit_reason"]] = ["2019-12-31", "pindah_instansi"]
    report = validate_folder(write_export(tmp_path, employees=left), today=TODAY)
    assert report.ok  # E2 left in 2019: the 2020 training is a warning, not an error
    assert any(
        "training_records.csv [start_date] start_date is after the employee's exit_date" in str(w)
        for w in report.warnings
    )
