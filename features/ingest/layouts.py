"""Export layouts: how the files of a known HR system, or of any export described by a mapping
file, become canonical tables.

A layout is a YAML file. Jenjang ships SIASN's (`features/reference/layouts/siasn.yaml`,
recognised by its headers); a user writes one for any other export (`--mapping FILE`), and
`jenjang data map --init` drafts it from the headers it recognises. For each kind of file a
layout says how to recognise it (headers it must have, or a file-name pattern), and for each
canonical table the file feeds, where each canonical column comes from:

- a header, or several to try in order (``[tanggal_lahir, tglLahir]``: the first with a value
  in a row); any spelling of a header is the same name (``NIP BARU``, ``nip_baru``, ``nipBaru``);
- a fixed value (``{value: annual}``);
- a header with a value map (``{headers: [...], values: {"71": PPPK}, otherwise: PNS}``);
- a named transform of headers (``{transform: year_start, headers: [tahun]}``, `TRANSFORMS`).

One flat file may feed several tables (SIASN's data utama: employees, the grade and the post
held now) and several files one table (riwayat diklat and kursus: training records). Rows keep
the file and row the user sees, so every problem found later names them. Values are mapped
after this, by the same vocabularies and spellings as any export (`features.ingest.sources`).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from features.ingest.formats import ROW, parse_numbers
from features.schema import TABLES

LAYOUTS = Path(__file__).resolve().parents[1] / "reference" / "layouts"

#: Tables a layout may feed besides the canonical ones, consumed before validation
#: (`features.ingest.completion`): the levels of a riwayat pendidikan.
EXTRA_TABLES = {"education_history": ("nip", "education", "graduated_on")}
#: Columns a layout may give a canonical table besides its own: a post named by its unit and
#: title, found in the positions (`features.ingest.completion`), and the NIP naming a person.
EXTRA_COLUMNS = {"position_history": ("post_unit", "post_title")}
NIP = "nip"


class LayoutError(ValueError):
    """A mapping file that cannot be used: the message names the file and the entry."""


def header_key(name: object) -> str:
    """One key for every spelling of a header: ``NIP BARU`` = ``nip_baru`` = ``nipBaru``."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


@dataclass(frozen=True)
class ColumnSource:
    """Where one canonical column comes from (module docstring)."""

    headers: tuple[str, ...] = ()
    value: str | None = None
    values: dict[str, str] | None = None
    otherwise: str | None = None
    transform: str | None = None

    def build(self, frame: pd.DataFrame, keys: dict[str, str]) -> pd.Series | None:
        """The column for `frame` (None when none of its headers is in the file)."""
        if self.value is not None:
            return pd.Series(self.value, index=frame.index, dtype=object)
        found = list(
            dict.fromkeys(keys[header_key(h)] for h in self.headers if header_key(h) in keys)
        )
        if not found:
            return None
        if self.transform in BY_POSITION:  # each header has its role: (year, month)
            roles = pd.DataFrame(
                {
                    str(i): frame[keys[header_key(h)]] if header_key(h) in keys else None
                    for i, h in enumerate(self.headers)
                },
                index=frame.index,
            )
            return TRANSFORMS[self.transform](roles)
        if self.transform is not None:
            return TRANSFORMS[self.transform](frame[found])
        column = _first_filled(frame[found])
        if self.values is not None:
            codes = self.values
            mapped = column.map(lambda v: None if _blank(v) else codes.get(str(v).strip().lower()))
            fallback = self.otherwise if self.otherwise is not None else column
            column = mapped.where(mapped.notna(), fallback).where(~column.map(_blank), None)
        return column


@dataclass(frozen=True)
class TableSpec:
    table: str
    columns: dict[str, ColumnSource]


@dataclass(frozen=True)
class FileSpec:
    name: str
    description: str
    recognise: tuple[tuple[str, ...], ...] = ()
    pattern: str | None = None
    tables: tuple[TableSpec, ...] = ()
    sheet: str | None = None  # the sheet of a workbook of several

    def matches(self, file_name: str, headers: set[str], sheet: str | None = None) -> bool:
        """Whether a file (or one `sheet` of it) with `headers` (`header_key`s) is this one."""
        if self.pattern is not None and not fnmatch.fnmatch(
            file_name.lower(), self.pattern.lower()
        ):
            return False
        if self.sheet is not None and (sheet or "").strip().lower() != self.sheet.strip().lower():
            return False
        return all(any(header_key(h) in headers for h in group) for group in self.recognise)

    def headers(self) -> set[str]:
        """Every header key this file's tables read."""
        return {
            header_key(h)
            for spec in self.tables
            for source in spec.columns.values()
            for h in source.headers
        }


@dataclass(frozen=True)
class People:
    """How a layout's files name people: by NIP, or by an id the people file gives the NIP of."""

    file: str | None = None
    id: tuple[str, ...] = ()
    nip: tuple[str, ...] = ()
    named_by_nip: tuple[str, ...] = ()
    named_by_id: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    path: str
    files: tuple[FileSpec, ...]
    people: People = field(default_factory=People)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def file_for(
        self, file_name: str, headers: set[str], sheet: str | None = None
    ) -> FileSpec | None:
        return next((f for f in self.files if f.matches(file_name, headers, sheet)), None)


