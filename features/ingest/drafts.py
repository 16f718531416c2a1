"""A first mapping file for an export Jenjang does not know (`jenjang data map --init`).

For each file of the export the draft says which table it looks like (by its name, or by the
headers that name columns of a table), which header feeds which column, and which code values
Jenjang cannot read yet. What it cannot decide is written as a commented ``TODO`` line, so the
draft loads as it is and the user fills in the rest; `Draft.unresolved` lists the same for the
terminal. Files a shipped layout already reads (SIASN, SIDAK) are noted and left out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features import reference
from features.ingest.formats import ROW, SUPPORTED_SUFFIXES, UnreadableFile, read_table_file
from features.ingest.layouts import builtin_layouts, header_key
from features.ingest.sources import NIP, canonical_column, canonical_table, canonical_values
from features.schema import TABLES

#: A file is taken for a table when at least this many of its headers name the table's columns.
MIN_MATCHES = 2
#: Distinct values of a coded column looked at for codes Jenjang cannot read.
VALUES_LOOKED_AT = 200


@dataclass
class FileDraft:
    """What the draft says about one file (or sheet)."""

    source: str
    table: str | None
    columns: dict[str, str] = field(default_factory=dict)  # canonical column → header
    missing: list[str] = field(default_factory=list)  # required columns no header feeds
    unused: list[str] = field(default_factory=list)
    unknown_values: dict[str, list[str]] = field(default_factory=dict)  # vocabulary → values
    note: str = ""


@dataclass
class Draft:
    files: list[FileDraft]

    @property
    def unresolved(self) -> list[str]:
        """One line per thing the user must decide, for the terminal."""
        lines = []
        for file in self.files:
            if file.note:
                continue
            if file.table is None:
                lines.append(
                    f"{file.source}: which table is it? (headers: {', '.join(file.unused)})"
                )
                continue
            for column in file.missing:
                lines.append(f"{file.source}: no header for {file.table}.{column} (required)")
            if file.unused:
                lines.append(f"{file.source}: headers not mapped: {', '.join(file.unused)}")
            for vocabulary, values in file.unknown_values.items():
                shown = ", ".join(values[:8]) + (" …" if len(values) > 8 else "")
                lines.append(f"{file.source}: {vocabulary} codes to map: {shown}")
        return lines


def draft_mapping(folder: Path) -> Draft:
    """The draft for every file of `folder` (module docstring)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    files = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        try:
            frames = read_table_file(path)
        except UnreadableFile as exc:
            files.append(FileDraft(path.name, None, note=f"cannot read the file: {exc}"))
            continue
        for name, frame in frames.items():
            source = path.name if len(frames) == 1 else f"{path.name}[{name}]"
            files.append(_draft_file(path.name, name, source, frame))
    return Draft(files)


def _draft_file(file_name: str, name: str, source: str, frame: pd.DataFrame) -> FileDraft:
    headers = [str(c) for c in frame.columns if c != ROW]
    keys = {header_key(h) for h in headers}
    sheet = name if source.endswith("]") else None
    for layout in builtin_layouts():
        known = layout.file_for(file_name, keys, sheet)
        if known is not None:
            return FileDraft(source, None, note=f"read as {layout.title}: {known.description}")
    table = canonical_table(name) or _guess_table(headers)
    if table is None:
        return FileDraft(source, None, unused=headers)
    spec = TABLES[table]
    wanted = set(spec.column_names) | ({NIP} if "employee_id" in spec.column_names else set())
    columns: dict[str, str] = {}
    for header in headers:
        column = canonical_column(table, header)
        if column in wanted and column not in columns:
            columns[column] = header
    person = {"employee_id", NIP} & set(columns)
    missing = [
        c.name
        for c in spec.columns
        if not c.nullable
        and c.name not in columns
        and c.name != "recorded_at"  # dated by --extracted-on when missing
        and not (c.name == "employee_id" and person)
    ]
    unused = [h for h in headers if h not in columns.values()]
    return FileDraft(
        source,
        table,
        columns,
        missing,
        unused,
        _unknown_values(table, columns, frame),
    )


