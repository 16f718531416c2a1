"""The models in service: what is loaded (analysts and admins), and reload to the champion."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel

from service.accounts import Account
from service.models import MODEL_NAMES
from service.schemas import Problem
from service.security import require_roles
from service.snapshot import NotFound, refreshed
from training import registry

router = APIRouter(prefix="/models", tags=["models"])

ModelOperator = Annotated[Account, Depends(require_roles("analyst", "admin"))]


class ModelInService(BaseModel):
    name: str
    loaded: bool
    version: str | None
    source: str | None  # "registry", or "cache" when the registry was unreachable
    loaded_at: str | None
    error: str | None


class ReloadAnswer(BaseModel):
    reloaded: list[str]
    failed: dict[str, str]  # name → why; the old version keeps serving
    models: list[ModelInService]


@router.get("")
def models_in_service(request: Request, account: ModelOperator) -> list[ModelInService]:
    """Each model: the version in service, where it came from, the last error."""
    return [ModelInService(**m) for m in request.app.state.models.status()]  # type: ignore[arg-type]


@router.post("/reload")
def reload_models(request: Request, account: ModelOperator) -> ReloadAnswer:
    """Swap every model to its current champion (and the data to the database's current
    state, if new records were ingested); a model that fails to load keeps its old version in
    service, and the answer says why. Requests keep being answered during the reload."""
    state = request.app.state
    newer = refreshed(state.engine, state.snapshot)
    if newer is not None:  # new records were ingested: answer from them from now on
        state.snapshot = newer
    store = state.models
    reloaded, failed = [], {}
    for name in store.names:
        if store.reload_one(name):
            reloaded.append(name)
        else:
            failed[name] = store.errors.get(name, "unknown error")
    return ReloadAnswer(
        reloaded=reloaded,
        failed=failed,
        models=[ModelInService(**m) for m in store.status()],  # type: ignore[arg-type]
    )


class RegisteredVersion(BaseModel):
    version: str
    aliases: list[str]  # "champion", "challenger"
    created: dt.datetime
    test_year: str | None
    metrics: dict[str, float]


@router.get("/{name}/versions", responses={404: {"model": Problem}, 503: {"model": Problem}})
def registered_versions(
    name: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")],
    request: Request,
    account: ModelOperator,
) -> list[RegisteredVersion]:
    """Every registered version of a model: which is champion or challenger, and its metrics
    on its held-out cycle."""
    if name not in MODEL_NAMES:
        raise NotFound(f"no model {name!r}; models: {', '.join(MODEL_NAMES)}")
    client = registry.configure(request.app.state.settings)
    return [RegisteredVersion(**v) for v in registry.versions(client, name)]
