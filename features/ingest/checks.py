"""Checks across rows and tables of an export (the third validation layer).

Each check reads the typed canonical tables of one export (and, for references, what the
database already holds) and yields problems as ``(severity, source, row, column, message)``.
Two checks also tidy the tables they check: exact duplicate rows are kept once, and training
records without a catalogue id get one when their free-text title matches the catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from features import reference
from features.ingest.nip import nip_problems, tmt_differs
from features.ingest.sources import ROW
from features.reference.course_titles import match_titles
from features.schema import TABLES

ProblemTuple = tuple[str, str, int | None, str | None, str]
EXAMPLES = 5


@dataclass
class Context:
    """The export being checked and where to look up rows stored earlier."""

    tables: dict[str, pd.DataFrame]
    sources: dict[str, str]
    engine: sa.Engine | None
    today: dt.date
    unreadable: set[str] = field(default_factory=set)
    _stored: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = field(default_factory=dict)

    def stored(self, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
        """Distinct `columns` of `table` already in the database (empty without one)."""
        key = (table, columns)
        if key not in self._stored:
            frame = pd.DataFrame(columns=list(columns))
            if self.engine is not None and sa.inspect(self.engine).has_table(table):
                query = sa.text(f"SELECT DISTINCT {', '.join(columns)} FROM {table}")
                with self.engine.connect() as connection:
                    frame = pd.read_sql(query, connection)
            self._stored[key] = frame
        return self._stored[key]

    def known(self, table: str, column: str) -> set[object]:
        """Values of `table.column` in this export or in the database."""
        values = set(self.stored(table, (column,))[column])
        if table in self.tables:
            values |= set(self.tables[table][column].dropna())
        return values


def summarised(
    severity: str, source: str, column: str | None, message: str, rows: pd.Series
) -> ProblemTuple:
    """One problem standing for many rows, with a few example row numbers."""
    shown = ", ".join(str(int(r)) for r in rows.head(EXAMPLES))
    return (severity, source, None, column, f"{message} ({len(rows)} rows, e.g. rows {shown})")


def duplicate_keys(ctx: Context) -> Iterator[ProblemTuple]:
    """Rows repeating a natural key: exact repeats are kept once, conflicts are errors."""
    for name, frame in list(ctx.tables.items()):
        key = list(TABLES[name].key)
        if frame[key].isna().any(axis=None):
            continue  # missing key parts are reported by the column checks
        values = [c for c in frame.columns if c != ROW]
        exact = frame.duplicated(values, keep="first")
        if exact.any():
            yield summarised(
                "warning",
                ctx.sources[name],
                None,
                "row repeats an earlier row exactly; kept once",
                frame.loc[exact, ROW],
            )
            frame = frame.loc[~exact].reset_index(drop=True)
            ctx.tables[name] = frame
        clash = frame.duplicated(key, keep=False)
        if clash.any():
            first = frame.loc[clash].groupby(key, sort=False)[ROW].transform("min")
            for row, earliest in zip(frame.loc[clash, ROW], first, strict=True):
                if row != earliest:
                    yield (
                        "error",
                        ctx.sources[name],
                        int(row),
                        ", ".join(key),
                        f"same key as row {int(earliest)} but different values",
                    )


def references(ctx: Context) -> Iterator[ProblemTuple]:
    """Every reference points at a row of this export or of the database."""
    for name, frame in ctx.tables.items():
        for fk in TABLES[name].foreign_keys:
            if fk.ref_table in ctx.unreadable:
                continue  # that table's own error says why; do not repeat it per row
            values = frame[fk.column]
            present = values.notna()
            if not present.any():
                continue
            known = ctx.known(fk.ref_table, fk.ref_column)
            missing = present & ~values.isin(known)
            for row, value in zip(frame.loc[missing, ROW], values[missing], strict=True):
                yield (
                    "error",
                    ctx.sources[name],
                    int(row),
                    fk.column,
                    f"{value!r} is not a known {fk.ref_table}.{fk.ref_column}",
                )


def employee_identity(ctx: Context) -> Iterator[ProblemTuple]:
    """NIP format and consistency with birth date and sex; one NIP per employee."""
    if "employees" not in ctx.tables:
        return
    frame = ctx.tables["employees"]
    source = ctx.sources["employees"]
    for row, message in nip_problems(frame):
        yield ("error", source, row, "nip", message)
    odd_tmt = tmt_differs(frame)
    if odd_tmt.any():
        yield summarised(
            "warning",
            source,
            "nip",
            "TMT in the NIP differs from hire_date",
            frame.loc[odd_tmt, ROW],
        )
    stored = ctx.stored("employees", ("employee_id", "nip"))
    if not stored.empty:
        merged = frame[[ROW, "employee_id", "nip"]].merge(stored, on="nip", suffixes=("", "_db"))
        clash = merged[merged["employee_id"] != merged["employee_id_db"]]
        for row in clash[ROW]:
            yield ("error", source, int(row), "nip", "this NIP is stored for another employee")


def future_dates(ctx: Context) -> Iterator[ProblemTuple]:
    """No date lies after today (facts are recorded, not predicted), except a planned end."""
    limit = pd.Timestamp(ctx.today) + pd.Timedelta(days=1)
    for name, frame in ctx.tables.items():
        spec = TABLES[name]
        planned_end = spec.period[1] if spec.period else None
        for column in spec.columns:
            if column.dtype not in ("date", "datetime") or column.name == planned_end:
                continue  # a penalty or a post may be set to end after today
            late = frame[column.name] >= limit
            for row, value in zip(frame.loc[late, ROW], frame.loc[late, column.name], strict=True):
                yield (
                    "error",
                    ctx.sources[name],
                    int(row),
                    column.name,
                    f"{'the date' if column.personal else f'{value:%Y-%m-%d}'} is in the future",
                )


def periods(ctx: Context) -> Iterator[ProblemTuple]:
    """A period ends after it starts; a fact is not recorded before it could be known."""
    for name, frame in ctx.tables.items():
        spec = TABLES[name]
        if spec.period is None:
            continue
        start, end = spec.period
        if end is not None and end != start:
            wrong = frame[end] < frame[start]
            for row in frame.loc[wrong, ROW]:
                yield ("error", ctx.sources[name], int(row), end, f"ends before its {start}")
        if spec.recorded_after is not None:
            early = frame["recorded_at"] < frame[spec.recorded_after]
            for row in frame.loc[early, ROW]:
                yield (
                    "error",
                    ctx.sources[name],
                    int(row),
                    "recorded_at",
                    f"recorded before {spec.recorded_after}: the fact was not known yet",
                )


#: Facts about an employee that must fall within their employment: (date column, severity
#: before the hire). Training and assessments before the TMT are only warnings: PPPK often were
#: honorer staff trained or tested before their appointment. Anything after the exit date is a
#: warning (a late data-entry error more often than a real event).
WITHIN_EMPLOYMENT = {
    "position_history": ("start_date", "error"),
    "grade_history": ("start_date", "error"),
    "disciplinary_records": ("decided_on", "error"),
    "training_records": ("start_date", "warning"),
    "assessments": ("assessed_on", "warning"),
}


def facts_within_employment(ctx: Context) -> Iterator[ProblemTuple]:
    """Nothing about an employee predates the hire or follows the exit."""
    if "employees" in ctx.unreadable:
        return
    people = ctx.stored("employees", ("employee_id", "hire_date", "exit_date"))
    if "employees" in ctx.tables:
        people = pd.concat([people, ctx.tables["employees"][list(people.columns)]])
    people = people.drop_duplicates("employee_id", keep="last").set_index("employee_id")
    hired, left = pd.to_datetime(people["hire_date"]), pd.to_datetime(people["exit_date"])
    if "evaluations" in ctx.tables:
        frame = ctx.tables["evaluations"]
        before = frame["year"] < frame["employee_id"].map(hired.dt.year)
        for row, year in zip(frame.loc[before, ROW], frame.loc[before, "year"], strict=True):
            yield (
                "error",
                ctx.sources["evaluations"],
                int(row),
                "year",
                f"evaluation for {year}, before the employee was hired",
            )
    for name, (column, severity) in WITHIN_EMPLOYMENT.items():
        if name not in ctx.tables:
            continue
        frame, source = ctx.tables[name], ctx.sources[name]
        early = frame[column] < _dates_of(frame["employee_id"], hired)
        message = f"{column} is before the employee's hire_date (TMT)"
        if severity == "warning" and early.any():
            yield summarised("warning", source, column, message, frame.loc[early, ROW])
        elif severity == "error":
            for row in frame.loc[early, ROW]:
                yield ("error", source, int(row), column, message)
        late = frame[column] > _dates_of(frame["employee_id"], left)
        if late.any():
            yield summarised(
                "warning",
                source,
                column,
                f"{column} is after the employee's exit_date",
                frame.loc[late, ROW],
            )


def _dates_of(ids: pd.Series, dates: pd.Series) -> pd.Series:
    """Each id's date (NaT when unknown, also when no employee is known at all)."""
    found = dates.astype("datetime64[ns]").reindex(ids.to_numpy())
    return pd.Series(found.to_numpy(), index=ids.index)


