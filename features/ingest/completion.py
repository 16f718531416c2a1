"""What real exports leave out, filled in by stated rules before validation.

SIASN and regional SIMPEG exports describe people, not Jenjang's tables. Before an export is
typed and checked, these rules fill what it does not say (each rule is in docs/import.md):

- **The post** of a position history row named by its unit and title (SIASN's ``unorId`` and
  ``namaJabatan``) is the post with that unit and title in the positions (the peta jabatan, in
  the export or already stored). A title not found there is an error naming the row.
- **The reason** of a move, when not given: the person's first post is ``pengangkatan``; a post
  of a family with a higher required competency level is ``promosi``, lower ``demosi``, else
  ``mutasi`` (heuristic: exports carry their own codes, which vary).
- **The end of a post**, when not given, is the day before the person's next post starts (the
  generator's and SIMPEG's convention); the last post has none (it is held now).
- **The same fact twice**: SIASN's data utama repeats the grade and post held now, which the
  riwayat also hold. Rows of one table with the same key whose values agree (or are missing on
  one side) become one row; rows that disagree stay, and validation names both.
- **Education**: the highest level of a riwayat pendidikan raises the data utama's, never
  lowers it.
- **An SKP year's period** is the calendar year, from the hire date in the year of hire; its
  unit, when not given, is the unit of the post held at the period's end.
- **recorded_at** (when a fact became known), when missing: the fact's own date (the TMT of a
  decree, the decision of a penalty, the end of a course, the hire), or for an SKP its period's
  end plus `skp_finalisation_lag_days`, and never later than the extraction date the user gives
  (``--extracted-on``); a row without a date of its own takes the extraction date. The
  report says how many rows of each table took the default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import sqlalchemy as sa

from features import reference
from features.ingest.checks import ProblemTuple
from features.ingest.formats import ROW, parse_dates, parse_numbers
from features.ingest.layouts import header_key
from features.ingest.sources import RawTable, canonical_values
from features.schema import TABLES

#: Tables whose rows from several files may state one fact twice (`_merge_agreeing`).
MERGED = ("employees", "position_history", "grade_history", "evaluations", "training_records")

#: The date a fact of each table is known from, when its export does not say (docstring).
OWN_DATE = {
    "employees": "hire_date",
    "position_history": "start_date",
    "grade_history": "start_date",
    "assessments": "assessed_on",
    "disciplinary_records": "decided_on",
    "training_records": "end_date",
    "credit_records": "decided_on",
    "unit_evaluations": None,
}


def complete(
    raw: dict[str, RawTable],
    stored_positions: pd.DataFrame,
    stored_hires: pd.DataFrame,
    extracted_on: dt.date | None,
) -> Iterator[ProblemTuple]:
    """Fill what `raw` leaves out (module docstring), in place; yield what cannot be filled."""
    yield from _education(raw)
    positions = _positions(raw, stored_positions)
    yield from _posts(raw, positions)
    for name in MERGED:
        _merge_agreeing(raw, name)
    _reasons(raw, positions)
    _post_ends(raw)
    _evaluation_periods(raw, positions, stored_hires)
    yield from _recorded_at(raw, extracted_on)


def stored_frames(engine: sa.Engine | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The positions (id, unit, title, family) and hire dates already in the database."""
    positions = pd.DataFrame(columns=["position_id", "unit_id", "title", "family"])
    hires = pd.DataFrame(columns=["employee_id", "hire_date"])
    if engine is None:
        return positions, hires
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        if inspector.has_table("positions"):
            query = "SELECT position_id, unit_id, title, family FROM positions"
            positions = pd.read_sql(sa.text(query), connection)
        if inspector.has_table("employees"):
            hires = pd.read_sql(sa.text("SELECT employee_id, hire_date FROM employees"), connection)
    return positions, hires


# --- education -----------------------------------------------------------------------------