@dataclass
class Mapped:
    """One file's rows for one table, before typing: ``frame`` keeps ``_row``."""

    table: str
    source: str
    frame: pd.DataFrame


# --- transforms ----------------------------------------------------------------------------


def _first_filled(frame: pd.DataFrame) -> pd.Series:
    """Per row, the first of the columns with a value."""
    out = frame.iloc[:, 0].astype(object)
    for column in frame.columns[1:]:
        out = out.where(~out.map(_blank), frame[column])
    return out.where(~out.map(_blank), None)


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""
    )


def _years(frame: pd.DataFrame) -> pd.Series:
    return parse_numbers(_first_filled(frame)).astype("Int64")


def _year_start(frame: pd.DataFrame) -> pd.Series:
    years = _years(frame)
    return (years.astype("string") + "-01-01").astype(object).where(years.notna(), None)


def _year_end(frame: pd.DataFrame) -> pd.Series:
    years = _years(frame)
    return (years.astype("string") + "-12-31").astype(object).where(years.notna(), None)


def _month(frame: pd.DataFrame, end: bool) -> pd.Series:
    """(year, month) headers, by position → the month's first or last day (None when either
    is missing or the month is not 1–12)."""
    year = parse_numbers(frame.iloc[:, 0])
    month = (
        parse_numbers(frame.iloc[:, 1]) if frame.shape[1] > 1 else pd.Series(np.nan, frame.index)
    )
    valid = year.notna() & month.between(1, 12) & (month == month.round())
    out = pd.Series(None, index=frame.index, dtype=object)
    if valid.any():
        parts = pd.DataFrame({"year": year[valid], "month": month[valid], "day": 1})
        first = pd.to_datetime(parts, errors="coerce")
        dates = first + pd.offsets.MonthEnd(0) if end else first
        out[valid] = dates.dt.strftime("%Y-%m-%d").to_numpy()
    return out


def _rating_from_score(frame: pd.DataFrame) -> pd.Series:
    """The PP 46/2011 category of a score (Sangat Baik ≥ 91 … Buruk ≤ 50, ratings.csv)."""
    from features import reference

    bands = reference.load("ratings").query("scheme == 'numeric_2011'")
    bands = bands.sort_values("score_min")
    edges = bands["score_min"].astype(float).to_numpy()[1:]
    names = bands["rating"].to_numpy()
    score = parse_numbers(_first_filled(frame))
    index = np.searchsorted(edges, score.fillna(-1).to_numpy(), side="right")
    return pd.Series(names[index], index=frame.index, dtype=object).where(score.notna(), None)


def _sex_from_nip(frame: pd.DataFrame) -> pd.Series:
    """Sex from the NIP's 15th digit (1 male, 2 female: BKN's NIP format), for exports that
    do not carry it; validation still checks the NIP against any sex the export gives."""
    digit = _first_filled(frame).astype("string").str.replace(r"\s", "", regex=True).str[14]
    return digit.map({"1": "M", "2": "F"}).astype(object).where(digit.isin(["1", "2"]), None)


#: Transforms whose headers each have a role, by position; the others take the first header
#: with a value.
BY_POSITION = {"month_start", "month_end"}

TRANSFORMS = {
    "sex_from_nip": _sex_from_nip,
    "year_start": _year_start,
    "year_end": _year_end,
    "month_start": lambda frame: _month(frame, end=False),
    "month_end": lambda frame: _month(frame, end=True),
    "rating_from_score": _rating_from_score,
}


def _enum(table: str, column: str) -> str | None:
    if table in TABLES and column in TABLES[table].column_names:
        return TABLES[table].column(column).enum
    return "education" if column == "education" else None


# --- reading layouts -------------------------------------------------------------------------


