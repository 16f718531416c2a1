"""What routes depend on, as `Annotated` aliases: the data snapshot and the models (both from
one `Serving`, so a request never mixes the state before a reload with the state after), the
database, the caller. Everything lives in `app.state` (set in the lifespan), never at module
level.

They are `async` because none of them blocks: FastAPI runs a plain `def` dependency in its thread
pool, and a request with six of them paid six hops between threads before its route began."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from service.access.audit import AuditLog
from service.state.model_store import Loaded, ModelStore, Serving
from service.state.snapshot import Snapshot
from training.contract import PLACEMENT_SUCCESS, TRAINING_RECS


async def get_store(request: Request) -> ModelStore:
    return request.app.state.models  # type: ignore[no-any-return]


async def get_serving(store: Annotated[ModelStore, Depends(get_store)]) -> Serving:
    """Read once per request (FastAPI caches a dependency within a request)."""
    return store.current()


async def get_snapshot(serving: Annotated[Serving, Depends(get_serving)]) -> Snapshot:
    return serving.snapshot


async def get_engine(request: Request) -> sa.Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def get_audit_log(request: Request) -> AuditLog:
    return request.app.state.audit_log  # type: ignore[no-any-return]


async def training_model(serving: Annotated[Serving, Depends(get_serving)]) -> Loaded:
    return serving.get(TRAINING_RECS)


async def training_model_if_any(serving: Annotated[Serving, Depends(get_serving)]) -> Loaded | None:
    """The training recommender when it serves, else None: what shows a person's levels
    (profile, career paths) takes them from it when it can and answers without it."""
    return serving.models.get(TRAINING_RECS)


async def placement_model(serving: Annotated[Serving, Depends(get_serving)]) -> Loaded:
    return serving.get(PLACEMENT_SUCCESS)


StoreDep = Annotated[ModelStore, Depends(get_store)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
EngineDep = Annotated[sa.Engine, Depends(get_engine)]
AuditDep = Annotated[AuditLog, Depends(get_audit_log)]
TrainingModelDep = Annotated[Loaded, Depends(training_model)]
LevelModelDep = Annotated[Loaded | None, Depends(training_model_if_any)]
PlacementModelDep = Annotated[Loaded, Depends(placement_model)]
