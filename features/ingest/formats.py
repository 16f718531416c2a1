"""Export files as BKDs have them: the formats, encodings, separators, numbers and dates.

- **Files.** CSV, Parquet, and Excel: ``.xlsx`` and the older ``.xls``, both read by
  python-calamine through pandas. A workbook of one sheet is one table; of several, each sheet
  is a table named by its sheet. JSON as a web service returns it: a list of records, or
  SIASN's ``{"code": 1, "data": [...], "message": ...}`` around one.
- **CSV text.** UTF-8 (with or without the byte-order mark Excel writes), else Windows-1252 (what
  Excel's "CSV (comma delimited)" saves on a Windows set to Indonesian). The separator is
  detected: ``,`` or ``;`` (Excel set to Indonesian uses ``;``), or a tab.
- **Numbers** may use a decimal comma (``85,5``), with dots between thousands (``1.234,5``).
  A value like ``1,234`` is read as 1.234 (HR exports do not group thousands with commas), and
  ``1.234`` as 1.234 too: without a comma, a dot is a decimal point, so a score of ``85.500``
  never becomes 85,500 (the ranges of validation catch a misread).
- **Dates**: ISO (``2020-08-17``), day first (``17/08/2020``, ``17-08-2020``, ``17.08.2020``;
  never month first) and Indonesian or English month names (``17 Agustus 2020``,
  ``17 Agu 2020``, ``17-Aug-2020``); a year before 1900 is a typo, not a date.

A file that cannot be read this way raises `UnreadableFile` with a message that says what is
wrong and what to do; the reader reports it against the file and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd

#: Column carrying the row number the user sees in the source (1-based line of a CSV or an
#: Excel sheet including its header; record number for Parquet).
ROW = "_row"

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls", ".json")

#: Dates before this year are read as typos (``17/08/0201``), not as dates.
FIRST_YEAR = 1900

#: A workbook sheet of this name is a guide for people (Jenjang's templates), not a table.
GUIDE_SHEET = "panduan"

#: Files larger than this are refused before they are read (settings: ``max_file_mb``).
DEFAULT_MAX_FILE_MB = 100

MONTHS = {
    **dict.fromkeys(["januari", "jan", "january"], 1),
    **dict.fromkeys(["februari", "feb", "pebruari", "peb", "february"], 2),
    **dict.fromkeys(["maret", "mar", "march"], 3),
    **dict.fromkeys(["april", "apr"], 4),
    **dict.fromkeys(["mei", "may"], 5),
    **dict.fromkeys(["juni", "jun", "june"], 6),
    **dict.fromkeys(["juli", "jul", "july"], 7),
    **dict.fromkeys(["agustus", "agu", "agt", "ags", "aug", "august"], 8),
    **dict.fromkeys(["september", "sep", "sept"], 9),
    **dict.fromkeys(["oktober", "okt", "oct", "october"], 10),
    **dict.fromkeys(["november", "nov", "nop", "nopember"], 11),
    **dict.fromkeys(["desember", "des", "dec", "december"], 12),
}
_NAMED = re.compile(r"^(\d{1,2})[\s\-/.]+([A-Za-z]+)[\s\-/.,]+(\d{4})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})$")
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+$")


class UnreadableFile(ValueError):
    """A file that cannot be read as a table: the message says why and what to do."""


def read_table_file(path: Path, max_mb: float = DEFAULT_MAX_FILE_MB) -> dict[str, pd.DataFrame]:
    """The frames of a file, as text, keyed by the name that says which table they are, each
    with the row number the user sees (`ROW`)."""
    size_mb = path.stat().st_size / 2**20
    if size_mb > max_mb:
        raise UnreadableFile(
            f"the file is {size_mb:,.0f} MB, over the limit of {max_mb:,.0f} MB "
            "(JENJANG_MAX_FILE_MB); split it, by year or agency, into smaller files"
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = read_csv_text(path)
        return {path.stem: _numbered(frame, first=2)}
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        return {path.stem: _numbered(frame, first=1)}
    if suffix == ".json":
        frame = read_json_records(path)
        return {path.stem: _numbered(frame, first=1)}
    sheets = _read_workbook(path)
    if len(sheets) == 1:
        (frame,) = sheets.values()
        return {path.stem: _numbered(frame, first=2)}
    return {name: _numbered(frame, first=2) for name, frame in sheets.items()}


def _numbered(frame: pd.DataFrame, first: int) -> pd.DataFrame:
    """`frame` with the row number the user sees (`ROW`; the header is line 1 of a CSV or a
    sheet), without its blank rows: a blank line keeps its number for the rows after it."""
    numbered = frame.assign(**{ROW: frame.index + first})
    if not len(frame.columns):
        return numbered
    values = frame.astype("string").apply(lambda column: column.str.strip())
    blank = (values.isna() | (values == "")).all(axis=1)
    return numbered.loc[~blank.to_numpy()].reset_index(drop=True)


def _read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine's errors name the damage, not the fix
        raise UnreadableFile(
            f"not a readable Excel workbook ({type(exc).__name__}: {exc}); the file may be "
            "damaged or cut short: save it again from Excel, or export it as CSV"
        ) from exc
    kept = {
        str(name): frame
        for name, frame in sheets.items()
        if len(frame.columns) and str(name).strip().lower() != GUIDE_SHEET
    }
    if not kept:
        raise UnreadableFile("the workbook has no sheet with a header row")
    return {name: _as_text(frame) for name, frame in kept.items()}


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel date cells come back as ``2020-08-17 00:00:00``: keep the date only."""
    for column in frame.columns:
        values = frame[column]
        midnight = values.str.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", na=False)
        if midnight.any():
            frame[column] = values.where(~midnight, values.str.slice(0, 10))
    return frame


