"""Puts the observation on an app: a request id on every request and answer, latency
histograms per route and status (prometheus-fastapi-instrumentator), and ``GET /metrics``.

``/metrics`` answers whoever reaches the port unless ``JENJANG_METRICS_TOKEN`` is set; then it
wants ``Authorization: Bearer <token>`` (Prometheus's ``authorization`` scrape setting), so a
service exposed beyond its scraper does not tell everyone its model versions and sign-in
failures.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_fastapi_instrumentator import metrics as http_metrics
from prometheus_fastapi_instrumentator.metrics import Info
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.types import ASGIApp

from service.observability.metrics import exposition

#: Latency buckets (seconds): precomputed answers take milliseconds, on-demand ones up to a
#: few hundred, a cold page or a model's first answer seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _http_metrics() -> tuple[Callable[[Info], None], ...]:
    """The latency histogram and request counter, registered once per process: every app
    built in it (the tests build many) records into the same two metrics."""
    made = (
        http_metrics.latency(buckets=BUCKETS, should_include_status=True),
        http_metrics.requests(),
    )
    return tuple(one for one in made if one is not None)


HTTP_METRICS = _http_metrics()


def observe(app: FastAPI) -> None:
    """Instrument `app`; call after `service.access.guards.protect`, so that the request id
    and the latency wrap everything: a refusal of the guards (413, a non-finite number's 422)
    and a 500 are counted and carry the id too. ``/metrics`` itself is `router`'s."""
    build = app.build_middleware_stack

    def build_observed() -> ASGIApp:
        timed = PrometheusInstrumentatorMiddleware(
            build(),
            should_group_status_codes=False,  # 401, 403, 404, 422 and 503 mean different things
            excluded_handlers=["^/metrics$"],
            instrumentations=list(HTTP_METRICS),
        )
        return CorrelationIdMiddleware(timed)

    app.build_middleware_stack = build_observed  # type: ignore[method-assign]


router = APIRouter(tags=["service"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "The metrics."},
        401: {"description": "JENJANG_METRICS_TOKEN is set and was not given."},
    },
)
def metrics_endpoint(request: Request) -> Response:
    """Every metric of every worker, in Prometheus's text format (`docs/operations.md`)."""
    token = request.app.state.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse({"detail": "metrics need the scrape token"}, 401)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
