"""The models in service: what is loaded (analysts and admins), and reload to the champion."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from mlflow.exceptions import MlflowException
from pydantic import BaseModel

from service.access.accounts import Account
from service.access.security import require_roles
from service.api.schemas import Problem
from service.dependencies import StoreDep
from service.state.model_store import MODEL_NAMES, ModelUnavailable
from service.state.snapshot import NotFound, refreshed, service_date
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
    #: How the last reload of this model went: "loaded", "unchanged", or "failed" (the version
    #: shown still serves); None before any reload.
    last_reload: str | None = None


class ReloadAnswer(BaseModel):
    reloaded: list[str]
    failed: dict[str, str]  # name → why; the old version keeps serving
    data_refreshed: bool  # the answers now come from newly ingested records (or a new day)
    models: list[ModelInService]


@router.get("")
def models_in_service(store: StoreDep, account: ModelOperator) -> list[ModelInService]:
    """Each model: the version in service, where it came from, the last error."""
    return [ModelInService(**m) for m in store.status(detailed=True)]  # type: ignore[arg-type]


@router.post("/reload", responses={409: {"model": Problem, "description": "Reload under way."}})
def reload_models(request: Request, store: StoreDep, account: ModelOperator) -> ReloadAnswer:
    """Swap the models to their current champions, and the data to the database's current
    state when new records were ingested (or the day changed). The new models are loaded and
    warmed up beside the ones serving and swapped in with their data in one step: requests keep
    being answered meanwhile. A model that fails to load keeps its old version in service, and
    the answer says why; new data waits until every model loads on it. One reload at a time
    (409 otherwise); with several worker processes, each reloads on its own request."""
    state = request.app.state
    snapshot = refreshed(
        state.engine,
        store.current().snapshot,
        service_date(state.settings, state.engine),
        state.settings.records_cache_folder(),
    )
    done = store.reload(snapshot)
    return ReloadAnswer(
        reloaded=done.reloaded,
        failed=done.failed,
        data_refreshed=done.data_refreshed,
        models=[ModelInService(**m) for m in store.status(detailed=True)],  # type: ignore[arg-type]
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
    try:
        client = registry.configure(request.app.state.settings)
        found = registry.versions(client, name)
    except MlflowException as error:
        raise ModelUnavailable(f"the model registry did not answer: {error.error_code}") from None
    return [RegisteredVersion(**v) for v in found]
