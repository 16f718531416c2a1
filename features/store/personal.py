"""Personal data, loaded apart from the feature records and only for three uses.

The legal age limit of a post (a check of eligibility, not a model input) needs the birth date;
the fairness audit needs sex and age band to measure selection rates by group; a planner deciding
a placement needs the names of the few candidates shown (within their scope). None may feed a
model, so `features.store.reads.load_records` never loads these columns and this module is the
one place that does. Nothing here is ever logged.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import sqlalchemy as sa

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