def read_json_records(path: Path) -> pd.DataFrame:
    """A JSON list of records (or ``{"data": [...]}``) as text columns; row n is record n."""
    try:
        document = json.loads(_decoded(path.read_bytes()) or "null")
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"not valid JSON (line {exc.lineno}, column {exc.colno})") from exc
    records = document.get("data") if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UnreadableFile('expected a list of records, or {"data": [records]}')
    if not records:
        raise UnreadableFile("the file holds no records")
    frame = pd.DataFrame.from_records(records)
    return frame.apply(lambda column: column.map(_text))


def _text(value: object) -> object:
    """A JSON value as the text a CSV would hold (None stays missing)."""
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV as text columns: encoding and separator detected (module docstring)."""
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("not a text file (it holds binary data); export the table as CSV")
    text = _decoded(data)
    if not text.strip():
        raise UnreadableFile("the file is empty: a header row naming the columns is needed")
    separator = _separator(text)
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,  # blank lines keep their numbers (`_numbered` drops them)
        )
    except pd.errors.ParserError as exc:
        raise UnreadableFile(
            f"not a regular table with {separator!r} between columns ({exc})"
        ) from exc


def _decoded(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            line = data[: utf8.start].count(b"\n") + 1
            raise UnreadableFile(
                f"the text is neither UTF-8 nor Windows-1252 (byte 0x{data[utf8.start]:02x} on "
                f"line {line}); save it as 'CSV UTF-8' from Excel"
            ) from None


def _separator(text: str) -> str:
    """``,``, ``;``, a tab or ``|``, whichever the header and first lines agree on."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = text.splitlines()[0]
        counts = {sep: header.count(sep) for sep in ",;\t|"}
        return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers written either way: ``85.5``, ``85,5``, ``1.234,5`` (NaN where unreadable)."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce")
    text = values.astype("string").str.strip().str.replace(r"\s", "", regex=True)
    comma = text.str.match(_DECIMAL_COMMA.pattern, na=False)
    text = text.where(~comma, text.str.replace(".", "", regex=False).str.replace(",", "."))
    return pd.to_numeric(text, errors="coerce")


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates written as BKD exports write them (module docstring); NaT where unreadable."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values.astype("datetime64[us]")
    else:
        text = values.astype("string").str.strip()
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce").astype("datetime64[us]")
        rest = parsed.isna() & text.notna()
        if rest.any():
            parsed = parsed.fillna(_day_first(text[rest]))
    # microseconds hold any year; a year before 1900 is a typo (0201 for 2019), not a date
    return parsed.where(parsed.dt.year >= FIRST_YEAR)


def _day_first(text: pd.Series) -> pd.Series:
    """Day-first dates, with the month as a number or a name."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    numeric = text.str.extract(_DAY_FIRST.pattern)
    named = text.str.extract(_NAMED.pattern)
    month = named[1].str.lower().map(MONTHS)
    day = numeric[0].fillna(named[0])
    month_number = pd.to_numeric(numeric[1], errors="coerce").fillna(month)
    year = numeric[2].fillna(named[2])
    known = day.notna() & month_number.notna() & year.notna()
    if known.any():
        parts = pd.DataFrame(
            {
                "year": pd.to_numeric(year[known]),
                "month": month_number[known],
                "day": pd.to_numeric(day[known]),
            }
        )
        out[known] = pd.to_datetime(parts, errors="coerce").astype("datetime64[us]")
    return out
