"""The analyst's pages: model versions side by side, promote and roll back with a reason, and
each agency's training needs.

Promotion goes through `training.promotion`, the same gate as ``jenjang models promote``:
champion and challenger are evaluated again on the challenger's held-out cycle, and the move is
recorded with who made it and why. After a move the service reloads, so the next answer comes
from the new champion. Forcing a promotion past the gate stays on the command line.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from mlflow.exceptions import MlflowException
from pydantic import BaseModel, Field

from service import charts
from service.accounts import Account
from service.dependencies import EngineDep, SnapshotDep, StoreDep
from service.models import MODEL_NAMES, ReloadBusy
from service.pages.common import message, page, page_language, signed_in
from service.scopes import check_agency
from service.snapshot import NotFound, refreshed, service_date
from service.texts import texts
from training import promotion, registry
from training.pipeline import PromotionRefused, metric_name

router = APIRouter(include_in_schema=False)

#: Roles that operate models (as the API's /models routes).
MODEL_ROLES = ("analyst", "admin")


class MoveForm(BaseModel):
    """A promotion or rollback: the reason is required and recorded with the move."""

    reason: str = Field(default="", max_length=500)
    version: str = Field(default="", max_length=10, pattern=r"^[0-9]*$")


@router.get("/model")
def model_versions(request: Request, store: StoreDep, engine: EngineDep, ok: str = "") -> Response:
    """Every model: champion and challenger side by side (metrics on their held-out cycle,
    per slice, fairness, data snapshot), the version in service, and the history of moves."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if account.role not in MODEL_ROLES:
        return message(request, "forbidden", 403, account)
    notice = texts(page_language(request))["moved"] if ok else None
    return _models_page(request, account, store, engine, notice=notice)


def _models_page(
    request: Request,
    account: Account,
    store: StoreDep,
    engine: EngineDep,
    notice: str | None = None,
    error: str | None = None,
    comparison: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        client = registry.configure(request.app.state.settings)
        models = [_model_view(client, engine, name) for name in MODEL_NAMES]
    except MlflowException as problem:
        text = texts(page_language(request))["registry_down"]
        return page(
            request,
            "message.html",
            503,
            message=f"{text} ({problem.error_code})",
            kind="error",
            account=account,
        )
    serving = {m["name"]: m for m in store.status()}
    return page(
        request,
        "models.html",
        status_code,
        account=account,
        models=models,
        serving=serving,
        notice=notice,
        error=error,
        comparison=comparison,
    )


def _model_view(client: Any, engine: Any, name: str) -> dict[str, Any]:
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
    }
    moves = registry.history(engine, name).tail(10).iloc[::-1].astype(object)
    moves = moves.where(moves.notna(), None)  # a first move has no previous version
    return {
        "name": name,
        "versions": found,
        "shown": shown,
        "groups": groups,
        "history": moves.to_dict("records"),
        "gated": [metric_name(m) for m in promotion.kind_of(name).gated],
        "champion": by_alias.get(registry.CHAMPION, {}).get("version"),
        "challenger": by_alias.get(registry.CHALLENGER, {}).get("version"),
    }


@router.post("/model/{name}/banding")
def compare_versions(name: str, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """Evaluate champion and challenger again on the same held-out cycle, and show the gate's
    verdict (nothing moves)."""
    account = _operator(request)
    if isinstance(account, Response):
        return account
    if name not in MODEL_NAMES:
        return message(request, "not_found", 404, account)
    try:
        result = promotion.compare(request.app.state.settings, name)
    except (LookupError, ValueError) as problem:
        return _models_page(request, account, store, engine, error=str(problem), status_code=409)
    return _models_page(
        request, account, store, engine, comparison={"name": name, **result.evidence()}
    )


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
    account = _operator(request)
    if isinstance(account, Response):
        return account
    if name not in MODEL_NAMES:
        return message(request, "not_found", 404, account)
    if not form.reason.strip():
        return _needs_reason(request, account, store, engine)
    settings = request.app.state.settings
    try:
        promotion.promote(settings, name, form.reason, by=account.username)
    except PromotionRefused as refused:
        evidence = {"name": name, **refused.evidence}
        return _models_page(
            request,
            account,
            store,
            engine,
            error=str(refused),
            comparison=evidence,
            status_code=409,
        )
    except (LookupError, ValueError) as problem:
        return _models_page(request, account, store, engine, error=str(problem), status_code=409)
    return _reloaded(request, store)


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
    account = _operator(request)
    if isinstance(account, Response):
        return account
    if name not in MODEL_NAMES:
        return message(request, "not_found", 404, account)
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
    except (LookupError, ValueError, MlflowException) as problem:
        text = str(problem) if not isinstance(problem, MlflowException) else problem.message
        return _models_page(request, account, store, engine, error=text, status_code=409)
    return _reloaded(request, store)


def _needs_reason(
    request: Request, account: Account, store: StoreDep, engine: EngineDep
) -> Response:
    error = texts(page_language(request))["move_reason"]
    return _models_page(request, account, store, engine, error=error, status_code=422)


def _operator(request: Request) -> Account | Response:
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    if account.role not in MODEL_ROLES:
        return message(request, "forbidden", 403, account)
    return account


def _reloaded(request: Request, store: StoreDep) -> Response:
    """Reload the service onto the new champion, then show the models page."""
    state = request.app.state
    try:
        snapshot = refreshed(state.engine, store.current().snapshot, service_date(state.settings))
        store.reload(snapshot)
    except ReloadBusy:
        pass  # a reload under way picks up the new champion when it loads the registry
    return RedirectResponse("/model?ok=1", status.HTTP_303_SEE_OTHER)


@router.get("/kebutuhan/{agency_id}")
def training_needs(agency_id: str, request: Request, snapshot: SnapshotDep) -> Response:
    """An agency's training needs for next year: the gaps most of its people share, the
    courses that close them and their JP, and who is below the 20 JP right (aggregates)."""
    account = signed_in(request)
    if account is None:
        return RedirectResponse("/masuk", status.HTTP_303_SEE_OTHER)
    try:
        check_agency(account, snapshot, agency_id, individuals=False)
        needs = snapshot.training_needs(agency_id)
    except NotFound:
        return message(request, "not_found", 404, account)
    except HTTPException:
        return message(request, "forbidden", 403, account)
    return page(
        request,
        "needs.html",
        account=account,
        agency=snapshot.agencies.loc[agency_id],
        needs=needs,
        share_bars=[charts.progress(g.share * 100, 100) for g in needs.gaps],
        data_snapshot=snapshot.snapshot_id,
        as_of=snapshot.as_of.date(),
    )
