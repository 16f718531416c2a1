"""The FastAPI application factory.

`create_app(settings)` builds the app; nothing is created at import time. The lifespan checks
the settings (production needs its own secret), opens the database engine, describes the data on
the service's date (`service.state.snapshot`) and loads the champion models into `app.state`, each
handed that data and warmed up before it serves; routes reach them through dependencies. A
national deployment also opens the country's batch output (`service.state.national`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from features.store.database import create_db_engine, migrate
from service import web as pages
from service.access.audit import AuditLog
from service.access.guards import protect
from service.access.security import VerifiedTokens
from service.api.docs import add_docs
from service.api.routes import agencies, auth, employees, feedback, models, national, positions
from service.api.schemas import Problem
from service.errors import add_error_handlers
from service.observability import instrumentation, metrics
from service.settings import ServiceSettings, get_service_settings
from service.state import serving
from service.state.model_store import ModelStore
from service.state.national import National
from service.state.snapshot import build_snapshot, service_date
from service.state.watch import Watcher

log = logging.getLogger(__name__)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The Jenjang service. Raises at start when the settings cannot serve (no secret in
    production)."""
    ready = (settings or get_service_settings()).check_for_start()
    app = FastAPI(
        title="Jenjang",
        summary="Career recommendations for Indonesian civil servants (ASN): advisory, explained.",
        version="0.1.0",
        lifespan=_lifespan(ready),
        docs_url=None,  # /docs and /redoc come from local files (add_docs below), not a CDN
        redoc_url=None,
    )
    api = APIRouter(
        prefix="/api/v1",
        responses={
            401: {"model": Problem, "description": "No valid token: sign in first."},
            403: {"model": Problem, "description": "The caller's role may not do this."},
            503: {"model": Problem, "description": "A model the answer needs is not loaded."},
        },
    )
    for routes in (auth, employees, positions, agencies, feedback, models):
        api.include_router(routes.router)
    if ready.national_answers_dir or ready.national_index_dir:
        api.include_router(national.router)
    # Starlette tries routes in order: the probes first, then the API, then the pages, so
    # /health answers without matching its path against every page's pattern.
    app.include_router(service_routes)
    app.include_router(instrumentation.router)
    add_docs(app)  # before /static: its files are mounted at /static/docs
    app.include_router(api)
    app.include_router(pages.router)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    add_error_handlers(app, pages.error_message)
    app.add_exception_handler(StarletteHTTPException, pages.error_page)
    app.add_exception_handler(RequestValidationError, pages.invalid_form_page)
    protect(app, ready.max_body_bytes)  # body cap, finite JSON, security headers
    instrumentation.observe(app)  # request ids and latency histograms (/metrics is a route above)
    _document_body_errors(app)
    return app


#: What any operation that takes a body may also answer (`service.access.guards`, FastAPI).
BODY_ERRORS = {
    "400": "The body could not be decoded (not UTF-8, or a malformed form).",
    "413": "The body is larger than the service accepts (`JENJANG_MAX_BODY_BYTES`).",
}


def _document_body_errors(app: FastAPI) -> None:
    """Add `BODY_ERRORS` to every operation of the OpenAPI schema that takes a request body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema["paths"].values():
                for operation in operations.values():
                    if "requestBody" in operation:
                        for code, text in BODY_ERRORS.items():
                            operation["responses"].setdefault(code, _problem(text))
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def _problem(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _lifespan(ready: ServiceSettings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start: the database, the day's snapshot, the champions prepared on it, the audit log;
    all in `app.state`, never at module level."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics.forget_dead_workers()  # a killed worker's gauges, left in the files
        app.state.settings = ready
        app.state.tokens = VerifiedTokens(ready)
        if ready.threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = ready.threads
        app.state.engine = create_db_engine(ready.database_url)
        watcher: Watcher | None = None
        try:
            migrate(app.state.engine)
            day = service_date(ready, app.state.engine)
            snapshot = build_snapshot(app.state.engine, day, ready.records_cache_folder())
            app.state.models = ModelStore(ready, prepare=serving.prepare)
            app.state.models.start(snapshot)
            app.state.audit_log = AuditLog(app.state.engine)
            app.state.national = National.open(
                ready,
                ready.national_answers_dir,
                ready.national_index_dir,
                day.date(),
            )
            if ready.reload_poll_seconds > 0:  # every worker follows the registry and data
                watcher = Watcher(app.state, ready.reload_poll_seconds).start()
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            if getattr(app.state, "audit_log", None) is not None:
                app.state.audit_log.close()
            app.state.engine.dispose()
            metrics.forget_worker()

    return lifespan


service_routes = APIRouter(tags=["service"])


@service_routes.get("/health")
async def health() -> dict[str, str]:
    """Alive: the process answers (on the event loop: a probe needs no worker thread)."""
    return {"status": "ok"}


@service_routes.get(
    "/ready",
    responses={503: {"description": "Not ready: a model is not loaded or the database is down."}},
)
def ready_check(request: Request) -> JSONResponse:
    """Ready to serve: every model loaded (from the registry, or the local cache when the
    registry was unreachable — said here) and the database reachable."""
    state = request.app.state
    models = state.models.status(detailed=False)
    database = _database_ok(state.engine)
    ok = database is None and all(m["loaded"] for m in models)
    body = {
        "ready": ok,
        "database": "ok" if database is None else database,
        "models": models,
        "degraded": [m["name"] for m in models if m["source"] == "cache"],
    }
    return JSONResponse(body, status_code=200 if ok else 503)


def _database_ok(engine: sa.Engine) -> str | None:
    """None when a trivial query works, else what went wrong (without the URL)."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return f"unreachable: {type(error).__name__}"
    return None
