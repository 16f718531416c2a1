"""What routes depend on, as `Annotated` aliases: the snapshot, the models, the database, the
caller. Everything lives in `app.state` (set in the lifespan), never at module level."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from service.models import Loaded, ModelStore
from service.snapshot import Snapshot


def get_snapshot(request: Request) -> Snapshot:
    return request.app.state.snapshot  # type: ignore[no-any-return]


def get_models(request: Request) -> ModelStore:
    return request.app.state.models  # type: ignore[no-any-return]


def get_engine(request: Request) -> sa.Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def training_model(models: Annotated[ModelStore, Depends(get_models)]) -> Loaded:
    return models.get("training-recs")


def placement_model(models: Annotated[ModelStore, Depends(get_models)]) -> Loaded:
    return models.get("placement-success")


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
ModelsDep = Annotated[ModelStore, Depends(get_models)]
EngineDep = Annotated[sa.Engine, Depends(get_engine)]
TrainingModelDep = Annotated[Loaded, Depends(training_model)]
PlacementModelDep = Annotated[Loaded, Depends(placement_model)]
