"""Any other export through a mapping file that `jenjang data map --init` drafts, and the Excel
templates a BKD fills by hand: both as a user meets them on the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from features.ingest.drafts import draft_mapping, render
from features.ingest.layouts import LayoutError, load_layout
from features.ingest.sources import canonical_column, canonical_table
from features.ingest.templates import file_name, template_tables, workbook
from features.ingest.validation import validate_folder
from features.schema import TABLES
from service.cli import app
from tests.factories.export import AGENCIES, POSITIONS, UNITS

runner = CliRunner()


def _regional_export(folder: Path) -> Path:
    """A SIMPEG-like export Jenjang has no layout for: its own headers and codes."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (("agencies", AGENCIES), ("units", UNITS), ("positions", POSITIONS)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    pd.DataFrame(
        {
            "No": [1, 2],
            "NIP": ["199001152015032001", "198507202010011002"],
            "Nama Pegawai": ["Sitti Hasan", "Rizal Katili"],
            "Tgl Lahir": ["15/01/1990", "20/07/1985"],
            "Jenis Kelamin": ["P", "L"],
            "Pendidikan Terakhir": ["S-1", "S2"],
            "TMT CPNS": ["01-03-2015", "01-01-2010"],
            "Agama": ["Islam", "Islam"],
        }
    ).to_csv(folder / "data_pegawai.csv", index=False, sep=";")
    pd.DataFrame(
        {
            "NIP": ["199001152015032001", "198507202010011002"],
            "Gol Ruang": ["Gol. III/a", "3D"],
            "TMT Gol": ["1 Maret 2015", "1 April 2018"],
        }
    ).to_excel(folder / "r_pangkat.xlsx", index=False)
    return folder


def test_the_draft_maps_what_it_recognises_and_lists_the_rest(tmp_path: Path) -> None:
    folder = _regional_export(tmp_path / "export")
    draft = draft_mapping(folder)
    by_source = {f.source: f for f in draft.files}
    people = by_source["data_pegawai.csv"]
    assert people.table == "employees"
    assert people.columns == {
        "nip": "NIP",
        "name": "Nama Pegawai",
        "sex": "Jenis Kelamin",
        "birth_date": "Tgl Lahir",
        "education": "Pendidikan Terakhir",
        "hire_date": "TMT CPNS",
    }
    assert people.missing == ["employment_type"] and people.unused == ["No", "Agama"]
    grades = by_source["r_pangkat.xlsx"]
    assert grades.table == "grade_history" and grades.unknown_values == {"grade": ["3D"]}
    assert "r_pangkat.xlsx: grade codes to map: 3D" in draft.unresolved
    assert (
        "data_pegawai.csv: no header for employees.employment_type (required)" in draft.unresolved
    )
    assert all("positions.csv" not in line for line in draft.unresolved)


