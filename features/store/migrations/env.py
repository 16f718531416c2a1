"""Alembic environment: runs migrations on the engine handed over by `features.store.database`."""

from __future__ import annotations

from alembic import context

from features.store.database import create_db_engine, metadata
from features.store.settings import get_settings

config = context.config


def run_migrations() -> None:
    engine = config.attributes.get("engine") or create_db_engine(get_settings().database_url)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # Python's sqlite3 runs DDL outside any transaction until a row is written: a
            # migration stopped half-way (an error, a kill -9 of the first ingest) would leave
            # tables without their revision, and every later run would fail on "table already
            # exists". Opened here, the whole upgrade commits or leaves nothing.
            connection.exec_driver_sql("BEGIN")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations()
