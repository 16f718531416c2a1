"""SIASN exports imported as they come: the generator's people written the way SIASN gives
them (the "Export Data ASN" CSV with its upper-case headers, the web service's riwayat as JSON
and Excel with camelCase keys, d-m-Y dates, golongan ids, an Indonesian Excel's ``;`` CSV with
decimal commas; tests/factories/hr_exports.py) import to the same canonical rows as the
generator's own export of the same people.

The field names are SIASN's, as public code reads them (features/reference/layouts/siasn.yaml
cites each). No personal data: the people are the generator's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from features.ingest.upsert import IngestRejected, ingest_folder
from features.ingest.validation import validate_folder
from features.store.database import create_db_engine, migrate
from tests.factories.hr_exports import COMPARED, EXTRACTED, same_rows, stored, write_siasn_export


@pytest.fixture(scope="module")
def imported(generated, tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("siasn") / "export"
    write_siasn_export(generated, folder)
    engine = create_db_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'siasn.db'}")
    result = ingest_folder(folder, engine, extracted_on=EXTRACTED)
    return engine, result, folder


@pytest.mark.parametrize("table", list(COMPARED))
def test_siasn_export_imports_to_the_rows_of_the_generators_own(table, canonical, imported) -> None:  # type: ignore[no-untyped-def]
    engine, _, _ = imported
    key, columns = COMPARED[table]
    expected, got = stored(canonical, table), stored(engine, table)
    assert len(expected) > 0
    if table != "employees":
        expected = expected.merge(stored(canonical, "employees")[["employee_id", "nip"]])
        got = got.merge(stored(engine, "employees")[["employee_id", "nip"]])
    same_rows(expected, got, key, columns)


def test_the_predikat_of_skp_2022_is_read_from_its_words(generated, imported) -> None:  # type: ignore[no-untyped-def]
    engine, _, _ = imported
    got = stored(engine, "evaluations").query("scheme == 'predikat_2022'")
    expected = generated["evaluations"].query("scheme == 'predikat_2022'")
    assert sorted(got["rating"]) == sorted(expected["rating"])


def test_personal_columns_of_siasn_are_never_read(imported) -> None:  # type: ignore[no-untyped-def]
    """Religion and address are in the export; no table holds them and the report only names
    the columns it did not use."""
    engine, result, _ = imported
    for table in sa.inspect(engine).get_table_names():
        assert "Islam" not in stored(engine, table).astype(str).to_numpy()
    unused = [str(p) for p in result.report.warnings if "columns not used" in p.message]
    assert any("AGAMA NAMA" in p for p in unused)


def test_rows_without_recorded_at_are_dated_by_the_stated_rule(imported) -> None:  # type: ignore[no-untyped-def]
    engine, result, _ = imported
    said = [p.message for p in result.report.warnings if p.column == "recorded_at"]
    assert any("took its start_date" in m for m in said)
    assert any("period's end + 90 days" in m for m in said)
    evaluations = stored(engine, "evaluations")
    recorded = pd.to_datetime(evaluations["recorded_at"])
    ends = pd.to_datetime(evaluations["period_end"]) + pd.Timedelta(days=90)
    assert (recorded == ends.where(ends < pd.Timestamp(EXTRACTED), pd.Timestamp(EXTRACTED))).all()


def test_without_an_extraction_date_the_import_asks_for_one(generated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_siasn_export(generated, tmp_path)
    report = validate_folder(tmp_path)
    assert any(p.column == "recorded_at" and "--extracted-on" in p.message for p in report.errors)


def test_a_post_missing_from_the_peta_jabatan_names_its_file_and_row(
    generated, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    write_siasn_export(generated, tmp_path)
    data = json.loads((tmp_path / "rw-jabatan.json").read_text())
    data["data"][3]["namaJabatan"] = "Jabatan Yang Tidak Ada"
    (tmp_path / "rw-jabatan.json").write_text(json.dumps(data))
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate(engine)
    with pytest.raises(IngestRejected) as rejected:
        ingest_folder(tmp_path, engine, extracted_on=EXTRACTED)
    errors = [str(p) for p in rejected.value.report.errors]
    assert any(
        e.startswith("error: rw-jabatan.json:4 [post_title] no post 'Jabatan Yang Tidak Ada'")
        for e in errors
    ), errors
    assert stored(engine, "employees").empty  # nothing half-written


@pytest.mark.parametrize("dropped", ["UNOR ID", "TMT JABATAN", "NIP BARU"])
def test_a_data_utama_without_a_needed_column_is_a_located_error(
    generated, tmp_path, dropped
) -> None:  # type: ignore[no-untyped-def]
    write_siasn_export(generated, tmp_path)
    utama = pd.read_csv(tmp_path / "Export Data ASN.csv", dtype=str)
    utama.drop(columns=dropped).to_csv(tmp_path / "Export Data ASN.csv", index=False)
    report = validate_folder(tmp_path, extracted_on=EXTRACTED)
    assert not report.ok
    assert all(p.source and p.message for p in report.errors)


def test_riwayat_named_by_pns_id_without_the_data_utama_say_what_is_missing(
    generated, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    write_siasn_export(generated, tmp_path)
    (tmp_path / "Export Data ASN.csv").unlink()
    report = validate_folder(tmp_path, extracted_on=EXTRACTED)
    said = [str(p) for p in report.errors if p.source == "rw-skp.csv"]
    assert said == [
        "error: rw-skp.csv [pns] people are named by pns, but the file that gives their NIP "
        "(data_utama) is not in the export"
    ]


def test_an_unknown_level_in_riwayat_pendidikan_names_its_file_and_row(generated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_siasn_export(generated, tmp_path)
    nip = generated["employees"]["nip"].iloc[0]
    pd.DataFrame(
        {
            "nipBaru": [nip, nip],
            "tkPendidikanNama": ["S-2", "Kursus Menjahit"],
            "tahunLulus": ["2010", "2012"],
        }
    ).to_csv(tmp_path / "rw-pendidikan.csv", index=False)
    report = validate_folder(tmp_path, extracted_on=EXTRACTED)
    found = [str(p) for p in report.warnings if p.column == "education"]
    assert found == [
        "warning: rw-pendidikan.csv:3 [education] 'Kursus Menjahit' is not a level; not used"
    ]
