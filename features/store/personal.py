"""Personal data, loaded apart from the feature records and only for four uses.

The legal age limit of a post (a check of eligibility, not a model input) needs the birth date;
the fairness audit needs sex and age band to measure selection rates by group; a planner deciding
a placement needs the names of the few candidates shown (within their scope); and a person has
the right to a copy of everything held on them (UU 27/2022), NIP and name included
(`load_person`). None may feed a model, so `features.store.reads.load_records` never loads these
columns and this module is the one place that does. Nothing here is ever logged.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd
import sqlalchemy as sa

from features.schema import TABLES
from features.store.database import metadata


def load_protected(engine: sa.Engine) -> pd.DataFrame:
    """Sex and birth date per employee (index employee_id): for fairness audits."""
    query = sa.text("SELECT employee_id, sex, birth_date FROM employees")
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    return frame.set_index("employee_id")


def load_birth_dates(engine: sa.Engine) -> pd.Series:
    """Birth date per employee (index employee_id): for the legal age limit of eligibility."""
    query = sa.text("SELECT employee_id, birth_date FROM employees")
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    return pd.to_datetime(frame.set_index("employee_id")["birth_date"])


def load_names(engine: sa.Engine, employee_ids: Collection[str]) -> dict[str, str]:
    """The names of the given people (employee id → name; an unknown id is left out): read
    per answer for the few people a planner is shown, so names are never held with the
    records or handed to a model."""
    if not employee_ids:
        return {}
    employees = metadata.tables["employees"]
    query = sa.select(employees.c.employee_id, employees.c.name).where(
        employees.c.employee_id.in_(list(employee_ids))
    )
    with engine.connect() as connection:
        return {str(person): str(name) for person, name in connection.execute(query)}


def load_person(engine: sa.Engine, employee_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every canonical record of one person, table by table (rows as plain dicts, in key
    order): the employee row with its personal columns, and each history of theirs, the levels
    of their assessments included. Empty lists for a table with nothing of theirs; no
    ``employees`` row means no such person."""
    held = [spec for spec in TABLES.values() if "employee_id" in spec.column_names]
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for spec in held:
            table = metadata.tables[spec.name]
            query = sa.select(table).where(table.c.employee_id == employee_id)
            query = query.order_by(*(table.c[column] for column in spec.key))
            found[spec.name] = [dict(row._mapping) for row in connection.execute(query)]
        levels = metadata.tables["assessment_levels"]
        assessed = [row["assessment_id"] for row in found.get("assessments", [])]
        query = sa.select(levels).where(levels.c.assessment_id.in_(assessed))
        query = query.order_by(levels.c.assessment_id, levels.c.competency_code)
        found["assessment_levels"] = [dict(row._mapping) for row in connection.execute(query)]
    return found
