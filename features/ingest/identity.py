"""Who an export's rows are about: employee ids for exports keyed by NIP.

SIASN and SIMPEG exports name people by their NIP, not by Jenjang's internal `employee_id`.
Before typing, each table that names an employee by NIP only gets its `employee_id`: from the
export's own employees table, or from the database. Employees that are new to Jenjang get the
next free sequential id (``P0000001`` …), never an id derived from the NIP, so the id reveals
nothing about age, sex or cohort. Re-ingesting the same export finds the same ids again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
import sqlalchemy as sa

from features.ingest.sources import NIP, ROW, RawTable

NEW_ID_PREFIX = "P"
NEW_ID_DIGITS = 7


def _stored_ids(engine: sa.Engine | None) -> pd.DataFrame:
    if engine is None or not sa.inspect(engine).has_table("employees"):
        return pd.DataFrame(columns=["employee_id", NIP])
    with engine.connect() as connection:
        return pd.read_sql(sa.text("SELECT employee_id, nip FROM employees"), connection)


def _clean(nips: pd.Series) -> pd.Series:
    return nips.astype("string").str.strip().str.replace(r"\s+", "", regex=True)


def _next_numbers(taken: pd.Series) -> int:
    pattern = re.compile(rf"^{NEW_ID_PREFIX}(\d{{{NEW_ID_DIGITS}}})$")
    numbers = [int(m.group(1)) for m in map(pattern.match, taken.astype(str)) if m]
    return max(numbers, default=0) + 1


def resolve_employee_ids(
    raw: dict[str, RawTable], engine: sa.Engine | None
) -> Iterator[tuple[str, str, int | None, str | None, str]]:
    """Fill `employee_id` from the NIP where an export has only the NIP; yield what fails."""
    stored = _stored_ids(engine)
    by_nip = dict(zip(_clean(stored[NIP]), stored["employee_id"], strict=True))
    employees = raw.get("employees")
    if employees is not None and "employee_id" not in employees.frame.columns:
        if NIP not in employees.frame.columns:
            return  # the missing-column check names employee_id
        nips = _clean(employees.frame[NIP])
        new = [n for n in pd.unique(nips.dropna()) if n not in by_nip]
        first = _next_numbers(stored["employee_id"])
        for offset, nip in enumerate(new):
            by_nip[nip] = f"{NEW_ID_PREFIX}{first + offset:0{NEW_ID_DIGITS}d}"
        employees.frame["employee_id"] = nips.map(by_nip)
    elif employees is not None and NIP in employees.frame.columns:
        by_nip.update(
            zip(_clean(employees.frame[NIP]), employees.frame["employee_id"], strict=True)
        )
    for name, table in raw.items():
        frame = table.frame
        if name == "employees" or NIP not in frame.columns:
            continue
        nips = _clean(frame[NIP])
        owner = nips.map(by_nip)
        if "employee_id" not in frame.columns:
            frame["employee_id"] = owner
            unknown = nips.notna() & owner.isna()
            for row in frame.loc[unknown, ROW]:
                yield (
                    "error",
                    table.source,
                    int(row),
                    NIP,
                    "the NIP is not a known employee (neither in this export's employees nor "
                    "stored)",
                )
            frame = frame.loc[~unknown]  # reported once here, not again as a missing id
        else:
            clash = owner.notna() & frame["employee_id"].notna() & (owner != frame["employee_id"])
            for row in frame.loc[clash, ROW]:
                yield (
                    "error",
                    table.source,
                    int(row),
                    NIP,
                    "the NIP belongs to another employee_id",
                )
        table.frame = frame.drop(columns=NIP).reset_index(drop=True)
