"""Alembic environment: runs migrations on the engine handed over by `features.store.database`."""

from __future__ import annotations

from alembic import context

from features.store.database import create_db_engine, metadata
from features.store.settings import get_settings

config = context.config


def run_migrations() -> None:
    engine = config.attributes.get("engine") or create_db_engine(get_settings().database_url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations()
