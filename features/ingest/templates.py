"""Excel templates a BKD fills when its own system cannot export what Jenjang reads
(`jenjang data template --out DIR`, and the admin's download on the pages).

One workbook per table, named as a BKD names it (``pegawai.xlsx``, ``riwayat_jabatan.xlsx``):
a sheet of Indonesian headers with example rows, and a ``panduan`` sheet that says, per column,
what it holds, whether it is required, its type, the values it accepts and whether it is
personal data. The headers are the Indonesian names of `features/reference/aliases.csv`, so a
filled template imports as it is; the example rows come from a small generated dataset
(`features/reference/template_examples/`: one synthetic civil servant, not a real one). The
catalogues (competencies, courses) ship with Jenjang and
get no template.
"""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

import pandas as pd

from features import reference
from features.ingest.formats import GUIDE_SHEET
from features.schema import TABLES, Column, Table

EXAMPLE_ROWS = 3
TYPES = {
    "str": "teks",
    "int": "bilangan bulat",
    "float": "angka (koma atau titik desimal)",
    "date": "tanggal (2020-08-17, 17/08/2020 atau 17 Agustus 2020)",
    "datetime": "tanggal dan jam (2020-08-17 09:30)",
    "bool": "ya/tidak",
}


def template_tables() -> list[str]:
    """The tables a BKD fills (every canonical table but the shipped catalogues)."""
    return [name for name, spec in TABLES.items() if not spec.reference]


@cache
def _aliases() -> pd.DataFrame:
    return reference.load("aliases").fillna("")


def file_name(table: str) -> str:
    """A table's Indonesian file name (the first table alias: ``pegawai`` for employees)."""
    aliases = _aliases()
    found = aliases[(aliases["kind"] == "table") & (aliases["canonical"] == table)]
    return str(found["alias"].iloc[0]) if len(found) else table


def header(table: str, column: str) -> str:
    """A column's Indonesian header (``Tanggal Lahir``): its first alias, in words."""
    aliases = _aliases()
    found = aliases[
        (aliases["kind"] == "column")
        & (aliases["canonical"] == column)
        & aliases["scope"].isin([table, "*"])
    ]
    found = found.sort_values("scope", key=lambda s: s != table, kind="stable")
    name = str(found["alias"].iloc[0]) if len(found) else column
    return name.upper() if name == "nip" else name.replace("_", " ").title()


def guide(spec: Table) -> pd.DataFrame:
    """The ``panduan`` sheet of a table: one row per column."""
    rows = []
    for column in spec.columns:
        rows.append(
            {
                "Kolom": header(spec.name, column.name),
                "Kolom Jenjang": column.name,
                "Wajib": "tidak" if column.nullable else "ya",
                "Jenis": TYPES[column.dtype],
                "Nilai yang diterima": _accepted(column),
                "Data pribadi": "ya (tidak pernah menjadi fitur model)" if column.personal else "",
                "Keterangan": column.doc or ("kunci" if column.name in spec.key else ""),
            }
        )
    if "employee_id" in spec.column_names and spec.name != "employees":
        rows.append(
            {
                "Kolom": "NIP",
                "Kolom Jenjang": "nip",
                "Wajib": "boleh menggantikan ID Pegawai",
                "Jenis": "teks, 18 angka",
                "Nilai yang diterima": "NIP yang ada di sheet pegawai atau di basis data",
                "Data pribadi": "ya",
                "Keterangan": "isi NIP atau ID Pegawai",
            }
        )
    return pd.DataFrame(rows)


def _accepted(column: Column) -> str:
    if column.enum:
        values = sorted(reference.vocabulary(column.enum))
        return ", ".join(values[:20]) + (" …" if len(values) > 20 else "")
    if column.pattern:
        return "18 angka"
    if column.min is not None or column.max is not None:
        low = "" if column.min is None else f"{column.min:g}"
        high = "" if column.max is None else f"{column.max:g}"
        return f"{low} sampai {high}".strip()
    return ""


EXAMPLES = Path(__file__).resolve().parents[1] / "reference" / "template_examples"


@cache
def _examples() -> dict[str, pd.DataFrame]:
    """The example rows of each table: one synthetic civil servant of a generated dataset,
    with their post, unit, agency and records, so the examples refer to one another and a
    template filled only with them imports as it is."""
    return {
        name: pd.read_csv(EXAMPLES / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in template_tables()
        if (EXAMPLES / f"{name}.csv").is_file()
    }


def workbook(table: str) -> bytes:
    """The template of `table` as an .xlsx file."""
    spec = TABLES[table]
    example = _examples().get(table, pd.DataFrame(columns=spec.column_names))
    example = example.reindex(columns=spec.column_names).replace("", None)
    data = example.rename(columns={c: header(table, c) for c in spec.column_names})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        data.to_excel(writer, sheet_name=file_name(table)[:31], index=False)
        guide(spec).to_excel(writer, sheet_name=GUIDE_SHEET, index=False)
        for sheet in writer.sheets.values():
            for cells in sheet.columns:
                width = max(len(str(cell.value or "")) for cell in cells)
                sheet.column_dimensions[cells[0].column_letter].width = min(max(width + 2, 10), 60)
    return buffer.getvalue()


def write_templates(out: Path) -> list[Path]:
    """Every template into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in template_tables():
        path = out / f"{file_name(table)}.xlsx"
        path.write_bytes(workbook(table))
        written.append(path)
    return written


def templates_zip() -> bytes:
    """Every template in one .zip (the pages' download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in template_tables():
            archive.writestr(f"{file_name(table)}.xlsx", workbook(table))
    return buffer.getvalue()
