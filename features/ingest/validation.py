"""Validation of an HR export against the canonical schema, before anything is written.

Three layers, each reporting every problem it finds (not just the first):

1. reading: files and columns mapped to canonical names (`features.ingest.sources`);
2. per column, with pandera: types, required values, vocabularies, ranges, NIP format,
   uniqueness (`features.ingest.checks.column_schema`);
3. across rows and tables: natural-key duplicates, references to other tables (in the same
   export or already stored), NIP consistent with birth date and sex, no date in the future,
   no evaluation for a year before hire, facts recorded before their period
   (`features.ingest.checks`).

Errors block an ingest; warnings describe real-world mess that is kept and reported (exact
duplicate rows, titles that do not match the catalogue, ratings inconsistent with their score,
a TMT in the NIP that differs from the hire date, training before the hire).
Every problem names the file, the row as the user sees it, the column and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Literal

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from features.ingest import checks
from features.ingest.completion import complete, stored_frames
from features.ingest.formats import parse_dates, parse_numbers
from features.ingest.identity import resolve_employee_ids
from features.ingest.layouts import LayoutError, load_layout
from features.ingest.messages import indonesian
from features.ingest.sources import ROW, RawTable, canonical_frame, canonical_values, read_folder
from features.schema import LOAD_ORDER, TABLES, Column, Table

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as possible."""

    severity: Severity
    source: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.source + (f":{self.row}" if self.row is not None else "")
        what = f" [{self.column}]" if self.column else ""
        return f"{self.severity}: {where}{what} {self.message}"

    @property
    def message_id(self) -> str:
        """The message in Bahasa Indonesia (`features.ingest.messages`)."""
        return indonesian(self.message)


@dataclass
class ValidationReport:
    """What validation found, and the typed canonical tables when there were no errors."""

    problems: list[Problem] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """All problems as a table (for a CSV report)."""
        columns = ["severity", "source", "row", "column", "message_id", "message"]
        rows = [{**p.__dict__, "message_id": p.message_id} for p in self.problems]
        return pd.DataFrame(rows, columns=columns)


def validate_folder(
    folder: Path,
    engine: sa.Engine | None = None,
    today: dt.date | None = None,
    leave_out: Mapping[str, set[int]] | None = None,
    mapping: Path | None = None,
    extracted_on: dt.date | None = None,
) -> ValidationReport:
    """Validate every table file in `folder`; references may point at rows in `engine`.

    Files are read as they come: canonical or Indonesian names, the SIASN layout, or the
    user's `mapping` file (`features.ingest.layouts`); what an export leaves out is filled by
    the rules of `features.ingest.completion`, `extracted_on` dating rows that do not say when
    they were recorded. `leave_out` names rows to drop before validating, by file and row as
    problems name them: a cycle ingest that rejects bad rows validates again without them.
    """
    report = ValidationReport()
    layouts = []
    if mapping is not None:
        try:
            layouts.append(load_layout(mapping))
        except LayoutError as exc:
            report.problems.append(Problem("error", mapping.name, None, None, str(exc)))
            return report
    raw, issues = read_folder(folder, layouts, leave_out)
    _add_missing_reference_tables(raw, engine)
    for issue in issues:
        report.problems.append(
            Problem(_severity(issue.severity), issue.source, issue.row, issue.column, issue.message)
        )
    for severity, source, row, column, message in resolve_employee_ids(raw, engine):
        report.problems.append(Problem(_severity(severity), source, row, column, message))
    positions, hires = stored_frames(engine)
    for severity, source, row, column, message in complete(raw, positions, hires, extracted_on):
        report.problems.append(Problem(_severity(severity), source, row, column, message))
    report = validate_tables(raw, engine=engine, today=today, report=report)
    report.problems = located(report.problems, raw)
    return report


