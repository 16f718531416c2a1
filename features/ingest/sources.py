"""Reading HR exports: find the files of a folder, map their names to canonical ones.

An export folder holds one file per table, as CSV, Parquet or Excel (one sheet per table, or a
workbook whose sheets are tables), read as `features.ingest.formats` describes. File, sheet and
column names may be canonical (``employees.csv``, ``birth_date``) or the Indonesian ones an HR
export uses (``pegawai.xlsx``, ``tanggal_lahir``); values may be spelled as users write them
(``Laki-laki``, ``S-1``, ``Sangat Baik``). Every such mapping lives in
``features/reference/aliases.csv``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from features import reference
from features.ingest.formats import ROW, SUPPORTED_SUFFIXES, UnreadableFile, read_table_file
from features.ingest.layouts import (
    EXTRA_COLUMNS,
    EXTRA_TABLES,
    NIP,
    FileSpec,
    Layout,
    Mapped,
    apply_file,
    builtin_layouts,
    header_key,
    unused_headers,
)
from features.schema import TABLES
from features.store.regions import MANIFEST, is_partitioned
from features.store.settings import get_settings


@dataclass
class RawTable:
    """One canonical table as read from its source files, before typing and checks.

    A table fed by several files of an export layout (SIASN's riwayat diklat and kursus both
    give training records) is numbered 1…n across them; `origins` gives each number's file and
    row as the user sees them, and problems are reported there (`origin`)."""

    table: str
    source: str
    frame: pd.DataFrame
    ignored_columns: list[str]
    origins: pd.DataFrame | None = None  # index: the combined row; columns: source, row
    via_layout: bool = False  # read through an export layout, not a file named after its table
    #: (row, column) → the row a merged row's value came from (`features.ingest.completion`)
    cell_origins: dict[tuple[int, str], int] = field(default_factory=dict)

    def origin(self, row: int, column: str | None = None) -> tuple[str, int]:
        """The file and row a row number of this table (and, for a merged row, the value of
        its `column`) came from."""
        if column is not None:
            row = self.cell_origins.get((row, column), row)
        if self.origins is None or row not in self.origins.index:
            return self.source, row
        return str(self.origins.at[row, "source"]), int(str(self.origins.at[row, "row"]))


@dataclass(frozen=True)
class SourceIssue:
    """A problem found while reading (unreadable file, unknown name, duplicate table)."""

    severity: str
    source: str
    message: str
    row: int | None = None
    column: str | None = None


def stated_extraction_date(folder: Path) -> dt.date | None:
    """The extraction date a dataset states about itself: a generated dataset's manifest says
    the day its export was taken. None for a real export, which says it with --extracted-on."""
    manifest = Path(folder) / MANIFEST
    if not manifest.is_file():
        return None
    stated = json.loads(manifest.read_text()).get("extraction_date")
    return dt.date.fromisoformat(stated) if stated else None


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
    if vocabulary == "grade":
        value_aliases = {**grade_spellings(), **value_aliases}

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


@cache
def grade_spellings() -> dict[str, str]:
    """How exports write a PNS grade, lower-cased → canonical (``III/a``): ``III/A``, ``IIIa``,
    ``III a``, ``Gol. III/a``, ``Golongan III/a``, the pangkat (``Penata Muda``, with or without
    the golongan: ``Penata Muda, III/a``, ``Penata Muda (III/a)``) and SIASN's golongan id
    (``31``; ids 11…45, gvnards/sidak-backend database/seeds/MDaftarPangkatSeeder.php)."""
    grades = reference.load("grades").query("scheme == 'pns'")
    out: dict[str, str] = {}
    for grade, group, pangkat in zip(
        grades["grade"], grades["group"], grades["pangkat"], strict=True
    ):
        roman, letter = str(grade).split("/")
        forms = {f"{roman}/{letter}", f"{roman}{letter}", f"{roman} {letter}", f"{roman}-{letter}"}
        forms |= {
            f"{prefix} {form}" for prefix in ("gol.", "gol", "golongan") for form in list(forms)
        }
        name = str(pangkat).lower()
        forms |= {name, name.replace("tingkat i", "tk. i"), name.replace("tingkat i", "tk i")}
        for separator in (", ", " / ", " - ", " "):
            forms.add(f"{name}{separator}{roman}/{letter}")
        forms.add(f"{name} ({roman}/{letter})")
        number = {"I": 1, "II": 2, "III": 3, "IV": 4}[str(group)] * 10 + "abcde".index(letter) + 1
        forms.add(str(number))
        out.update({form.lower(): str(grade) for form in forms})
    return out


def read_folder(
    folder: Path,
    layouts: Sequence[Layout] = (),
    leave_out: Mapping[str, set[int]] | None = None,
) -> tuple[dict[str, RawTable], list[SourceIssue]]:
    """Read every table file of `folder`, mapping names to canonical ones.

    A file is a table of ours by its name (``employees.csv``, ``pegawai.xlsx``); otherwise the
    first of `layouts` (a user's mapping file), then the shipped layouts (SIASN), that
    recognise it say which tables it feeds (`features.ingest.layouts`). `leave_out` names rows
    to drop, by file and row as problems name them. Returns the tables and the issues met:
    unreadable files and two plain files for one table are errors; files that are not tables of
    ours are warnings (they are skipped).
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    issues: list[SourceIssue] = []
    if is_partitioned(folder):
        message = (
            "a folder of regions: this is a dataset partitioned by region (the national "
            "layout), which the Spark jobs read (`jenjang batch score --data`); ingest reads "
            "one file per table"
        )
        issues.append(SourceIssue("error", "employees/", message))
    read = list(_read_files(folder, leave_out or {}, issues))
    every_layout = [*layouts, *builtin_layouts()]
    parts: dict[str, list[RawTable]] = {}
    matched: list[tuple[Layout, FileSpec, str, pd.DataFrame]] = []
    for path, name, source, frame in read:
        table = canonical_table(name)
        if table is not None and not layouts:
            parts.setdefault(table, []).append(canonical_frame(table, source, frame))
            continue
        headers = {header_key(c) for c in frame.columns if c != ROW}
        sheet = name if source.endswith("]") else None
        found = next(
            (
                (lay, spec)
                for lay in every_layout
                if (spec := lay.file_for(path.name, headers, sheet))
            ),
            None,
        )
        if found is not None:
            matched.append((found[0], found[1], source, frame))
        elif table is not None:
            parts.setdefault(table, []).append(canonical_frame(table, source, frame))
        else:
            issues.append(SourceIssue("warning", source, "not a known table; skipped"))
    for layout, spec, source, frame in matched:
        unused = unused_headers(layout, spec, frame)
        said = f"read as {layout.title}: {spec.description}"
        if unused:
            more = f" and {len(unused) - 12} more" if len(unused) > 12 else ""
            said += f"; {len(unused)} columns not used: {', '.join(unused[:12])}{more}"
        issues.append(SourceIssue("warning", source, said))
        people = _people(layout, matched)
        for mapped in apply_file(spec, source, frame, layout.values):
            named = _named(layout, people, frame, mapped, issues)
            parts.setdefault(mapped.table, []).append(named)
    return _combined(parts, issues), issues


def _read_files(
    folder: Path, leave_out: Mapping[str, set[int]], issues: list[SourceIssue]
) -> Iterator[tuple[Path, str, str, pd.DataFrame]]:
    """(path, table name, source as problems name it, frame) of every file and sheet."""
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
            dropped = leave_out.get(source)
            if dropped:
                frame = frame[~frame[ROW].isin(dropped)].reset_index(drop=True)
            yield path, name, source, frame


def _people(
    layout: Layout, matched: list[tuple[Layout, FileSpec, str, pd.DataFrame]]
) -> dict[str, str]:
    """A layout's id → NIP, from its people file (SIASN's data utama: PNS id → NIP)."""
    out: dict[str, str] = {}
    for other, spec, _, frame in matched:
        if other is not layout or spec.name != layout.people.file:
            continue
        keys = {header_key(c): c for c in frame.columns}
        ids = [keys[header_key(h)] for h in layout.people.id if header_key(h) in keys]
        nips = [keys[header_key(h)] for h in layout.people.nip if header_key(h) in keys]
        if ids and nips:
            for id_column in ids:
                pairs = frame[[id_column, nips[0]]].dropna()
                out.update(
                    zip(pairs[id_column].astype(str), pairs[nips[0]].astype(str), strict=True)
                )
    return out


def _named(
    layout: Layout,
    people: dict[str, str],
    frame: pd.DataFrame,
    mapped: Mapped,
    issues: list[SourceIssue],
) -> RawTable:
    """A layout's rows as a raw canonical table, each naming its person by NIP."""
    out = mapped.frame
    wants_person = (
        mapped.table in EXTRA_TABLES or "employee_id" in TABLES[mapped.table].column_names
    )
    if wants_person and NIP not in out and "employee_id" not in out:
        keys = {header_key(c): c for c in frame.columns}
        by_nip = [keys[header_key(h)] for h in layout.people.named_by_nip if header_key(h) in keys]
        by_id = [keys[header_key(h)] for h in layout.people.named_by_id if header_key(h) in keys]
        if by_nip:
            out[NIP] = frame[by_nip[0]].to_numpy()
        elif by_id:
            ids = frame[by_id[0]].astype("string").str.strip()
            out[NIP] = ids.map(people).to_numpy()
            unnamed = _unnamed(layout, mapped, ids, out[NIP], by_id[0], bool(people))
            issues.extend(unnamed)
            # rows no one can be found for are reported once, here, not again as missing ids
            out = out[~(ids.notna() & out[NIP].isna()).to_numpy()].reset_index(drop=True)
        else:
            names = ", ".join([*layout.people.named_by_nip, *layout.people.named_by_id])
            issues.append(
                SourceIssue("error", mapped.source, f"no column names the person (one of {names})")
            )
            out = out.iloc[0:0]  # the file's error says it; its rows cannot be placed
    ignored: list[str] = []  # a layout's unused headers are reported once per file
    if mapped.table in EXTRA_TABLES:
        return RawTable(mapped.table, mapped.source, out, ignored, via_layout=True)
    raw = canonical_frame(mapped.table, mapped.source, out)
    return RawTable(raw.table, raw.source, raw.frame, ignored, via_layout=True)


def _unnamed(
    layout: Layout, mapped: Mapped, ids: pd.Series, nips: pd.Series, header: str, known: bool
) -> list[SourceIssue]:
    """The rows whose person id the layout's people file does not give a NIP for."""
    missing = ids.notna() & pd.Series(nips, index=ids.index).isna()
    if not missing.any():
        return []
    if not known:
        return [
            SourceIssue(
                "error",
                mapped.source,
                f"people are named by {header}, but the file that gives their NIP "
                f"({layout.people.file}) is not in the export",
                column=header,
            )
        ]
    rows = mapped.frame[ROW][missing.to_numpy()]
    return [
        SourceIssue(
            "error",
            mapped.source,
            f"{value!r} is not in {layout.people.file}: the person has no NIP there",
            row=int(row),
            column=header,
        )
        for row, value in zip(rows, ids[missing], strict=True)
    ]


def _combined(parts: dict[str, list[RawTable]], issues: list[SourceIssue]) -> dict[str, RawTable]:
    """One raw table per canonical table: two files named after one table are an error; the
    parts of a layout are stacked, numbered 1…n, with each row's file and row kept."""
    tables: dict[str, RawTable] = {}
    for table, pieces in parts.items():
        plain = [p for p in pieces if not p.via_layout]
        for extra in plain[1:]:
            issues.append(
                SourceIssue(
                    "error",
                    extra.source,
                    f"second file for table {table} (already read from {plain[0].source})",
                )
            )
        pieces = [p for p in pieces if p.via_layout] + plain[:1]
        if len(pieces) == 1 and not pieces[0].via_layout:
            tables[table] = pieces[0]
            continue
        frame = pd.concat([p.frame for p in pieces], ignore_index=True)
        origins = pd.DataFrame(
            {
                "source": [p.source for p in pieces for _ in range(len(p.frame))],
                "row": pd.concat([p.frame[ROW] for p in pieces], ignore_index=True).to_numpy(),
            },
            index=pd.RangeIndex(1, len(frame) + 1),
        )
        frame[ROW] = origins.index.to_numpy()
        ignored = sorted({c for p in pieces for c in p.ignored_columns})
        label = f"{table} (from {', '.join(dict.fromkeys(p.source for p in pieces))})"
        tables[table] = RawTable(table, label, frame, ignored, origins, via_layout=True)
    return tables


#: `NIP` (``nip``) is the column through which an export may name the employee instead of
#: `employee_id` (SIASN and SIMPEG histories are keyed by NIP); see `features.ingest.identity`.


def canonical_frame(table: str, source: str, frame: pd.DataFrame) -> RawTable:
    """Rename an export's columns to canonical ones; keep a NIP wherever an employee is named."""
    renamed: dict[str, str] = {}
    ignored: list[str] = []
    known = set(TABLES[table].column_names) | {ROW} | set(EXTRA_COLUMNS.get(table, ()))
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
