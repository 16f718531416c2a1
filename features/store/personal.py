"""Protected attributes, loaded apart from the feature records and only for two uses.

The legal age limit of a post (a check of eligibility, not a model input) needs the birth date;
the fairness audit needs sex and age band to measure selection rates by group. Neither may feed
a model, so `features.store.reads.load_records` never loads these columns and this module is the
one place that does. Nothing here is ever logged.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa


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