def located(problems: list[Problem], raw: Mapping[str, RawTable]) -> list[Problem]:
    """Problems of a table stacked from several files (`RawTable.origins`) named by the file
    and row the user sees, not by the row's number in the stack."""
    stacked = {table.source: table for table in raw.values() if table.origins is not None}
    if not stacked:
        return problems
    out = []
    for problem in problems:
        table = stacked.get(problem.source)
        if table is None:
            out.append(problem)
        elif problem.row is not None:
            source, row = table.origin(problem.row, problem.column)
            message = re.sub(r"\brow (\d+)\b", partial(_one_row, table), problem.message)
            out.append(replace(problem, source=source, row=row, message=message))
        else:
            message = re.sub(r"rows ([\d, ]+)\)", partial(_many_rows, table), problem.message)
            out.append(replace(problem, message=message))
    return out


def _one_row(table: RawTable, match: re.Match[str]) -> str:
    return f"row {_row_named(table, match.group(1))}"


def _many_rows(table: RawTable, match: re.Match[str]) -> str:
    rows = ", ".join(_row_named(table, n.strip()) for n in match.group(1).split(","))
    return f"rows {rows})"


def _row_named(table: RawTable, number: str) -> str:
    source, row = table.origin(int(number))
    return f"{source}:{row}"


def _severity(value: str) -> Severity:
    return "error" if value == "error" else "warning"


def _add_missing_reference_tables(raw: dict[str, RawTable], engine: sa.Engine | None) -> None:
    """Use the shipped catalogues (competencies, courses) when neither export nor DB has them."""
    from features import reference

    for name, spec in TABLES.items():
        if not spec.reference or name in raw:
            continue
        if engine is not None and sa.inspect(engine).has_table(name):
            with engine.connect() as connection:
                if connection.execute(sa.text(f"SELECT 1 FROM {name} LIMIT 1")).first():
                    continue
        frame = reference.load(name)
        raw[name] = canonical_frame(
            name, f"reference/{name}.csv", frame.assign(**{ROW: frame.index + 2})
        )


def validate_tables(
    raw: dict[str, RawTable],
    engine: sa.Engine | None = None,
    today: dt.date | None = None,
    report: ValidationReport | None = None,
) -> ValidationReport:
    """Validate canonical tables already read (see `features.ingest.sources.read_folder`)."""
    report = report or ValidationReport()
    today = today or dt.date.today()
    typed: dict[str, pd.DataFrame] = {}
    unreadable: set[str] = set()
    for name in LOAD_ORDER:
        if name not in raw:
            continue
        table = raw[name]
        report.sources[name] = table.source
        frame = _check_table(TABLES[name], table, report)
        if frame is not None:
            typed[name] = frame
        else:
            unreadable.add(name)
    context = checks.Context(typed, report.sources, engine, today, unreadable)
    for severity, source, row, column, message in checks.run_all(context):
        report.problems.append(Problem(_severity(severity), source, row, column, message))
    report.tables = context.tables
    return report


def _check_table(spec: Table, raw: RawTable, report: ValidationReport) -> pd.DataFrame | None:
    """Type and check one table's columns; None when required columns are missing."""
    if not raw.via_layout:  # a layout's unused headers are reported once per file
        for column in raw.ignored_columns:
            report.problems.append(
                Problem("warning", raw.source, None, column, "unknown column; ignored")
            )
    missing = [c.name for c in spec.columns if c.name not in raw.frame.columns and not c.nullable]
    for column in missing:
        report.problems.append(
            Problem("error", raw.source, None, column, "required column is missing")
        )
    if missing:
        return None
    frame = raw.frame.copy()
    for spec_column in spec.columns:
        if spec_column.name not in frame.columns:
            frame[spec_column.name] = pd.NA
    frame, type_problems = coerce(spec, frame)
    report.problems.extend(Problem("error", raw.source, r, c, m) for r, c, m in type_problems)
    try:
        column_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        report.problems.extend(_pandera_problems(exc.failure_cases, frame, raw.source, spec))
    return frame