def _education(raw: dict[str, RawTable]) -> Iterator[ProblemTuple]:
    history = raw.pop("education_history", None)
    if history is None or "employees" not in raw or "education" not in history.frame:
        return
    key = "employee_id" if "employee_id" in history.frame else "nip"
    employees = raw["employees"].frame
    if key not in history.frame or key not in employees:
        return
    ranks = reference.education_rank()
    levels = canonical_values("education", history.frame["education"].astype("string"))
    ranked = pd.DataFrame({key: history.frame[key], "rank": levels.map(ranks), "level": levels})
    unknown = levels.notna() & ranked["rank"].isna()
    for row, value in zip(history.frame.loc[unknown, ROW], levels[unknown], strict=True):
        source, line = history.origin(int(row))  # the table is gone before problems are placed
        yield ("warning", source, line, "education", f"{value!r} is not a level; not used")
    known = ranked.dropna()
    best = known.loc[known.groupby(key)["rank"].idxmax()].set_index(key)
    if "education" not in employees:
        employees["education"] = None
    current = canonical_values("education", employees["education"].astype("string")).map(ranks)
    higher = employees[key].map(best["rank"])
    raise_to = higher.notna() & (current.isna() | (higher > current))
    employees.loc[raise_to, "education"] = employees.loc[raise_to, key].map(best["level"])


# --- posts and reasons ----------------------------------------------------------------------


def _positions(raw: dict[str, RawTable], stored: pd.DataFrame) -> pd.DataFrame:
    """Every post known: the export's and the stored ones (the export's win)."""
    frames = [stored[["position_id", "unit_id", "title", "family"]]]
    if "positions" in raw:
        frame = raw["positions"].frame
        frames.append(
            frame[[c for c in ("position_id", "unit_id", "title", "family") if c in frame]]
        )
    positions = pd.concat(frames, ignore_index=True).drop_duplicates("position_id", keep="last")
    positions["post_key"] = _post_key(positions["unit_id"], positions["title"])
    return positions


def _post_key(units: pd.Series, titles: pd.Series) -> pd.Series:
    unit = units.astype("string").str.strip().str.lower()
    title = titles.map(header_key)
    return unit + "|" + title


def _posts(raw: dict[str, RawTable], positions: pd.DataFrame) -> Iterator[ProblemTuple]:
    """Position history rows named by unit and title get the post's id."""
    table = raw.get("position_history")
    if table is None or "post_title" not in table.frame:
        return
    frame = table.frame
    if "post_unit" not in frame:
        yield (
            "error",
            table.source,
            None,
            "post_unit",
            "the post is named by its title, but no column gives its unit (unor_id, unorId)",
        )
        table.frame = frame.drop(columns="post_title")
        return
    named = frame["post_title"].notna() & (
        frame["position_id"].isna() if "position_id" in frame else True
    )
    keys = _post_key(frame["post_unit"], frame["post_title"])
    found = keys.map(positions.drop_duplicates("post_key").set_index("post_key")["position_id"])
    if "position_id" not in frame:
        frame["position_id"] = None
    frame.loc[named, "position_id"] = found[named]
    missing = named & found.isna()
    for row, unit, title in zip(
        frame.loc[missing, ROW],
        frame.loc[missing, "post_unit"],
        frame.loc[missing, "post_title"],
        strict=True,
    ):
        yield (
            "error",
            table.source,
            int(row),
            "post_title",
            f"no post {title!r} in unit {unit!r} among the positions (peta jabatan); "
            "add it to the positions file",
        )
    table.frame = frame.drop(columns=["post_unit", "post_title"])


def _person(frame: pd.DataFrame) -> pd.Series | None:
    """Who each row is about (employee_id, else the NIP; None when the file names no one)."""
    for column in ("employee_id", "nip"):
        if column in frame:
            return frame[column]
    return None