def evaluation_schemes(ctx: Context) -> Iterator[ProblemTuple]:
    """Each SKP scheme has its required parts; inconsistent ratings are reported, kept."""
    if "evaluations" not in ctx.tables:
        return
    frame = ctx.tables["evaluations"]
    source = ctx.sources["evaluations"]
    numeric = frame["scheme"] == "numeric_2011"
    matrix = frame["scheme"] == "predikat_2022"
    for row in frame.loc[numeric & frame["score"].isna(), ROW]:
        yield ("error", source, int(row), "score", "the numeric SKP scheme needs a score")
    needs_parts = matrix & (frame["work_result"].isna() | frame["work_behaviour"].isna())
    for row in frame.loc[needs_parts, ROW]:
        yield (
            "error",
            source,
            int(row),
            "work_result",
            "the 2022 scheme needs work_result and work_behaviour",
        )
    expected = expected_ratings(frame)
    mismatch = expected.notna() & frame["rating"].notna() & (expected != frame["rating"])
    if mismatch.any():
        yield summarised(
            "warning",
            source,
            "rating",
            "rating does not follow from the score or the predikat matrix; kept as recorded",
            frame.loc[mismatch, ROW],
        )
    first = int(reference.constant("skp_predikat_scheme_first_year"))
    odd = (numeric & (frame["year"] >= first)) | (matrix & (frame["year"] < first))
    if odd.any():
        yield summarised(
            "warning",
            source,
            "scheme",
            f"scheme does not match the year (predikat scheme from {first})",
            frame.loc[odd, ROW],
        )


