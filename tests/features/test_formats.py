"""Export files as BKDs have them: Excel old and new, CSVs saved by an Indonesian Excel
(``;`` and decimal commas, Windows-1252), day-first and Indonesian dates; and files that cannot
be read get an error that says why, against the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.ingest.formats import UnreadableFile, parse_dates, parse_numbers, read_table_file
from features.store.settings import get_settings


def test_dates_as_bkd_exports_write_them() -> None:
    written = pd.Series(
        [
            "2020-08-17",
            "17/08/2020",
            "17-08-2020",
            "17.08.2020",
            "7/8/2020",
            "17 Agustus 2020",
            "17 Agu 2020",
            "17-Aug-2020",
            "1 Mei 2021",
            "29 Februari 2024",
            None,
        ]
    )
    expected = [pd.Timestamp(d) for d in ["2020-08-17"] * 4 + ["2020-08-07"] + ["2020-08-17"] * 3]
    expected += [pd.Timestamp("2021-05-01"), pd.Timestamp("2024-02-29"), pd.NaT]
    assert parse_dates(written).tolist() == expected


def test_dates_that_do_not_exist_or_are_month_first_are_not_guessed() -> None:
    """31 February and 08/17/2020 (month first) are not dates here: validation names them."""
    assert (
        parse_dates(pd.Series(["31/02/2020", "08/17/2020", "29 Februari 2023", "kemarin"]))
        .isna()
        .all()
    )


def test_numbers_with_decimal_commas_and_thousands_dots() -> None:
    written = pd.Series(["85,5", "1.234,5", "85.5", "90", " 76,25 ", "-1,5", "1.234", "abc"])
    got = parse_numbers(written)
    assert got.iloc[:6].tolist() == [85.5, 1234.5, 85.5, 90.0, 76.25, -1.5]
    assert got.iloc[6] == 1.234  # without a comma a dot is a decimal point: 85.500 stays 85.5
    assert pd.isna(got.iloc[7])


def test_a_semicolon_csv_in_windows_1252_is_read(tmp_path: Path) -> None:
    text = "NIP;Nama Unit;Nilai SKP\n199001012015031001;Bagian Umum – Sekretariat;85,5\n"
    path = tmp_path / "skp.csv"
    path.write_bytes(text.encode("cp1252"))
    frame = read_table_file(path)["skp"]
    assert list(frame.columns) == ["NIP", "Nama Unit", "Nilai SKP", "_row"]
    assert frame.loc[0, "Nama Unit"] == "Bagian Umum – Sekretariat"
    assert frame.loc[0, "Nilai SKP"] == "85,5" and frame.loc[0, "_row"] == 2


def test_utf8_with_a_byte_order_mark_and_utf16_are_read(tmp_path: Path) -> None:
    for encoding, name in (("utf-8-sig", "a.csv"), ("utf-16", "b.csv")):
        (tmp_path / name).write_text("nip,nama\n1,Siti\n", encoding=encoding)
        frame = read_table_file(tmp_path / name)[name[0]]
        assert list(frame.columns) == ["nip", "nama", "_row"]


def test_an_xls_workbook_is_read(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("riwayat_golongan")
    for col, value in enumerate(["NIP", "Golongan", "TMT Golongan"]):
        sheet.write(0, col, value)
    for col, value in enumerate(["199001012015031001", "III/a", "01/03/2015"]):
        sheet.write(1, col, value)
    book.save(str(tmp_path / "golongan.xls"))
    frame = read_table_file(tmp_path / "golongan.xls")["golongan"]
    assert frame.loc[0, "Golongan"] == "III/a" and frame.loc[0, "_row"] == 2


def test_excel_dates_keep_the_date(tmp_path: Path) -> None:
    pd.DataFrame({"tmt": [pd.Timestamp("2020-08-17")]}).to_excel(tmp_path / "x.xlsx", index=False)
    assert read_table_file(tmp_path / "x.xlsx")["x"].loc[0, "tmt"] == "2020-08-17"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n  \n", "the file is empty"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        ("cut.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "damaged or cut short"),
        ("fake.xls", b"just some text, not a workbook", "not a readable Excel workbook"),
    ],
)
def test_files_that_cannot_be_read_say_why(
    tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(UnreadableFile, match=says):
        read_table_file(tmp_path / name)


def test_a_truncated_real_workbook_is_refused(tmp_path: Path) -> None:
    pd.DataFrame({"a": range(2000), "b": ["x" * 20] * 2000}).to_excel(
        tmp_path / "w.xlsx", index=False
    )
    data = (tmp_path / "w.xlsx").read_bytes()
    (tmp_path / "w.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFile, match="damaged or cut short"):
        read_table_file(tmp_path / "w.xlsx")


def test_a_200_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "pegawai.csv"
    with path.open("wb") as handle:
        handle.truncate(200 * 2**20)  # sparse: nothing is written, the size is what counts
    with pytest.raises(UnreadableFile, match=r"200 MB, over the limit of 100 MB"):
        read_table_file(path, get_settings().max_file_mb)


def test_blank_lines_keep_the_row_numbers_of_the_rows_after_them(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("nip,nama\n1,Siti\n\n2,Rizal\n,\n3,Budi\n")
    frame = read_table_file(tmp_path / "a.csv")["a"]
    assert frame["nama"].tolist() == ["Siti", "Rizal", "Budi"]
    assert frame["_row"].tolist() == [2, 4, 6]
    pd.DataFrame({"nip": ["1", None, "3"], "nama": ["Siti", None, "Budi"]}).to_excel(
        tmp_path / "b.xlsx", index=False
    )
    frame = read_table_file(tmp_path / "b.xlsx")["b"]
    assert frame["_row"].tolist() == [2, 4]


def test_a_year_before_1900_is_a_typo_and_a_far_future_year_still_a_date() -> None:
    read = parse_dates(pd.Series(["17/08/0201", "2920-01-01"]))
    assert pd.isna(read.iloc[0]) and read.iloc[1] == pd.Timestamp("2920-01-01")