def _reasons(raw: dict[str, RawTable], positions: pd.DataFrame) -> None:
    """The reason of each move without one (module docstring)."""
    table = raw.get("position_history")
    if table is None or _person(table.frame) is None or "start_date" not in table.frame:
        return  # validation names the missing column
    frame = table.frame
    if "reason" not in frame:
        frame["reason"] = None
    missing = frame["reason"].isna()
    if not missing.any() or "position_id" not in frame:
        return
    levels = reference.load("position_families").set_index("family")["required_level"]
    level = frame["position_id"].map(positions.set_index("position_id")["family"]).map(levels)
    start = parse_dates(frame["start_date"])
    order = pd.DataFrame({"who": _person(frame), "start": start, "level": level.astype(float)})
    order = order.sort_values(["who", "start"])
    before = order.groupby("who")["level"].shift()
    first = order.groupby("who").cumcount() == 0
    reason = pd.Series("mutasi", index=order.index, dtype=object)
    reason[before.notna() & (order["level"] > before)] = "promosi"
    reason[before.notna() & (order["level"] < before)] = "demosi"
    reason[first] = "pengangkatan"
    frame.loc[missing, "reason"] = reason.reindex(frame.index)[missing]


def _post_ends(raw: dict[str, RawTable]) -> None:
    """Posts of a layout without an end end the day before the person's next post."""
    table = raw.get("position_history")
    if table is None or not table.via_layout or _person(table.frame) is None:
        return
    frame = table.frame
    if "start_date" not in frame:
        return
    if "end_date" not in frame:
        frame["end_date"] = None
    start = parse_dates(frame["start_date"])
    order = pd.DataFrame({"who": _person(frame), "start": start}).sort_values(["who", "start"])
    following = order.groupby("who")["start"].shift(-1).reindex(frame.index)
    missing = frame["end_date"].isna() & following.notna()
    day_before = (following - pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d")
    frame.loc[missing, "end_date"] = day_before[missing]


def _merge_agreeing(raw: dict[str, RawTable], name: str) -> None:
    """Rows with one key whose values agree become one; disagreeing rows stay for validation.

    Values are compared as validation will read them (``III/a`` = ``31``, ``01-03-2015`` =
    ``2015-03-01``; a value it cannot read stays as written, so it never "agrees" away). The
    merged row keeps, per column, where its value came from (`RawTable.cell_origins`), so a
    problem in it names the file and row the value was read from. Rows whose key is not
    complete are left as they are."""
    table = raw.get(name)
    person = None if table is None else _person(table.frame)
    if table is None or table.origins is None or person is None:
        return
    frame = table.frame
    key = [str(person.name), *TABLES[name].key[1:]]
    if not set(key) <= set(frame.columns):
        return
    read = pd.DataFrame({str(c): _comparable(name, str(c), frame[c]) for c in frame if c != ROW})
    repeated = read[key].notna().all(axis=1) & read.duplicated(key, keep=False)
    if not repeated.any():
        return
    sub = read[repeated]
    groups = sub.groupby(key, sort=False).ngroup()
    values = [c for c in read.columns if c not in key]
    agree = (sub[values].groupby(groups).nunique() <= 1).all(axis=1)
    merging = sub.index[groups.map(agree).to_numpy(dtype=bool)]
    if not len(merging):
        return
    group = groups[merging]
    kept = frame.loc[merging, values].where(read.loc[merging, values].notna())
    filled = kept.groupby(group).first()  # each column's first value in the group
    rows = frame.loc[merging, ROW]
    sources = pd.DataFrame({c: rows.where(kept[c].notna()) for c in values}).groupby(group).first()
    firsts = frame.loc[merging].groupby(group).head(1)
    merged = firsts.set_index(group[firsts.index])
    merged[values] = filled
    for column in values:
        came = sources[column].reindex(merged.index)
        moved = came.notna() & (came != merged[ROW])
        for at, origin in zip(merged.loc[moved, ROW], came[moved], strict=True):
            table.cell_origins[(int(at), column)] = int(origin)
    table.frame = pd.concat([frame.drop(index=merging), merged], ignore_index=True)


def _comparable(table: str, column: str, values: pd.Series) -> pd.Series:
    """`values` as validation will read them, as text (None where empty)."""
    spec = TABLES[table]
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    if column not in spec.column_names:
        return text.str.lower()
    dtype = spec.column(column).dtype
    if dtype in ("date", "datetime"):
        read = parse_dates(text).dt.strftime("%Y-%m-%d").astype("string")
    elif dtype in ("int", "float"):
        read = parse_numbers(text).astype("string")
    else:
        enum = spec.column(column).enum
        return canonical_values(enum, text) if enum else text
    return read.fillna(text)  # what cannot be read stays as written


# --- SKP periods ----------------------------------------------------------------------------


def _evaluation_periods(
    raw: dict[str, RawTable], positions: pd.DataFrame, stored_hires: pd.DataFrame
) -> None:
    table = raw.get("evaluations")
    if table is None or table.origins is None or "employee_id" not in table.frame:
        return
    frame = table.frame
    if not {"period_start", "period_end"} <= set(frame.columns):
        return
    hires = stored_hires.set_index("employee_id")["hire_date"]
    if "employees" in raw and "employee_id" in raw["employees"].frame:
        export = raw["employees"].frame.set_index("employee_id")["hire_date"]
        hires = pd.concat([hires, export[~export.index.duplicated()]])
    hire = parse_dates(frame["employee_id"].map(hires[~hires.index.duplicated(keep="last")]))
    start = parse_dates(frame["period_start"])
    later = hire.notna() & start.notna() & (hire > start) & (hire.dt.year == start.dt.year)
    frame.loc[later, "period_start"] = hire[later].dt.strftime("%Y-%m-%d")
    history = raw.get("position_history")
    if "unit_id" in frame and frame["unit_id"].notna().all() or history is None:
        return
    if not {"employee_id", "position_id", "start_date"} <= set(history.frame.columns):
        return
    held = history.frame[["employee_id", "position_id", "start_date"]].dropna()
    held = held.assign(
        start=parse_dates(held["start_date"]),
        unit=held["position_id"].map(positions.set_index("position_id")["unit_id"]),
    )
    held = held.dropna(subset=["start"]).sort_values("start")
    ends = frame.assign(end=parse_dates(frame["period_end"]))[["employee_id", "end"]]
    ends = ends.reset_index().dropna().sort_values("end")
    found = pd.merge_asof(
        ends, held, left_on="end", right_on="start", by="employee_id", direction="backward"
    ).set_index("index")["unit"]
    if "unit_id" not in frame:
        frame["unit_id"] = None
    missing = frame["unit_id"].isna()
    frame.loc[missing, "unit_id"] = found.reindex(frame.index)[missing]


# --- recorded_at ----------------------------------------------------------------------------


def _recorded_at(raw: dict[str, RawTable], extracted_on: dt.date | None) -> Iterator[ProblemTuple]:
    lag = pd.Timedelta(days=int(reference.constant("skp_finalisation_lag_days")))
    for name, table in raw.items():
        if name not in TABLES or "recorded_at" not in TABLES[name].column_names:
            continue
        frame = table.frame
        if "recorded_at" not in frame:
            frame["recorded_at"] = None
        missing = frame["recorded_at"].isna() | (
            frame["recorded_at"].astype("string").str.strip() == ""
        )
        if not missing.any():
            continue
        if extracted_on is None:
            yield (
                "error",
                table.source,
                None,
                "recorded_at",
                f"{int(missing.sum()):,} rows do not say when they were recorded; give the "
                "export's extraction date (--extracted-on YYYY-MM-DD) to date them by the rule "
                "in docs/import.md",
            )
            continue
        cap = pd.Timestamp(extracted_on)
        if name == "evaluations":
            own = parse_dates(frame["period_end"]) + lag
            rule = f"its period's end + {lag.days} days"
        elif OWN_DATE.get(name) and OWN_DATE[name] in frame:
            own = parse_dates(frame[OWN_DATE[name]])
            rule = f"its {OWN_DATE[name]}"
        else:
            own = pd.Series(pd.NaT, index=frame.index)
            rule = "the extraction date"
        when = own.where(own.notna() & (own < cap), cap)
        frame.loc[missing, "recorded_at"] = when[missing].dt.strftime("%Y-%m-%d")
        yield (
            "warning",
            table.source,
            None,
            "recorded_at",
            f"{int(missing.sum()):,} rows without recorded_at took {rule} "
            f"(at the latest the extraction date, {cap.date().isoformat()})",
        )
