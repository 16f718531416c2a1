"""Every error is JSON with a clear message (a page, on the web pages' paths), never a stack
trace.

Domain errors map to their status: a record that does not exist, or is outside the caller's
scope, is 404; input a model refuses is 422 (the message names the field); a model that is not
loaded, or a database that cannot be reached (`_database_down`), is 503. Anything unexpected is
500 with a reference, the request's id, that every log line of the request carries (the log has
the traceback; the caller gets only the reference). A validation error's 422 is written whatever
input it echoes (`validation_problem`); bodies over the cap and non-finite JSON numbers are
refused before any route, by `service.access.guards`.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from service.state.model_store import ModelUnavailable, ReloadBusy
from service.state.serving import BadRequest
from service.state.snapshot import NotFound
from training.contract import UnknownEmployee

log = logging.getLogger(__name__)


#: Paths whose errors are JSON: the API and the machine endpoints. Elsewhere are the pages,
#: whose errors are pages too (when the app is given a `PageError`).
JSON_PATHS = (
    "/api/",
    "/static/",
    "/health",
    "/ready",
    "/metrics",
    "/docs",
    "/redoc",
    "/openapi.json",
)

#: Renders an error as a page: the request, the status, and a reference ("" when none).
PageError = Callable[[Request, int, str], Response]


def add_error_handlers(app: FastAPI, page_error: PageError | None = None) -> None:
    app.add_exception_handler(NotFound, _status(status.HTTP_404_NOT_FOUND, page_error))
    app.add_exception_handler(UnknownEmployee, _status(status.HTTP_404_NOT_FOUND, page_error))
    app.add_exception_handler(BadRequest, _refused)
    app.add_exception_handler(
        ModelUnavailable, _status(status.HTTP_503_SERVICE_UNAVAILABLE, page_error)
    )
    app.add_exception_handler(ReloadBusy, _status(status.HTTP_409_CONFLICT, page_error))
    app.add_exception_handler(sa.exc.DBAPIError, _database_down(page_error))
    app.add_exception_handler(sa.exc.TimeoutError, _database_down(page_error))
    app.add_exception_handler(Exception, _unexpected(page_error))


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PATHS)


def _status(code: int, page_error: PageError | None):  # type: ignore[no-untyped-def]
    async def handler(request: Request, error: Exception) -> Response:
        if page_error is not None and is_page(request):
            return page_error(request, code, "")
        return JSONResponse({"detail": str(error.args[0]) if error.args else ""}, code)

    return handler


async def _refused(request: Request, error: Exception) -> JSONResponse:
    """422 in the shape of FastAPI's validation errors: a list of {loc, msg, type}."""
    loc = list(getattr(error, "loc", ("query",)))
    problem = {"type": "value_error", "loc": loc, "msg": str(error), "input": None}
    return JSONResponse({"detail": [problem]}, status.HTTP_422_UNPROCESSABLE_CONTENT)


def validation_problem(error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 (a list of {type, loc, msg, input}), written so that it cannot fail: a
    non-finite number in the input it echoes is written as its JSON-less name ("NaN"), and
    anything else that cannot be written leaves the input out."""
    try:
        detail = _finite(jsonable_encoder(error.errors()))
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)
    except Exception:  # noqa: BLE001 - the 422 must be written whatever the input held
        log.warning("a validation error's input could not be written; left out")
    problems = [
        {
            "type": str(problem.get("type", "value_error")),
            "loc": [str(part) for part in problem.get("loc", ())],
            "msg": str(problem.get("msg", "")),
        }
        for problem in error.errors()
    ]
    return JSONResponse({"detail": problems}, status.HTTP_422_UNPROCESSABLE_CONTENT)


def _finite(value: Any) -> Any:
    """`value` (JSON-able) with NaN and ±infinity written as the names JSON has not got."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _unexpected(page_error: PageError | None):  # type: ignore[no-untyped-def]
    async def handler(request: Request, error: Exception) -> Response:
        # the request's id (`service.observability`): every log line of the request has it
        reference = correlation_id.get() or uuid.uuid4().hex[:12]
        route = getattr(request.scope.get("route"), "path", "?")
        # the traceback (no local values) may go to the log: the models' records hold no
        # personal column (features.asof.records); names reach only a planner's answer, from
        # text that cannot fail validation (service.api.people); a person's own export
        # (service.access.personal_export) reads their record whole, but its code raises no
        # message quoting a value; and a failed statement's message leaves its parameters out
        # (features.store.database.create_db_engine)
        log.error(
            "unexpected %s on %s %s (reference %s)",
            type(error).__name__,
            request.method,
            route,
            reference,
            exc_info=error,
        )
        if page_error is not None and is_page(request):
            return page_error(request, status.HTTP_500_INTERNAL_SERVER_ERROR, reference)
        return JSONResponse(
            {"detail": f"internal error; reference {reference}"},
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    return handler


#: How long a client is told to wait (Retry-After) before asking again while the database is
#: unreachable.
RETRY_AFTER_SECONDS = 5


def _database_down(page_error: PageError | None):  # type: ignore[no-untyped-def]
    """A database that cannot be reached (stopped, restarting, its connections cut, its pool
    exhausted) is a 503 the client may retry, not a 500: the service itself is fine and
    answers again by itself once the database is back (the pool tests each connection before
    use: `features.store.database.create_db_engine`). Any other database error is unexpected.
    The log names the route and the driver's error type only: a statement's parameters can
    hold a username."""
    unexpected = _unexpected(page_error)

    async def handler(request: Request, error: Exception) -> Response:
        if not _unreachable(error):
            return await unexpected(request, error)
        route = getattr(request.scope.get("route"), "path", "?")
        cause = type(getattr(error, "orig", None) or error).__name__
        log.warning("database unavailable on %s %s: %s", request.method, route, cause)
        if page_error is not None and is_page(request):
            answer = page_error(request, status.HTTP_503_SERVICE_UNAVAILABLE, "")
        else:
            detail = "the database is unavailable; try again shortly"
            answer = JSONResponse({"detail": detail}, status.HTTP_503_SERVICE_UNAVAILABLE)
        answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return answer

    return handler


def _unreachable(error: Exception) -> bool:
    """Whether a database error means "not reachable now" rather than a mistake."""
    if isinstance(error, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa.exc.InterfaceError):
        return True
    if isinstance(error, sa.exc.OperationalError):
        # SQLite calls a mistake in SQL "operational" too: of it, only a busy database passes
        return type(error.orig).__module__ != "sqlite3" or "locked" in str(error.orig)
    return False