def test_a_completed_draft_imports_the_export(tmp_path: Path) -> None:
    """The user fills the TODO lines of the draft; the export then validates."""
    folder = _regional_export(tmp_path / "export")
    text = render(draft_mapping(folder), folder)
    assert "# TODO employment_type: HEADER" in text and '# TODO "3D": VALUE' in text
    mapping = yaml.safe_load(text)
    entry = next(f for f in mapping["files"].values() if f["file"] == "data_pegawai.csv")
    entry["tables"]["employees"]["employment_type"] = {"value": "PNS"}
    mapping["values"] = {"grade": {"3D": "III/d"}}
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping))
    report = validate_folder(folder, mapping=path, extracted_on=pd.Timestamp("2025-01-20").date())
    assert report.ok, [str(p) for p in report.errors]
    grades = report.tables["grade_history"].sort_values("start_date")
    assert grades["grade"].tolist() == ["III/a", "III/d"]
    assert grades["start_date"].tolist() == [pd.Timestamp("2015-03-01"), pd.Timestamp("2018-04-01")]
    employees = report.tables["employees"]
    assert "Agama" not in employees.columns and sorted(employees["education"]) == ["S1", "S2"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("files: [1, 2]\n", "needs a 'files:' section"),
        (
            "files:\n  x:\n    file: a.csv\n    tables:\n      gaji: {}\n",
            "'gaji' is not a table Jenjang knows",
        ),
        ("files:\n  x:\n    tables:\n      employees: {}\n", "say how to find the file"),
        (
            "files:\n  x:\n    file: a.csv\n    tables:\n      employees:\n"
            "        name: {transform: magic}\n",
            "unknown transform 'magic'",
        ),
        ("files:\n  x: [\n", "not a readable YAML mapping file"),
    ],
)
def test_a_broken_mapping_file_names_the_entry(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(LayoutError, match="map.yaml") as error:
        load_layout(path)
    assert says in str(error.value)


def test_every_template_header_reads_back_as_its_column() -> None:
    for table in template_tables():
        assert canonical_table(file_name(table)) == table
        frame = pd.read_excel(pd.io.common.BytesIO(workbook(table)), sheet_name=None, dtype=str)
        data = frame[file_name(table)]
        assert [canonical_column(table, h) for h in data.columns] == TABLES[table].column_names
        guide = frame["panduan"]
        assert (
            guide["Kolom Jenjang"].tolist()[: len(TABLES[table].columns)]
            == TABLES[table].column_names
        )
        assert set(guide["Wajib"]) <= {"ya", "tidak", "boleh menggantikan ID Pegawai"}


def test_templates_written_by_the_command_import_as_they_are(
    tmp_path: Path, database: Path
) -> None:
    out = tmp_path / "templates"
    result = runner.invoke(app, ["data", "template", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "pegawai.xlsx").is_file() and (out / "riwayat_jabatan.xlsx").is_file()
    result = runner.invoke(app, ["data", "ingest", str(out)])
    assert result.exit_code == 0, result.output
    assert "errors" not in result.output


def test_map_init_on_the_command_line(tmp_path: Path) -> None:
    folder = _regional_export(tmp_path / "export")
    result = runner.invoke(app, ["data", "map", str(folder), "--init"])
    assert result.exit_code == 0, result.output
    assert (folder / "mapping.yaml").is_file()
    assert "to decide (" in result.output and "grade codes to map: 3D" in result.output
    again = runner.invoke(app, ["data", "map", str(folder), "--init"])
    assert again.exit_code != 0 and "exists" in again.output


def test_validate_prints_each_problem_in_both_languages(tmp_path: Path, database: Path) -> None:
    folder = _regional_export(tmp_path / "export")
    result = runner.invoke(app, ["data", "validate", str(folder), "--extracted-on", "20-01-2025"])
    assert result.exit_code != 0 and "is not a date (YYYY-MM-DD)" in result.output
    result = runner.invoke(app, ["data", "validate", str(folder), "--extracted-on", "2025-01-20"])
    assert result.exit_code == 0, result.output  # without a mapping only the catalogues are read
    assert "data_pegawai.csv not a known table; skipped" in result.output
    assert "bukan tabel yang dikenal; dilewati" in result.output


def test_each_sheet_of_a_workbook_has_its_own_entry(tmp_path: Path) -> None:
    """A workbook of two sheets: the draft names each sheet, and each feeds its own table."""
    folder = tmp_path / "export"
    folder.mkdir()
    for name, frame in (("agencies", AGENCIES), ("units", UNITS), ("positions", POSITIONS)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    with pd.ExcelWriter(folder / "simpeg.xlsx") as writer:
        pd.DataFrame(
            {
                "NIP": ["199001152015032001"],
                "Nama Pegawai": ["Sitti Hasan"],
                "Tgl Lahir": ["15/01/1990"],
                "Jenis Kelamin": ["P"],
                "Pendidikan Terakhir": ["S-1"],
                "TMT CPNS": ["01-03-2015"],
            }
        ).to_excel(writer, sheet_name="Pegawai Aktif", index=False)
        pd.DataFrame(
            {"NIP": ["199001152015032001"], "Gol Ruang": ["III/a"], "TMT Gol": ["01/03/2015"]}
        ).to_excel(writer, sheet_name="Riwayat Pangkat", index=False)
    text = render(draft_mapping(folder), folder)
    assert 'sheet: "Pegawai Aktif"' in text and 'sheet: "Riwayat Pangkat"' in text
    mapping = yaml.safe_load(text)
    for entry in mapping["files"].values():
        if entry.get("sheet") == "Pegawai Aktif":
            entry["tables"]["employees"]["employment_type"] = {"value": "PNS"}
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping))
    report = validate_folder(folder, mapping=path, extracted_on=pd.Timestamp("2025-01-20").date())
    assert report.ok, [str(p) for p in report.errors]
    assert len(report.tables["employees"]) == 1 and len(report.tables["grade_history"]) == 1


@pytest.mark.parametrize(
    "text",
    [
        "files:\n  x: just a string\n",
        "files:\n  x:\n    file: a.csv\n    tables: [employees]\n",
        "files:\n  x:\n    file: a.csv\n    tables: {}\nvalues: [1]\n",
        "files:\n  x:\n    file: a.csv\n    tables: {}\npeople: nip\n",
    ],
)
def test_a_wrongly_shaped_mapping_file_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(LayoutError, match=r"map\.yaml: .*expected"):
        load_layout(path)
