"""The analyst's model page: each model's champion and challenger side by side, compare them
on the same cycle, promote or roll back with a reason.

Moves go through `training.promotion`, the same gate as ``jenjang models promote``: champion and
challenger are evaluated again on the challenger's held-out cycle, and the move is recorded with
who made it and why. After a move the service reloads, and the page says whether the new
champion is the one serving. Forcing a promotion past the gate stays on the command line.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from pydantic import BaseModel, Field

from service.access.accounts import Account
from service.dependencies import EngineDep, StoreDep
from service.state.model_store import MODEL_NAMES, ModelStore, ReloadBusy
from service.state.snapshot import refreshed, service_date
from service.web.rendering import message, page, page_language, require
from service.web.texts import texts
from training import promotion, registry
from training.promotion import PromotionRefused
from training.registry import metric_name

router = APIRouter(include_in_schema=False)

#: Roles that operate models (as the API's /models routes).
MODEL_ROLES = ("analyst", "admin")

#: What ``?ok=`` on the model page announces after a move.
AFTER_MOVE = {1: "moved", 2: "reload_busy"}


class MoveForm(BaseModel):
    """A promotion or rollback: the reason is required and recorded with the move."""

    reason: str = Field(default="", max_length=500)
    version: str = Field(default="", max_length=10, pattern=r"^[0-9]*$")


@router.get("/model")
def model_versions(request: Request, store: StoreDep, engine: EngineDep, ok: int = 0) -> Response:
    """Every model: champion and challenger side by side (metrics on their held-out cycle,
    per slice, fairness, data snapshot), the version in service, and the history of moves."""
    account = require(request, MODEL_ROLES)
    if isinstance(account, Response):
        return account
    notice = texts(page_language(request))[AFTER_MOVE[ok]] if ok in AFTER_MOVE else None
    return _models_page(request, account, store, engine, notice=notice)


def _models_page(
    request: Request,
    account: Account,
    store: ModelStore,
    engine: sa.Engine,
    notice: str | None = None,
    error: str | None = None,
    comparison: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        client = registry.configure(request.app.state.settings)
        models = [_model_view(client, engine, name) for name in MODEL_NAMES]
    except MlflowException as problem:
        return _registry_down(request, account, problem)
    return page(
        request,
        "models.html",
        status_code,
        account=account,
        models=models,
        serving={m["name"]: m for m in store.status()},
        notice=notice,
        error=error,
        comparison=comparison,
    )


def _registry_down(request: Request, account: Account, problem: MlflowException) -> Response:
    """503 naming the registry's error code only (its message may name hosts and paths)."""
    text = texts(page_language(request))["registry_down"]
    return page(
        request,
        "message.html",
        503,
        message=f"{text} ({problem.error_code})",
        kind="error",
        account=account,
    )


def _model_view(client: MlflowClient, engine: sa.Engine, name: str) -> dict[str, Any]:
    """One model's versions, champion and challenger picked out, metrics grouped for reading."""
    found = registry.versions(client, name)
    by_alias = {alias: v for v in found for alias in v["aliases"]}
    shown = [by_alias[a] for a in (registry.CHAMPION, registry.CHALLENGER) if a in by_alias]
    shown = list({v["version"]: v for v in shown}.values())  # champion may be the challenger
    names = sorted({m for v in shown for m in v["metrics"]})
    groups = {
        "overall": [m for m in names if "." not in m],
        "slices": [m for m in names if m.startswith(("family.", "agency."))],
        "fairness": [m for m in names if m.startswith("fairness.")],
        "baselines": [m for m in names if m.startswith("baseline.")],
    }
    moves = registry.history(engine, name).tail(10).iloc[::-1].astype(object)
    moves = moves.where(moves.notna(), None)  # a first move has no previous version
    return {
        "name": name,
        "versions": found,
        "shown": shown,
        "groups": groups,
        "gated": [metric_name(m) for m in promotion.kind_of(name).gated],
        "history": moves.to_dict("records"),
        "champion": by_alias.get(registry.CHAMPION, {}).get("version"),
        "challenger": by_alias.get(registry.CHALLENGER, {}).get("version"),
    }