def load_layout(path: Path) -> Layout:
    """A layout from its YAML file; every mistake in it is a `LayoutError` naming the entry."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LayoutError(f"{path.name}: not a readable YAML mapping file ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("files"), dict):
        raise LayoutError(f"{path.name}: a mapping file needs a 'files:' section")
    files = tuple(
        _file_spec(path.name, name, _expect(entry or {}, dict, f"{path.name}: files.{name}"))
        for name, entry in document["files"].items()
    )
    people = _expect(document.get("people") or {}, dict, f"{path.name}: people")
    values = _expect(document.get("values") or {}, dict, f"{path.name}: values")
    for vocabulary, mapping in values.items():
        _expect(mapping or {}, dict, f"{path.name}: values.{vocabulary}")
    return Layout(
        name=str(document.get("layout", path.stem)),
        title=str(document.get("title", path.stem)),
        path=str(path),
        files=files,
        people=People(
            file=people.get("file"),
            id=_names(people.get("id")),
            nip=_names(people.get("nip")),
            named_by_nip=_names(people.get("named_by_nip")) or _names(people.get("nip")),
            named_by_id=_names(people.get("named_by_id")),
        ),
        values={
            str(vocabulary): {str(k).strip().lower(): str(v) for k, v in (mapping or {}).items()}
            for vocabulary, mapping in values.items()
        },
    )


def _expect(value: Any, kind: type[dict[Any, Any]] | type[list[Any]], where: str) -> Any:
    """`value` if it is of `kind`; else a `LayoutError` naming the entry."""
    if not isinstance(value, kind):
        wanted = "a list" if kind is list else "a mapping (name: value lines)"
        raise LayoutError(f"{where}: expected {wanted}, not {type(value).__name__}")
    return value


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _file_spec(mapping: str, name: str, entry: dict[str, Any]) -> FileSpec:
    where = f"{mapping}: files.{name}"
    tables = []
    for table, columns in _expect(entry.get("tables") or {}, dict, f"{where}.tables").items():
        _expect(columns or {}, dict, f"{where}.tables.{table}")
        allowed = _columns_of(str(table))
        if allowed is None:
            raise LayoutError(f"{where}: {table!r} is not a table Jenjang knows")
        sources = {}
        for column, spec in (columns or {}).items():
            if column not in allowed:
                raise LayoutError(
                    f"{where}.tables.{table}: {column!r} is not a column of {table} "
                    f"(one of {', '.join(sorted(allowed))})"
                )
            sources[str(column)] = _column_source(f"{where}.tables.{table}.{column}", spec)
        tables.append(TableSpec(str(table), sources))
    groups = _expect(entry.get("recognise") or [], list, f"{where}.recognise")
    recognise = tuple(_names(group) for group in groups)
    pattern = entry.get("file")
    if not recognise and pattern is None:
        raise LayoutError(f"{where}: say how to find the file ('file:' pattern or 'recognise:')")
    sheet = entry.get("sheet")
    return FileSpec(
        str(name),
        str(entry.get("description", name)),
        recognise,
        None if pattern is None else str(pattern),
        tuple(tables),
        None if sheet is None else str(sheet),
    )


def _columns_of(table: str) -> set[str] | None:
    if table in EXTRA_TABLES:
        return set(EXTRA_TABLES[table])
    if table not in TABLES:
        return None
    columns = set(TABLES[table].column_names) | set(EXTRA_COLUMNS.get(table, ()))
    return columns | ({NIP} if "employee_id" in columns else set())


def _column_source(where: str, spec: Any) -> ColumnSource:
    if isinstance(spec, (str, list)):
        return ColumnSource(headers=_names(spec))
    if not isinstance(spec, dict):
        raise LayoutError(f"{where}: expected a header, a list of headers or a mapping")
    transform = spec.get("transform")
    if transform is not None and transform not in TRANSFORMS:
        raise LayoutError(
            f"{where}: unknown transform {transform!r} (one of {', '.join(sorted(TRANSFORMS))})"
        )
    values = spec.get("values")
    if values is not None:
        _expect(values, dict, f"{where}.values")
    return ColumnSource(
        headers=_names(spec.get("headers")),
        value=None if spec.get("value") is None else str(spec["value"]),
        values=None
        if values is None
        else {str(k).strip().lower(): str(v) for k, v in values.items()},
        otherwise=None if spec.get("otherwise") is None else str(spec["otherwise"]),
        transform=transform,
    )


@cache
def builtin_layouts() -> tuple[Layout, ...]:
    """The layouts Jenjang ships (SIASN), recognised by their headers."""
    return tuple(load_layout(path) for path in sorted(LAYOUTS.glob("*.yaml")))


# --- applying a layout -----------------------------------------------------------------------


def unused_headers(layout: Layout, spec: FileSpec, frame: pd.DataFrame) -> list[str]:
    """The headers of a file its spec does not read (reported once per file)."""
    used = spec.headers() | {
        header_key(h) for h in (*layout.people.named_by_nip, *layout.people.named_by_id)
    }
    if spec.name == layout.people.file:
        used |= {header_key(h) for h in (*layout.people.id, *layout.people.nip)}
    return [str(c) for c in frame.columns if c != ROW and header_key(c) not in used]


def apply_file(
    spec: FileSpec,
    source: str,
    frame: pd.DataFrame,
    values: dict[str, dict[str, str]] | None = None,
) -> list[Mapped]:
    """The rows of one file for each table its spec feeds, named by the layout's columns;
    `values` (vocabulary → written value → canonical) are the layout's own code values."""
    keys = {header_key(c): c for c in frame.columns if c != ROW}
    out = []
    for table in spec.tables:
        columns = {}
        for name, column_source in table.columns.items():
            built = column_source.build(frame, keys)
            if built is None:
                continue
            enum = _enum(table.table, name)
            if values and enum in values:
                codes = values[enum]
                built = built.map(lambda v, codes=codes: codes.get(str(v).strip().lower(), v))
            columns[name] = built
        mapped = pd.DataFrame(columns, index=frame.index)
        mapped[ROW] = frame[ROW].to_numpy()
        out.append(Mapped(table.table, source, mapped.reset_index(drop=True)))
    return out