def expected_ratings(frame: pd.DataFrame) -> pd.Series:
    """The rating each evaluation's own score or hasil × perilaku implies (PP 46/2011, 6/2022)."""
    bands = reference.load("ratings").query("scheme == 'numeric_2011'")
    edges = sorted(float(v) for v in bands["score_min"])
    labels = list(bands.assign(m=bands["score_min"].astype(float)).sort_values("m")["rating"])
    from_score = pd.cut(
        frame["score"].astype(float), bins=[*edges, float("inf")], labels=labels, right=False
    ).astype(object)
    matrix = reference.load("predikat_matrix").set_index(["work_result", "work_behaviour"])[
        "rating"
    ]
    pairs = pd.MultiIndex.from_arrays([frame["work_result"], frame["work_behaviour"]])
    from_matrix = pd.Series(matrix.reindex(pairs).to_numpy(), index=frame.index)
    expected = pd.Series(from_score.to_numpy(), index=frame.index).where(
        frame["scheme"] == "numeric_2011", from_matrix
    )
    return expected.where(expected.notna(), None)


def training_titles(ctx: Context) -> Iterator[ProblemTuple]:
    """Fill missing course ids from the catalogue by title; report titles that match nothing."""
    if "training_records" not in ctx.tables:
        return
    frame = ctx.tables["training_records"]
    # The catalogue is in the export, in the database, or seeded by validate_folder.
    if "courses" in ctx.tables:
        catalogue = ctx.tables["courses"][["course_id", "title_id"]]
    else:
        catalogue = ctx.stored("courses", ("course_id", "title_id"))
    missing = frame["course_id"].isna()
    if not missing.any():
        return
    matched = match_titles(frame.loc[missing, "title"], catalogue)
    frame.loc[missing, "course_id"] = matched
    unmatched = missing & frame["course_id"].isna()
    if unmatched.any():
        yield summarised(
            "warning",
            ctx.sources["training_records"],
            "title",
            "title matches no catalogue course; course_id left empty",
            frame.loc[unmatched, ROW],
        )


CHECKS: tuple[Callable[[Context], Iterator[ProblemTuple]], ...] = (
    duplicate_keys,
    references,
    employee_identity,
    future_dates,
    periods,
    facts_within_employment,
    evaluation_schemes,
    training_titles,
)


def run_all(ctx: Context) -> list[ProblemTuple]:
    """Run every check in order (duplicates first: later checks see the tidied tables)."""
    return [problem for check in CHECKS for problem in check(ctx)]