def _guess_table(headers: list[str]) -> str | None:
    """The table most of `headers` name columns of (at least `MIN_MATCHES`)."""
    scores = {}
    for table, spec in TABLES.items():
        if spec.reference:
            continue
        names = set(spec.column_names) - {"employee_id", "recorded_at"}
        scores[table] = sum(canonical_column(table, h) in names for h in headers)
    best = max(scores, key=lambda t: scores[t])
    return best if scores[best] >= MIN_MATCHES else None


def _unknown_values(
    table: str, columns: dict[str, str], frame: pd.DataFrame
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for column, header in columns.items():
        enum = TABLES[table].column(column).enum if column in TABLES[table].column_names else None
        if enum is None:
            continue
        written = pd.Series(pd.unique(frame[header].dropna().astype(str).str.strip()))
        written = written[written != ""].head(VALUES_LOOKED_AT)
        read = canonical_values(enum, written)
        unknown = written[~read.isin(reference.vocabulary(enum))]
        if len(unknown):
            out.setdefault(enum, []).extend(v for v in unknown if v not in out.get(enum, []))
    return out


def render(draft: Draft, folder: Path) -> str:
    """The draft as a mapping file (YAML with comments; TODO lines are comments)."""
    lines = [
        f"# Draft mapping for {folder.name}, written by `jenjang data map --init` on "
        f"{dt.date.today().isoformat()}.",
        "# Check each line, fill the TODO lines (uncomment them), then:",
        f"#   jenjang data ingest {folder} --mapping THIS_FILE --extracted-on YYYY-MM-DD",
        "# The format is explained in docs/import.md.",
        f"layout: {json.dumps(folder.name)}",
        f"title: {json.dumps('Export ' + folder.name)}",
        "files:",
    ]
    for number, file in enumerate(draft.files, start=1):
        key = f"file_{number}"
        if file.note:
            lines.append(f"  # {file.source}: {file.note}")
            continue
        lines.append(f"  {key}:")
        lines.append(f"    file: {json.dumps(file.source.split('[')[0])}")
        if file.source.endswith("]"):  # one sheet of a workbook of several
            lines.append(f"    sheet: {json.dumps(file.source.split('[', 1)[1][:-1])}")
        if file.table is None:
            lines.append("    # TODO: which table is this file? e.g.")
            lines.append("    # tables:")
            lines.append("    #   employees:")
            lines.append(
                f"    #     nip: {json.dumps(file.unused[0]) if file.unused else 'HEADER'}"
            )
            lines.append(f"    # headers: {', '.join(file.unused)}")
            lines.append("    tables: {}")
            continue
        lines.append("    tables:")
        lines.append(f"      {file.table}:")
        for column, header in file.columns.items():
            lines.append(f"        {column}: {json.dumps(header)}")
        if not file.columns:
            lines.append("        {}")
        for column in file.missing:
            lines.append(f"        # TODO {column}: HEADER   (required; no header was recognised)")
        if file.unused:
            lines.append(f"    # headers not mapped: {', '.join(file.unused)}")
    values = _merged_values(draft)
    if values:
        lines.append("values:  # codes Jenjang cannot read yet: give each its canonical value")
        for vocabulary, written in values.items():
            allowed = ", ".join(sorted(reference.vocabulary(vocabulary))[:20])
            lines.append(f"  {vocabulary}:  # one of: {allowed}")
            for value in written:
                lines.append(f"    # TODO {json.dumps(value)}: VALUE")
    return "\n".join(lines) + "\n"


def _merged_values(draft: Draft) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for file in draft.files:
        for vocabulary, written in file.unknown_values.items():
            known = out.setdefault(vocabulary, [])
            known.extend(v for v in written if v not in known)
    return out
