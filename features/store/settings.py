"""Settings of the data layer, read from the environment (prefix ``JENJANG_``) or ``.env``.

The service extends these with its own. Nothing reads them at import time: call
`get_settings()` where a value is needed, so tests can override the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Jenjang keeps its data.

    ``database_url``: SQLAlchemy URL; SQLite file under ``data/`` by default, PostgreSQL in
    production (``postgresql+psycopg://user@host/db``). ``records_cache``: where the tables
    of each data snapshot are kept after the first read (`features.store.reads.load_records`).
    The models' registry adds its own
    (`training.registry.RegistrySettings`), the service its own on top.
    """

    model_config = SettingsConfigDict(env_prefix="JENJANG_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///data/jenjang.db"
    #: Folder where the typed tables of each data snapshot are kept once read (empty: off).
    records_cache: str = "data/cache"
    #: Export files larger than this (MB) are refused before they are read: split them.
    max_file_mb: float = 100.0

    def records_cache_folder(self) -> Path | None:
        return Path(self.records_cache) if self.records_cache.strip() else None


@lru_cache
def get_settings() -> Settings:
    """The process's settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
