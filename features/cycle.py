"""Ingesting a new evaluation cycle, with a report of what it added, changed and rejected.

A cycle arrives as a whole export (the HR system's tables as of its extraction date), so
most of its rows are already in the database. The ingest is the same transactional upsert
as `jenjang data ingest` (`features.ingest`); what a cycle adds is the accounting an analyst
needs before retraining:

- per table, the rows added, split by the year of their facts: of the cycle itself, late
  records of earlier years, or early records of the next year;
- the rows changed, and which columns changed (placements that ended, people who left);
- with `reject_bad_rows`, the rows left out and why. By default a bad export is refused
  whole, the safer choice; leaving rows out is an explicit decision, and is refused too when
  a table would lose more than `MAX_REJECTED_SHARE` of its rows or a whole file is wrong.

The export must hold the cycle's SKP evaluations, and none later: a mislabelled export is
refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from features.database import migrate
from features.ingest import IngestRejected, IngestResult, UpsertPlan, load_report
from features.validation import Problem, ValidationReport, validate_folder

#: The column giving the year of each table's facts (a date, or the year itself).
FACT_COLUMN = {
    "employees": "hire_date",
    "position_history": "start_date",
    "grade_history": "start_date",
    "assessments": "assessed_on",
    "evaluations": "year",
    "unit_evaluations": "year",
    "disciplinary_records": "decided_on",
    "training_records": "start_date",
}
#: Rows a table may lose to rejection before the export is refused whole. Heuristic: a
#: larger loss means a broken export, better sent back than half loaded.
MAX_REJECTED_SHARE = 0.01
MAX_PASSES = 5  # a rejected employee can orphan rows of other tables: validate again


class CycleRefused(ValueError):
    """The export does not fit the cycle named (wrong year, older than the database)."""


@dataclass
class CycleReport:
    """What a cycle's ingest did, table by table."""

    year: int
    result: IngestResult
    added_by_year: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected: list[Problem] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per table: added (of the cycle, earlier, next year; "—" for tables whose
        rows have no date of their own), changed and which columns, unchanged, rejected."""
        sources = self.result.report.sources
        rows = []
        for name, counts in self.result.counts.items():
            years = self.added_by_year.get(name)
            dated = years is not None
            years = years or {}
            source = sources.get(name, "")
            rejected_rows = {p.row for p in self.rejected if p.source == source}
            rows.append(
                {
                    "table": name,
                    "added": counts.inserted,
                    f"of {self.year}": years.get("cycle", 0) if dated else "—",
                    "earlier years": years.get("earlier", 0) if dated else "—",
                    "next year": years.get("later", 0) if dated else "—",
                    "changed": counts.updated,
                    "changed columns": ", ".join(
                        f"{c} {n:,}" for c, n in counts.changed_columns.items()
                    ),
                    "unchanged": counts.unchanged,
                    "rejected": len(rejected_rows),
                }
            )
        return pd.DataFrame(rows)

    def rejected_frame(self) -> pd.DataFrame:
        """Every problem of the rows left out (for a CSV)."""
        return ValidationReport(problems=list(self.rejected)).to_frame()


def ingest_cycle(
    folder: Path,
    engine: sa.Engine,
    year: int,
    extracted_on: dt.date | None = None,
    reject_bad_rows: bool = False,
) -> CycleReport:
    """Validate and load the export of cycle `year` in one transaction (see module doc).

    `extracted_on` is the export's date: facts dated after it are errors (default today).
    """
    migrate(engine)
    report, rejected = _validated(folder, engine, extracted_on, reject_bad_rows)
    _check_cycle(report, engine, year)
    added: dict[str, dict[str, int]] = {}

    def count_years(plan: UpsertPlan) -> None:
        column = FACT_COLUMN.get(plan.spec.name)
        if column is not None:
            added[plan.spec.name] = _by_year(plan.new[column], year)

    result = load_report(report, engine, source=f"cycle {year}: {folder}", inspect=count_years)
    return CycleReport(year, result, added, rejected)


def _validated(
    folder: Path, engine: sa.Engine, today: dt.date | None, reject_bad_rows: bool
) -> tuple[ValidationReport, list[Problem]]:
    """The export validated, without its bad rows when rejecting them is allowed."""
    leave_out: dict[str, set[int]] = {}
    rejected: list[Problem] = []
    for _ in range(MAX_PASSES):
        report = validate_folder(folder, engine=engine, today=today, leave_out=leave_out)
        if report.ok:
            _check_rejected_share(report, leave_out)
            return report, rejected
        if not reject_bad_rows or any(p.row is None for p in report.errors):
            raise IngestRejected(report)
        for problem in report.errors:
            leave_out.setdefault(problem.source, set()).add(int(problem.row or 0))
            rejected.append(problem)
    raise IngestRejected(report)


def _check_rejected_share(report: ValidationReport, leave_out: dict[str, set[int]]) -> None:
    for name, source in report.sources.items():
        lost = len(leave_out.get(source, ()))
        kept = len(report.tables.get(name, ()))
        if lost and lost > MAX_REJECTED_SHARE * (lost + kept):
            raise CycleRefused(
                f"{source}: {lost:,} of {lost + kept:,} rows have errors, more than "
                f"{MAX_REJECTED_SHARE:.0%}; the export looks broken and nothing was written "
                "(run `jenjang data validate` on it to see every problem)"
            )


def _check_cycle(report: ValidationReport, engine: sa.Engine, year: int) -> None:
    """The export holds cycle `year`'s SKP evaluations and none later; the database holds
    no later cycle."""
    evaluations = report.tables.get("evaluations")
    years = set() if evaluations is None else set(evaluations["year"].dropna().astype(int))
    source = report.sources.get("evaluations", "the export")
    if year not in years:
        latest = max(years) if years else None
        raise CycleRefused(
            f"{source}: no SKP evaluations of {year}"
            + (f" (the latest are of {latest})" if latest is not None else " (none at all)")
            + "; is this the export of that cycle?"
        )
    if max(years) > year:
        raise CycleRefused(
            f"{source}: holds evaluations of {max(years)}, later than the cycle {year}; "
            f"ingest it as the cycle {max(years)}"
        )
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT max(year) FROM evaluations")).scalar()
    if stored is not None and int(stored) > year:
        raise CycleRefused(
            f"the database already holds the cycle {int(stored)}; an older cycle ({year}) "
            "cannot be ingested after it (load corrections with `jenjang data ingest`)"
        )


def _by_year(values: pd.Series, year: int) -> dict[str, int]:
    """New rows counted by the year of their facts against the cycle's year."""
    if pd.api.types.is_datetime64_any_dtype(values):
        years = values.dt.year
    else:
        years = pd.to_numeric(values, errors="coerce")
    return {
        "cycle": int((years == year).sum()),
        "earlier": int((years < year).sum()),
        "later": int((years > year).sum()),
    }
