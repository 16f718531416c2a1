"""The catalogue of bad inputs: each kind is refused (or, for real-world mess that is kept,
reported) with the file, the row as the user sees it, the column and the value (never a
personal one), in Bahasa Indonesia and English; and a refused ingest writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from features.ingest.messages import translated
from features.ingest.upsert import IngestRejected, ingest_folder
from features.ingest.validation import Problem, validate_folder
from features.store.database import create_db_engine, migrate
from tests.factories.export import (
    EMPLOYEES,
    EVALUATIONS,
    POSITION_HISTORY,
    TRAINING,
    write_export,
)

TODAY = dt.date(2026, 11, 28)
GRADES = pd.DataFrame(
    {
        "employee_id": ["E1", "E2"],
        "grade": ["III/a", "III/c"],
        "start_date": ["2015-03-01", "2018-04-01"],
        "recorded_at": ["2015-03-20 09:00:00", "2018-04-10 09:00:00"],
    }
)


@dataclass(frozen=True)
class Bad:
    """One kind of bad input: how to make it, and what the report must say about it."""

    make: Callable[[Path], None]
    source: str
    row: int | None
    column: str | None
    says: str
    severity: str = "error"
    mapping: str | None = None  # a mapping file of the folder to use


def _edit(table: str, frame: pd.DataFrame, **cells: tuple[int, object]) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        changed = frame.copy()
        for column, (index, value) in cells.items():
            changed.loc[index, column] = value
        write_export(folder, **{table: changed})

    return make


def _with(table: str, frame: pd.DataFrame) -> Callable[[Path], None]:
    return lambda folder: write_export(folder, **{table: frame})


def _replace_file(name: str, content: bytes, drop: str | None = None) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        write_export(folder)
        if drop:
            (folder / drop).unlink()
        (folder / name).write_bytes(content)

    return make


def _truncated_workbook(folder: Path) -> None:
    write_export(folder)
    (folder / "employees.csv").unlink()
    big = pd.concat([EMPLOYEES] * 300, ignore_index=True)
    big.to_excel(folder / "pegawai.xlsx", index=False)
    data = (folder / "pegawai.xlsx").read_bytes()
    (folder / "pegawai.xlsx").write_bytes(data[: len(data) // 2])


def _empty_sheet(folder: Path) -> None:
    write_export(folder)
    (folder / "employees.csv").unlink()
    pd.DataFrame().to_excel(folder / "pegawai.xlsx", index=False)


def _huge(folder: Path) -> None:
    write_export(folder)
    with (folder / "units.csv").open("r+b") as handle:
        handle.truncate(200 * 2**20)


def _second_file(folder: Path) -> None:
    write_export(folder)
    EMPLOYEES.to_csv(folder / "pegawai.csv", index=False)


def _unknown_post(folder: Path) -> None:
    write_export(folder)
    rows = [
        {
            "nipBaru": EMPLOYEES.loc[0, "nip"],
            "unorId": "U1",
            "namaJabatan": "Jabatan Fiktif",
            "tmtJabatan": "01-06-2020",
        }
    ]
    (folder / "rw-jabatan.json").write_text(json.dumps({"code": 1, "data": rows}))


def _unknown_nip(folder: Path) -> None:
    training = TRAINING.drop(columns="employee_id").assign(
        nip=["199001152015032001", "199912312020121001"]
    )
    write_export(folder, training_records=training)


def _bad_mapping(folder: Path) -> None:
    write_export(folder)
    (folder / "map.yaml").write_text(
        "files:\n  pegawai:\n    file: 'employees.csv'\n    tables:\n"
        "      employees:\n        agama: AGAMA\n"
    )


def _duplicate_nip(folder: Path) -> None:
    twin = EMPLOYEES.iloc[[0]].assign(employee_id="E3", name="Nama Lain")
    write_export(folder, employees=pd.concat([EMPLOYEES, twin], ignore_index=True))


CATALOGUE = {
    "duplicate NIP with different names": Bad(
        _duplicate_nip, "employees.csv", 4, "nip", "must be unique"
    ),
    "NIP whose birth date disagrees": Bad(
        _edit("employees", EMPLOYEES, nip=(0, "199001162015032001")),
        "employees.csv",
        2,
        "nip",
        "birth date in the NIP differs",
    ),
    "NIP of 17 digits": Bad(
        _edit("employees", EMPLOYEES, nip=(1, "19850720201001100")),
        "employees.csv",
        3,
        "nip",
        "must be exactly 18 digits",
    ),
    "golongan that does not exist": Bad(
        _with("grade_history", GRADES.assign(grade=["III/a", "III/f"])),
        "grade_history.csv",
        3,
        "grade",
        "'III/f' is not a valid grade",
    ),
    "date in the future": Bad(
        _edit(
            "position_history",
            POSITION_HISTORY,
            start_date=(1, "2030-01-01"),
            recorded_at=(1, "2026-01-01"),
        ),
        "position_history.csv",
        3,
        "start_date",
        "2030-01-01 is in the future",
    ),
    "evaluation before hire": Bad(
        _edit(
            "evaluations",
            EVALUATIONS,
            year=(0, 2014),
            period_start=(0, "2014-01-01"),
            period_end=(0, "2014-12-31"),
            recorded_at=(0, "2015-02-01"),
        ),
        "evaluations.csv",
        2,
        "year",
        "evaluation for 2014, before the employee was hired",
    ),
    "unknown course title (kept, reported)": Bad(
        lambda folder: write_export(folder),
        "training_records.csv",
        None,
        "title",
        "title matches no catalogue course",
        "warning",
    ),
    "truncated Excel file": Bad(
        _truncated_workbook, "pegawai.xlsx", None, None, "damaged or cut short"
    ),
    "wrong encoding": Bad(
        _replace_file(
            "units.csv",
            b"unit_id,agency_id,name,unit_type\nU1,KOTA-DINKES,Bagian "
            + b"\x81\xff"
            + b",bidang\n",
        ),
        "units.csv",
        None,
        None,
        "neither UTF-8 nor Windows-1252",
    ),
    "empty sheet": Bad(_empty_sheet, "pegawai.xlsx", None, None, "no sheet with a header row"),
    "a 200 MB file": Bad(_huge, "units.csv", None, None, "200 MB, over the limit of 100 MB"),
    "binary data in a CSV": Bad(
        _replace_file("units.csv", b"\x89PNG\r\n\x1a\n\x00\x00"),
        "units.csv",
        None,
        None,
        "not a text file",
    ),
    "required column missing": Bad(
        _with("employees", EMPLOYEES.drop(columns="hire_date")),
        "employees.csv",
        None,
        "hire_date",
        "required column is missing",
    ),
    "value outside a vocabulary": Bad(
        _edit("employees", EMPLOYEES, education=(1, "S7")),
        "employees.csv",
        3,
        "education",
        "'S7' is not a valid education",
    ),
    "text where a number belongs": Bad(
        _edit("training_records", TRAINING.astype({"jp": object}), jp=(1, "dua belas")),
        "training_records.csv",
        3,
        "jp",
        "cannot read 'dua belas' as a whole number",
    ),
    "a date that does not exist": Bad(
        _edit("evaluations", EVALUATIONS, period_start=(1, "31/02/2022")),
        "evaluations.csv",
        3,
        "period_start",
        "cannot read '31/02/2022' as a date",
    ),
    "SKP score out of range": Bad(
        _edit("evaluations", EVALUATIONS, score=(0, 105.0)),
        "evaluations.csv",
        2,
        "score",
        "105.0 must be between 0 and 100",
    ),
    "reference to an unknown post": Bad(
        _edit("position_history", POSITION_HISTORY, position_id=(0, "P9")),
        "position_history.csv",
        2,
        "position_id",
        "'P9' is not a known positions.position_id",
    ),
    "a period that ends before it starts": Bad(
        _edit("training_records", TRAINING, end_date=(0, "2019-04-01")),
        "training_records.csv",
        2,
        "end_date",
        "ends before its start_date",
    ),
    "same key, different values": Bad(
        _with(
            "position_history",
            pd.concat(
                [POSITION_HISTORY, POSITION_HISTORY.iloc[[0]].assign(position_id="P2")],
                ignore_index=True,
            ),
        ),
        "position_history.csv",
        4,
        "employee_id, start_date",
        "same key as row 2 but different values",
    ),
    "a second file for one table": Bad(
        _second_file, "pegawai.csv", None, None, "second file for table employees"
    ),
    "a NIP no employee has": Bad(
        _unknown_nip, "training_records.csv", 3, "nip", "is not a known employee"
    ),
    "a SIASN post missing from the peta jabatan": Bad(
        _unknown_post, "rw-jabatan.json", 1, "post_title", "no post 'Jabatan Fiktif' in unit 'U1'"
    ),
    "rows without recorded_at and no extraction date": Bad(
        _with("evaluations", EVALUATIONS.drop(columns="recorded_at")),
        "evaluations.csv",
        None,
        "recorded_at",
        "--extracted-on",
    ),
    "a mapping file naming a column Jenjang does not have": Bad(
        _bad_mapping,
        "map.yaml",
        None,
        None,
        "'agama' is not a column of employees",
        mapping="map.yaml",
    ),
}


def _found(problems: list[Problem], bad: Bad) -> Problem:
    for problem in problems:
        if (
            problem.severity == bad.severity
            and problem.source == bad.source
            and problem.row == bad.row
            and problem.column == bad.column
            and bad.says in problem.message
        ):
            return problem
    raise AssertionError(f"not reported as expected; got: {[str(p) for p in problems]}")


def test_the_catalogue_covers_at_least_twenty_kinds() -> None:
    assert len(CATALOGUE) >= 20


@pytest.mark.parametrize("kind", list(CATALOGUE))
def test_bad_input_is_named_in_both_languages_and_nothing_is_written(
    kind: str, tmp_path: Path
) -> None:
    bad = CATALOGUE[kind]
    folder = tmp_path / "export"
    bad.make(folder)
    mapping = folder / bad.mapping if bad.mapping else None
    report = validate_folder(folder, today=TODAY, mapping=mapping)
    problem = _found(report.problems, bad)
    assert translated(problem.message), f"no Indonesian for: {problem.message}"
    assert problem.message_id != problem.message
    if bad.severity == "warning":
        return
    engine = create_db_engine(f"sqlite:///{tmp_path / 'jenjang.db'}")
    migrate(engine)
    with pytest.raises(IngestRejected):
        ingest_folder(folder, engine, today=TODAY, mapping=mapping)
    with engine.connect() as connection:
        for table in ("employees", "position_history", "evaluations", "training_records", "units"):
            assert connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0


def test_personal_values_are_never_quoted(tmp_path: Path) -> None:
    """A birth date that cannot be read is named by row and column, not by its value."""
    _edit("employees", EMPLOYEES, birth_date=(0, "15-13-1990"))(tmp_path)
    report = validate_folder(tmp_path, today=TODAY)
    problem = next(p for p in report.errors if p.column == "birth_date")
    assert "15-13-1990" not in problem.message + problem.message_id
    assert problem.row == 2 and problem.source == "employees.csv"
