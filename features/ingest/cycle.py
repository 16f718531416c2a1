"""Ingesting a new evaluation cycle, with a report of what it added, changed and rejected.

A cycle arrives as a whole export (the HR system's tables as of its extraction date), so
most of its rows are already in the database. The ingest is the same transactional upsert
as `jenjang data ingest` (`features.ingest.upsert`); what a cycle adds is the accounting an analyst
needs before retraining:

- per table, the rows added, split by the year of their facts: of the cycle itself, late
  records of earlier years, or records of later years (a quarterly SKP of the next year);
- the rows changed, and which columns changed (placements that ended, people who left);
- with `reject_bad_rows`, the rows left out and why: their own errors, or a reference to a
  row left out elsewhere. By default a bad export is refused whole, the safer choice; leaving
  rows out is an explicit decision, and is refused too when a whole file is wrong or a table
  would lose too many rows (`MAX_OWN_ERROR_SHARE`, `MAX_LOST_SHARE`).

The cycle is the year of the export's newest annual SKP evaluations: an export without the
cycle's annual evaluations, or with later ones, is refused before anything is written, and so
is an older cycle after a newer one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from features.ingest.sources import stated_extraction_date
from features.ingest.upsert import IngestRejected, IngestResult, UpsertPlan, load_report
from features.ingest.validation import Problem, ValidationReport, validate_folder
from features.schema import Table
from features.store.database import migrate

#: Rows a table may lose to their own errors before the export is refused whole, and rows it
#: may lose in all (with those referring to rejected rows elsewhere). Heuristics: a larger
#: loss means a broken export, better sent back than half loaded.
MAX_OWN_ERROR_SHARE = 0.01
MAX_LOST_SHARE = 0.05


def fact_column(spec: Table) -> str | None:
    """The column dating a table's facts, read from the schema: its `year` when it has one
    (SKP ratings), else the date the record is of (`recorded_after`), else the start of its
    period. None for tables whose rows have no date of their own (units, standards)."""
    if "year" in spec.column_names:
        return "year"
    return spec.recorded_after or (spec.period[0] if spec.period else None)


class CycleRefused(ValueError):
    """The export does not fit the cycle named (wrong year, older than the database), or
    would lose too many rows."""


@dataclass
class Rejection:
    """The rows left out of a cycle: each with its problems, and which came from the first
    validation (the row's own errors) rather than from a row rejected elsewhere."""

    problems: list[Problem] = field(default_factory=list)
    own: dict[str, set[int]] = field(default_factory=dict)  # source → rows
    knock_on: dict[str, set[int]] = field(default_factory=dict)

    def rows(self, source: str) -> int:
        return len(self.own.get(source, set()) | self.knock_on.get(source, set()))

    def leave_out(self) -> dict[str, set[int]]:
        sources = set(self.own) | set(self.knock_on)
        return {s: self.own.get(s, set()) | self.knock_on.get(s, set()) for s in sources}

    def add(self, problems: list[Problem], first_pass: bool) -> bool:
        """Add a validation pass's row errors (file-level ones, without a row, cannot be left
        out: the caller refuses those); False when none of them is a new row."""
        known = self.leave_out()
        target = self.own if first_pass else self.knock_on
        added = False
        for problem in problems:
            if problem.row is not None and problem.row not in known.get(problem.source, set()):
                target.setdefault(problem.source, set()).add(problem.row)
                self.problems.append(problem)
                added = True
        return added


@dataclass
class CycleReport:
    """What a cycle's ingest did, table by table."""

    year: int
    result: IngestResult
    added_by_year: dict[str, dict[str, int]] = field(default_factory=dict)
    rejection: Rejection = field(default_factory=Rejection)

    @property
    def rejected(self) -> list[Problem]:
        return self.rejection.problems

    def to_frame(self) -> pd.DataFrame:
        """One row per table: added (of the cycle, earlier years, later years; missing for
        tables whose rows have no date of their own), changed and which columns, unchanged,
        rejected."""
        sources = self.result.report.sources
        rows = []
        for name, counts in self.result.counts.items():
            years = self.added_by_year.get(name)
            rows.append(
                {
                    "table": name,
                    "added": counts.inserted,
                    f"of {self.year}": years["cycle"] if years else pd.NA,
                    "earlier years": years["earlier"] if years else pd.NA,
                    "later years": years["later"] if years else pd.NA,
                    "changed": counts.updated,
                    "changed columns": ", ".join(
                        f"{c} {n:,}" for c, n in counts.changed_columns.items()
                    ),
                    "unchanged": counts.unchanged,
                    "rejected": self.rejection.rows(sources.get(name, "")),
                }
            )
        return pd.DataFrame(rows).astype(
            {f"of {self.year}": "Int64", "earlier years": "Int64", "later years": "Int64"}
        )

    def rejected_frame(self) -> pd.DataFrame:
        """Every problem of the rows left out (for a CSV)."""
        return ValidationReport(problems=list(self.rejected)).to_frame()


def ingest_cycle(
    folder: Path,
    engine: sa.Engine,
    year: int,
    extracted_on: dt.date | None = None,
    reject_bad_rows: bool = False,
    mapping: Path | None = None,
) -> CycleReport:
    """Validate and load the export of cycle `year` in one transaction (see module doc).

    `extracted_on` is the export's date: facts dated after it are errors (default today), and
    rows that do not say when they were recorded are dated up to it. `mapping` is a mapping
    file for an export Jenjang does not know (`features.ingest.layouts`).
    """
    migrate(engine)  # the schema only: validation checks references against stored rows
    try:
        report, rejection = _validated(folder, engine, extracted_on, reject_bad_rows, mapping)
    except IngestRejected as rejected:
        if "evaluations" in rejected.report.tables:
            # A wrong --year explains every "in the future" below it: say that first.
            _check_export_year(rejected.report, year)
        raise
    _check_export_year(report, year)
    added: dict[str, dict[str, int]] = {}

    def count_years(plan: UpsertPlan) -> None:
        column = fact_column(plan.spec)
        if column is not None:
            added[plan.spec.name] = _by_year(plan.new[column], year)

    lost = {name: rejection.rows(source) for name, source in report.sources.items()}
    result = load_report(
        report,
        engine,
        source=f"cycle {year}: {folder}",
        inspect=count_years,
        check=lambda connection: _check_no_later_cycle(connection, year),
        rejected={name: n for name, n in lost.items() if n},
        extracted_on=extracted_on or stated_extraction_date(folder),
    )
    return CycleReport(year, result, added, rejection)


def _validated(
    folder: Path,
    engine: sa.Engine,
    today: dt.date | None,
    reject_bad_rows: bool,
    mapping: Path | None = None,
) -> tuple[ValidationReport, Rejection]:
    """The export validated, without its bad rows when rejecting them is allowed. Rows that
    refer to a rejected row fail the next validation and are left out in turn, until a pass
    finds nothing new."""
    rejection = Rejection()
    first = True
    while True:
        report = validate_folder(
            folder,
            engine=engine,
            today=today,
            leave_out=rejection.leave_out(),
            mapping=mapping,
            extracted_on=today,
        )
        if report.ok:
            _check_losses(report, rejection)
            return report, rejection
        if not reject_bad_rows or any(p.row is None for p in report.errors):
            raise IngestRejected(report)
        if not rejection.add(report.errors, first):
            raise IngestRejected(report)  # errors in rows that cannot be left out
        first = False


def _check_losses(report: ValidationReport, rejection: Rejection) -> None:
    """Refuse the export when a table would lose too many rows (see the module doc)."""
    for name, source in report.sources.items():
        kept = len(report.tables.get(name, ()))
        own = len(rejection.own.get(source, ()))
        lost = rejection.rows(source)
        total = lost + kept
        if own > MAX_OWN_ERROR_SHARE * total or lost > MAX_LOST_SHARE * total:
            raise CycleRefused(
                f"{source}: {own:,} of {total:,} rows have errors of their own and "
                f"{lost - own:,} more refer to rows rejected elsewhere; more than "
                f"{MAX_OWN_ERROR_SHARE:.0%} (own errors) or {MAX_LOST_SHARE:.0%} (in all) "
                "would be lost, so the export looks broken (run `jenjang data validate` on it "
                "to see every problem)"
            )


def annual_years(evaluations: pd.DataFrame | None) -> set[int]:
    """The years of the annual SKP evaluations: quarterly rows do not make a cycle."""
    if evaluations is None or evaluations.empty:
        return set()
    annual = evaluations[evaluations["period"] == "annual"]
    return set(annual["year"].dropna().astype(int))


def _check_export_year(report: ValidationReport, year: int) -> None:
    """The export holds cycle `year`'s annual SKP evaluations and none later."""
    years = annual_years(report.tables.get("evaluations"))
    source = report.sources.get("evaluations", "the export")
    if year not in years:
        latest = f"the latest are of {max(years)}" if years else "there are none"
        raise CycleRefused(
            f"{source}: no annual SKP evaluations of {year} ({latest}); "
            "is this the export of that cycle?"
        )
    if max(years) > year:
        raise CycleRefused(
            f"{source}: holds annual evaluations of {max(years)}, later than the cycle "
            f"{year}; ingest it as the cycle {max(years)}"
        )


def _check_no_later_cycle(connection: sa.Connection, year: int) -> None:
    stored = connection.execute(
        sa.text("SELECT max(year) FROM evaluations WHERE period = 'annual'")
    ).scalar()
    if stored is not None and int(stored) > year:
        raise CycleRefused(
            f"the database already holds the cycle {int(stored)}; an older cycle ({year}) "
            "cannot be ingested after it (load corrections with `jenjang data ingest`)"
        )


def _by_year(values: pd.Series, year: int) -> dict[str, int]:
    """New rows counted by the year of their facts against the cycle's year (rows without a
    date count as earlier: a fact with no date is not news of this cycle)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        years = values.dt.year
    else:
        years = pd.to_numeric(values, errors="coerce")
    later = int((years > year).sum())
    cycle = int((years == year).sum())
    return {"cycle": cycle, "earlier": len(values) - cycle - later, "later": later}
