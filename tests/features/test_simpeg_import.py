"""A regional SIMPEG's export (SIDAK's tables, with its column names and codes;
tests/factories/hr_exports.py) through a mapping file imports to the same canonical rows as the
generator's own export of the same people. The mapping file is the one Jenjang ships
(features/reference/layouts/simpeg-sidak.yaml): the worked example of the format a BKD copies for
its own SIMPEG."""

from __future__ import annotations

import pytest

from features.ingest.upsert import ingest_folder
from features.store.database import create_db_engine
from tests.factories.hr_exports import (
    COMPARED,
    EXTRACTED,
    SIDAK_MAPPING,
    same_rows,
    stored,
    write_sidak_export,
)


@pytest.fixture(scope="module")
def imported(generated, tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("sidak") / "export"
    write_sidak_export(generated, folder)
    engine = create_db_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'sidak.db'}")
    result = ingest_folder(folder, engine, mapping=SIDAK_MAPPING, extracted_on=EXTRACTED)
    return engine, result


#: SIDAK carries no certificate numbers, and its SKP 2022 codes are not read (see the mapping)
SKIPPED = {"training_records": {"certificate_number"}}


@pytest.mark.parametrize("table", list(COMPARED))
def test_a_simpeg_export_through_a_mapping_file_imports_to_the_generators_rows(
    table,
    canonical,
    imported,
) -> None:  # type: ignore[no-untyped-def]
    engine, _ = imported
    key, columns = COMPARED[table]
    columns = [c for c in columns if c not in SKIPPED.get(table, set())]
    expected, got = stored(canonical, table), stored(engine, table)
    if table == "evaluations":
        expected = expected.query("scheme == 'numeric_2011'")
    if table != "employees":
        expected = expected.merge(stored(canonical, "employees")[["employee_id", "nip"]])
        got = got.merge(stored(engine, "employees")[["employee_id", "nip"]])
    same_rows(expected, got, key, columns)


def _sidak(generated, folder):  # type: ignore[no-untyped-def]
    write_sidak_export(generated, folder)
    return folder


def test_a_person_id_the_pegawai_table_lacks_is_named_and_the_others_still_merge(
    generated, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """One m_data_pribadi row of an id m_pegawai does not have: that row is the error (file,
    row, column, value); everyone else is still one employee, not three rows."""
    import pandas as pd

    from features.ingest.validation import validate_folder

    folder = _sidak(generated, tmp_path / "export")
    pribadi = pd.read_excel(folder / "m_data_pribadi.xlsx", dtype=str)
    pribadi.loc[3, "idPegawai"] = "999"
    pribadi.to_excel(folder / "m_data_pribadi.xlsx", index=False)
    report = validate_folder(folder, mapping=SIDAK_MAPPING, extracted_on=EXTRACTED)
    said = [str(p) for p in report.errors]
    assert (
        "error: m_data_pribadi.xlsx:5 [idPegawai] '999' is not in pegawai: "
        "the person has no NIP there" in said
    )
    assert not any("same key" in e for e in said)


def test_a_bad_value_in_a_merged_row_is_named_in_the_file_it_came_from(generated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from features.ingest.validation import validate_folder

    folder = _sidak(generated, tmp_path / "export")
    pribadi = pd.read_excel(folder / "m_data_pribadi.xlsx", dtype=str)
    pribadi.loc[0, "tanggalLahir"] = "15-13-1990"
    pribadi.to_excel(folder / "m_data_pribadi.xlsx", index=False)
    report = validate_folder(folder, mapping=SIDAK_MAPPING, extracted_on=EXTRACTED)
    birth = [p for p in report.errors if p.column == "birth_date"]
    assert {(p.source, p.row) for p in birth} == {("m_data_pribadi.xlsx", 2)}
    assert "15-13-1990" not in birth[0].message  # a birth date is personal: never quoted
