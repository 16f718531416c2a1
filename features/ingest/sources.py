"""Reading HR exports: find the files of a folder, map their names to canonical ones.

An export folder holds one file per table, as CSV, Parquet or Excel (one sheet per table, or a
workbook whose sheets are tables), read as `features.ingest.formats` describes. File, sheet and
column names may be canonical (``employees.csv``, ``birth_date``) or the Indonesian ones an HR
export uses (``pegawai.xlsx``, ``tanggal_lahir``); values may be spelled as users write them
(``Laki-laki``, ``S-1``, ``Sangat Baik``). Every such mapping lives in
``features/reference/aliases.csv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from features import reference
from features.ingest.formats import ROW, SUPPORTED_SUFFIXES, UnreadableFile, read_table_file
from features.schema import TABLES
from features.store.regions import is_partitioned
from features.store.settings import get_settings


@dataclass
class RawTable:
    """One canonical table as read from a source file, before typing and checks."""

    table: str
    source: str
    frame: pd.DataFrame
    ignored_columns: list[str]


@dataclass(frozen=True)
class SourceIssue:
    """A problem found while reading (unreadable file, unknown name, duplicate table)."""

    severity: str
    source: str
    message: str


def normalise_name(name: str) -> str:
    """Lower-case, trim, and turn spaces, dashes and dots into underscores."""
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower()).strip("_")


@cache
def _aliases(kind: str) -> dict[tuple[str, str], str]:
    table = reference.load("aliases").query("kind == @kind").fillna("")
    keys = zip(
        table["scope"].astype(str), table["alias"].astype(str).str.strip().str.lower(), strict=True
    )
    return dict(zip(keys, table["canonical"].astype(str), strict=True))


def canonical_table(name: str) -> str | None:
    """Canonical table for a file or sheet name, or None when it is not one of ours."""
    key = normalise_name(name)
    if key in TABLES:
        return key
    return _aliases("table").get(("", key))


def canonical_column(table: str, name: str) -> str:
    """Canonical column for header `name` in `table` (unchanged when no alias applies)."""
    key = normalise_name(name)
    if key in TABLES[table].column_names:
        return key
    aliases = _aliases("column")
    return aliases.get((table, key)) or aliases.get(("*", key)) or key


def canonical_values(vocabulary: str, values: pd.Series) -> pd.Series:
    """Map user spellings of an enumerated column onto the vocabulary's canonical values.

    Exact canonical values are kept; otherwise the lower-cased trimmed text is looked up in the
    value aliases, then tried as a snake_case code (``Sangat Baik`` → ``sangat_baik``).
    Unknown values are returned unchanged so validation can name them.
    """
    allowed = reference.vocabulary(vocabulary)
    value_aliases = {
        alias: canonical
        for (scope, alias), canonical in _aliases("value").items()
        if scope == vocabulary
    }

    def one(value: object) -> object:
        if value is None or value is pd.NA or value in allowed:
            return value
        text = str(value).strip()
        lowered = text.lower()
        if text in allowed:
            return text
        if lowered in value_aliases:
            return value_aliases[lowered]
        snake = normalise_name(lowered)
        if snake in allowed:
            return snake
        return text

    unique = pd.unique(values.dropna())
    mapping = {v: one(v) for v in unique}
    return values.map(mapping, na_action="ignore")


def read_folder(folder: Path) -> tuple[dict[str, RawTable], list[SourceIssue]]:
    """Read every table file of `folder`, mapping names to canonical ones.

    Returns the tables found and the issues met: unreadable files and two files for one table
    are errors; files that are not tables of ours are warnings (they are skipped).
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    tables: dict[str, RawTable] = {}
    issues: list[SourceIssue] = []
    if is_partitioned(folder):
        message = (
            "a folder of regions: this is a dataset partitioned by region (the national "
            "layout), which the Spark jobs read (`jenjang batch score --data`); ingest reads "
            "one file per table"
        )
        issues.append(SourceIssue("error", "employees/", message))
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        try:
            frames = read_table_file(path, get_settings().max_file_mb)
        except UnreadableFile as exc:
            issues.append(SourceIssue("error", path.name, f"cannot read the file: {exc}"))
            continue
        except Exception as exc:  # noqa: BLE001 - every reader error is reported the same way
            issues.append(SourceIssue("error", path.name, f"cannot read the file: {exc}"))
            continue
        for name, frame in frames.items():
            source = path.name if len(frames) == 1 else f"{path.name}[{name}]"
            table = canonical_table(name)
            if table is None:
                issues.append(SourceIssue("warning", source, "not a known table; skipped"))
                continue
            if table in tables:
                issues.append(
                    SourceIssue(
                        "error",
                        source,
                        f"second file for table {table} (already read from {tables[table].source})",
                    )
                )
                continue
            tables[table] = canonical_frame(table, source, frame)
    return tables, issues


#: Column through which an export may name the employee instead of `employee_id` (SIASN and
#: SIMPEG histories are keyed by NIP); see `features.ingest.identity`.
NIP = "nip"


def canonical_frame(table: str, source: str, frame: pd.DataFrame) -> RawTable:
    """Rename an export's columns to canonical ones; keep a NIP wherever an employee is named."""
    renamed: dict[str, str] = {}
    ignored: list[str] = []
    known = set(TABLES[table].column_names) | {ROW}
    if "employee_id" in known:
        known.add(NIP)
    for column in frame.columns:
        if column == ROW:
            continue
        canonical = canonical_column(table, column)
        if canonical in known and canonical not in renamed.values():
            renamed[column] = canonical
        else:
            ignored.append(str(column))
    kept = frame[[*renamed, ROW]].rename(columns=renamed)
    return RawTable(table, source, kept.reset_index(drop=True), ignored)