@router.post("/model/{name}/banding")
def compare_versions(name: str, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """Evaluate champion and challenger again on the same held-out cycle, and show the gate's
    verdict (nothing moves)."""
    account = _operator(request, name)
    if isinstance(account, Response):
        return account
    try:
        result = promotion.compare(request.app.state.settings, name)
    except MlflowException as problem:
        return _registry_down(request, account, problem)
    except (LookupError, ValueError) as problem:
        return _models_page(request, account, store, engine, error=str(problem), status_code=409)
    comparison = {"name": name, **result.evidence()}
    return _models_page(request, account, store, engine, comparison=comparison)


@router.post("/model/{name}/promosi")
def promote_challenger(
    name: str,
    request: Request,
    store: StoreDep,
    engine: EngineDep,
    form: Annotated[MoveForm, Form()],
) -> Response:
    """Make the challenger champion if it passes the gate; the move and its reason are
    recorded, and the service reloads."""
    account = _operator(request, name)
    if isinstance(account, Response):
        return account
    if not form.reason.strip():
        return _needs_reason(request, account, store, engine)
    settings = request.app.state.settings
    try:
        promotion.promote(settings, name, form.reason, by=account.username)
    except MlflowException as problem:
        return _registry_down(request, account, problem)
    except PromotionRefused as refused:
        evidence = {"name": name, **refused.evidence}
        return _models_page(
            request, account, store, engine, str(refused), comparison=evidence, status_code=409
        )
    except (LookupError, ValueError) as problem:
        return _models_page(request, account, store, engine, error=str(problem), status_code=409)
    return _reloaded(request, account, store, engine, name)


@router.post("/model/{name}/kembalikan")
def roll_back(
    name: str,
    request: Request,
    store: StoreDep,
    engine: EngineDep,
    form: Annotated[MoveForm, Form()],
) -> Response:
    """Point the champion back at the previous one (or at the version given); recorded with
    its reason, then the service reloads."""
    account = _operator(request, name)
    if isinstance(account, Response):
        return account
    if not form.reason.strip():
        return _needs_reason(request, account, store, engine)
    try:
        promotion.rollback(
            request.app.state.settings,
            name,
            form.reason,
            to_version=form.version or None,
            by=account.username,
        )
    except MlflowException as problem:
        if problem.error_code != "RESOURCE_DOES_NOT_EXIST":
            return _registry_down(request, account, problem)
        error = f"{name} v{form.version}: {texts(page_language(request))['not_found']}"
        return _models_page(request, account, store, engine, error=error, status_code=409)
    except (LookupError, ValueError) as problem:
        return _models_page(request, account, store, engine, error=str(problem), status_code=409)
    return _reloaded(request, account, store, engine, name)


def _operator(request: Request, name: str) -> Account | Response:
    """The analyst or admin signed in, or the page to give instead (sign-in, 403, or 404 for
    a model the service does not know)."""
    account = require(request, MODEL_ROLES)
    if isinstance(account, Response) or name in MODEL_NAMES:
        return account
    return message(request, "not_found", 404, account)


def _needs_reason(
    request: Request, account: Account, store: ModelStore, engine: sa.Engine
) -> Response:
    error = texts(page_language(request))["move_reason"]
    return _models_page(request, account, store, engine, error=error, status_code=422)


def _reloaded(
    request: Request, account: Account, store: ModelStore, engine: sa.Engine, name: str
) -> Response:
    """Reload the service onto the new champion. A clean reload goes back to the model page
    with a notice; one where the moved model failed to load says so (its old version keeps
    serving); one that waits for a reload under way says that."""
    state = request.app.state
    try:
        snapshot = refreshed(
            state.engine,
            store.current().snapshot,
            service_date(state.settings, state.engine),
            state.settings.records_cache_folder(),
        )
        done = store.reload(snapshot)
    except ReloadBusy:
        return RedirectResponse("/model?ok=2", status.HTTP_303_SEE_OTHER)
    if name in done.failed:
        why = done.failed[name].split(":", 1)[0]  # the error's type; details in the service log
        error = f"{texts(page_language(request))['reload_failed']}: {name} ({why})"
        return _models_page(request, account, store, engine, error=error, status_code=500)
    return RedirectResponse("/model?ok=1", status.HTTP_303_SEE_OTHER)
