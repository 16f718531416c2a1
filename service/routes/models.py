"""The models in service: what is loaded (analysts and admins), and reload to the champion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from service.accounts import Account
from service.security import require_roles

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
    """Swap every model to its current champion; a model that fails to load keeps its old
    version in service, and the answer says why."""
    store = request.app.state.models
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
