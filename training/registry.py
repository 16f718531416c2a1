"""MLflow tracking and registry: where runs go, versions, aliases, and the history of moves.

MLflow keeps only where an alias points now; every move is also written to the
``model_alias_events`` table (who, when, from which version to which, why, and the gate's
evidence), so "which version was in service on date D" and rollbacks can be answered.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import sqlalchemy as sa
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from features.store.database import model_alias_events
from features.store.settings import Settings

CHAMPION, CHALLENGER = "champion", "challenger"
EXPERIMENT = "jenjang"


class RegistrySettings(Settings):
    """The data layer's settings plus where models are tracked and how they are promoted.

    ``tracking_uri``: MLflow tracking and registry store; a SQLite file under ``models/`` by
    default (artifacts beside it in ``models/artifacts``), a tracking server in deployment.
    ``promotion_tolerance``: how much worse (relative) a challenger may be than the champion
    on a gated metric and still be promoted.
    """

    tracking_uri: str = "sqlite:///models/mlflow.db"
    artifact_root: str = "models/artifacts"
    promotion_tolerance: float = 0.02


def get_registry_settings() -> RegistrySettings:
    """The registry's settings from the environment, read when called (the commands call it
    once; nothing is cached for a test to clear)."""
    return RegistrySettings()


def configure(settings: RegistrySettings) -> MlflowClient:
    """Point MLflow at the configured store (never at import time) and return a client."""
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    _ensure_store_folder(settings.tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        artifacts = Path(settings.artifact_root).resolve()
        artifacts.mkdir(parents=True, exist_ok=True)
        mlflow.create_experiment(EXPERIMENT, artifact_location=artifacts.as_uri())
    mlflow.set_experiment(EXPERIMENT)
    return MlflowClient()


def _ensure_store_folder(uri: str) -> None:
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    """The version an alias points at, or None (no such model or alias)."""
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


@dataclass(frozen=True)
class AliasMove:
    model_name: str
    alias: str
    version: str | None
    previous_version: str | None
    moved_by: str
    reason: str
    forced: bool = False
    evidence: dict[str, Any] | None = None


def move_alias(client: MlflowClient, engine: sa.Engine, move: AliasMove) -> None:
    """Point the alias at the version in MLflow and record the move (one unit of work)."""
    with engine.begin() as connection:
        connection.execute(
            model_alias_events.insert().values(
                model_name=move.model_name,
                alias=move.alias,
                version=move.version,
                previous_version=move.previous_version,
                moved_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                moved_by=move.moved_by,
                reason=move.reason,
                forced=move.forced,
                evidence=move.evidence,
            )
        )
        if move.version is None:
            client.delete_registered_model_alias(move.model_name, move.alias)
        else:
            client.set_registered_model_alias(move.model_name, move.alias, move.version)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def history(engine: sa.Engine, name: str) -> pd.DataFrame:
    """Every recorded alias move of a model, oldest first."""
    query = (
        sa.select(model_alias_events)
        .where(model_alias_events.c.model_name == name)
        .order_by(model_alias_events.c.moved_at, model_alias_events.c.event_id)
    )
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def version_at(
    engine: sa.Engine, name: str, when: dt.datetime, alias: str = CHAMPION
) -> str | None:
    """Which version held `alias` at `when` (None if none did)."""
    moves = history(engine, name)
    moves = moves[(moves["alias"] == alias) & (pd.to_datetime(moves["moved_at"]) <= when)]
    if moves.empty:
        return None
    version = moves.iloc[-1]["version"]
    return None if pd.isna(version) else str(version)


def versions(client: MlflowClient, name: str) -> list[dict[str, Any]]:
    """Every registered version of `name`, oldest first: its aliases, when it was registered,
    its test cycle, its run's metrics and its tags (empty when the model is not registered)."""
    found = client.search_model_versions(f"name = '{name}'")
    if not found:
        return []
    aliases = client.get_registered_model(name).aliases  # search results leave them out
    out = []
    for version in sorted(found, key=lambda v: int(v.version)):  # MLflow gives int or str
        metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
        out.append(
            {
                "version": str(version.version),
                "aliases": sorted(a for a, v in aliases.items() if str(v) == str(version.version)),
                "created": dt.datetime.fromtimestamp(version.creation_timestamp / 1000, dt.UTC),
                "test_year": version.tags.get("test_year"),
                "metrics": dict(metrics),
                "tags": dict(version.tags),  # data snapshot, training cutoff, commit
            }
        )
    return out


def metric_name(name: str) -> str:
    """MLflow metric names cannot hold '@': ndcg@10 → ndcg_at_10."""
    return name.replace("@", "_at_")
