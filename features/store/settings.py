"""Settings of the data layer, read from the environment (prefix ``JENJANG_``) or ``.env``.

The service extends these with its own. Nothing reads them at import time: call
`get_settings()` where a value is needed, so tests can override the environment.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Jenjang keeps its data.

    ``database_url``: SQLAlchemy URL; SQLite file under ``data/`` by default, PostgreSQL in
    production (``postgresql+psycopg://user@host/db``). The models' registry adds its own
    (`training.registry.RegistrySettings`), the service its own on top.
    """

    model_config = SettingsConfigDict(env_prefix="JENJANG_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///data/jenjang.db"


@lru_cache
def get_settings() -> Settings:
    """The process's settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