def coerce(spec: Table, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple]]:
    """Give every column its canonical type; values that cannot be read become problems."""
    problems: list[tuple] = []
    for column in spec.columns:
        original = frame[column.name]
        if column.dtype == "str":
            text = original.astype("string").str.strip()
            text = text.mask(text == "")
            if column.enum:
                text = canonical_values(column.enum, text)
            frame[column.name] = text.astype(object).where(text.notna(), None)
            continue
        parsed = _parse(column.dtype, original)
        bad = parsed.isna() & original.notna() & (original.astype("string").str.strip() != "")
        kind = {"int": "a whole number", "float": "a number", "bool": "true/false"}.get(
            column.dtype, "a date (YYYY-MM-DD, DD/MM/YYYY or 17 Agustus 2020)"
        )
        for row, value in zip(frame.loc[bad, ROW], original[bad], strict=True):
            problems.append(
                (int(row), column.name, f"cannot read {shown(column, value)} as {kind}")
            )
        frame[column.name] = parsed
    return frame, problems


def _parse(dtype: str, values: pd.Series) -> pd.Series:
    if dtype in ("date", "datetime"):
        parsed = parse_dates(values).astype("datetime64[us]")
        return parsed.dt.normalize() if dtype == "date" else parsed
    if dtype == "bool":
        mapping = {"true": True, "1": True, "ya": True, "false": False, "0": False, "tidak": False}
        return values.astype("string").str.strip().str.lower().map(mapping).astype("boolean")
    numbers = parse_numbers(values)
    if dtype == "int":
        whole = numbers.where(numbers.isna() | (numbers == numbers.round()))
        return whole.astype("Int64")
    return numbers.astype("Float64")


def column_schema(spec: Table) -> pa.DataFrameSchema:
    """The pandera schema of a canonical table (checks only; types are set by `coerce`)."""
    from features import reference

    columns = {}
    for column in spec.columns:
        rules = []
        if column.enum:
            allowed = sorted(reference.vocabulary(column.enum))
            shown = ", ".join(allowed[:12]) + (" …" if len(allowed) > 12 else "")
            rules.append(
                pa.Check.isin(allowed, error=f"not a valid {column.enum} (one of {shown})")
            )
        if column.pattern:
            rules.append(pa.Check.str_matches(column.pattern, error="must be exactly 18 digits"))
        if column.min is not None or column.max is not None:
            low = column.min if column.min is not None else float("-inf")
            high = column.max if column.max is not None else float("inf")
            rules.append(
                pa.Check.in_range(low, high, error=f"must be between {low:g} and {high:g}")
            )
        columns[column.name] = pa.Column(
            nullable=column.nullable, unique=column.unique, checks=rules, required=True
        )
    return pa.DataFrameSchema(columns, strict=False)


_PANDERA_MESSAGES = {
    "not_nullable": "a value is required",
    "field_uniqueness": "must be unique, but appears more than once",
}


def shown(column: Column, value: object) -> str:
    """A value as a problem message quotes it; personal data (NIP, name, birth date, sex) is
    never quoted, because problem reports are printed, logged and saved as files."""
    if column.personal:
        return "the value"
    return repr(value.item() if hasattr(value, "item") else value)


def _pandera_problems(
    cases: pd.DataFrame, frame: pd.DataFrame, source: str, spec: Table
) -> list[Problem]:
    problems = []
    line = dict(zip(frame.index, frame[ROW].astype(int), strict=True))
    for index, column, check, value in zip(
        cases["index"],
        cases["column"],
        cases["check"].astype(str),
        cases["failure_case"],
        strict=True,
    ):
        row = None if index is None or pd.isna(index) else line[index]
        message = _PANDERA_MESSAGES.get(check, check)
        if check not in _PANDERA_MESSAGES and value is not None and not pd.isna(value):
            quoted = shown(spec.column(str(column)), value) if column in spec.column_names else "?"
            message = (
                f"{quoted} is {message}" if message.startswith("not ") else f"{quoted} {message}"
            )
        problems.append(Problem("error", source, row, str(column), message))
    return problems
