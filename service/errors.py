"""Every error is JSON with a clear message (a page, on the web pages' paths), never a stack
trace.

Domain errors map to their status: a record that does not exist, or is outside the caller's
scope, is 404; input a model refuses is 422 (the message names the field); a model that is not
loaded is 503. Anything unexpected is 500 with a reference the log also carries (the log has the
traceback; the caller gets only the reference).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, Response

from service.state.model_store import ModelUnavailable, ReloadBusy
from service.state.serving import BadRequest
from service.state.snapshot import NotFound
from training.contract import UnknownEmployee

log = logging.getLogger(__name__)


#: Paths whose errors are JSON: the API and the machine endpoints. Elsewhere are the pages,
#: whose errors are pages too (when the app is given a `PageError`).
JSON_PATHS = ("/api/", "/static/", "/health", "/ready", "/docs", "/redoc", "/openapi.json")

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


def _unexpected(page_error: PageError | None):  # type: ignore[no-untyped-def]
    async def handler(request: Request, error: Exception) -> Response:
        reference = uuid.uuid4().hex[:12]
        route = getattr(request.scope.get("route"), "path", "?")
        # the service never loads NIPs or birth dates into anything a message could quote
        # (features.asof.records leaves personal columns out), and names only into a planner's
        # answer, from text that cannot fail validation (service.api.people), so the traceback
        # (no local values) may go to the log
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
