"""What every request and answer passes through, outside the app's routes and error handlers
(pure ASGI, so nothing here reads more than it must):

- `BodyLimit`: a request body over ``max_body_bytes`` is refused with 413 before anything parses
  it: at once when its Content-Length says so, else as soon as the bytes streamed in (a chunked
  body has no Content-Length) pass the cap. A route that is reading it when the cap is passed
  gets `BodyTooLarge`, an HTTP 413 FastAPI lets through to the app's handlers.
- `FiniteJson`: a JSON body holding ``NaN``, ``Infinity`` or ``-Infinity`` (which Python's
  parser accepts, and RFC 8259 does not) is refused with 422 in FastAPI's validation shape, so
  no route, model or error handler ever sees a non-finite number.
- `SecurityHeaders`: a Content-Security-Policy, X-Frame-Options, Referrer-Policy and
  X-Content-Type-Options on every answer, errors included. An answer that sets one of them
  keeps its own: /docs and /redoc send the policy Swagger UI and ReDoc need
  (`service.api.docs`).

`protect(app, max_body_bytes)` wraps the whole app in them, outside Starlette's
ServerErrorMiddleware, so an unexpected error's 500 carries the headers too.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The policy of the pages and the API: everything from the service itself (one stylesheet, no
#: script, charts as inline SVG, whose attributes are no CSS), no frames, forms to itself only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "x-frame-options": "DENY",
    # same-origin, not no-referrer: the language switch goes back to the page it was on
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}


class BodyTooLarge(HTTPException):
    """The body passed the cap while a route was reading it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


def too_large(limit: int) -> str:
    return f"request body larger than {limit} bytes"


def protect(app: FastAPI, max_body_bytes: int) -> None:
    """Wrap `app`'s whole middleware stack (built on its first request) in the guards."""
    build = app.build_middleware_stack

    def build_guarded() -> ASGIApp:
        return SecurityHeaders(BodyLimit(FiniteJson(build()), max_body_bytes))

    app.build_middleware_stack = build_guarded  # type: ignore[method-assign]


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:  # read outside a route (by `FiniteJson`): nobody answered yet
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = JSONResponse({"detail": too_large(self.limit)}, 413, {"connection": "close"})
        await answer(scope, receive, send)


class FiniteJson:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_be_json(Headers(scope=scope)):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        constant = _non_finite(body)
        if constant is not None:
            problem = {
                "type": "json_invalid",
                "loc": ["body"],
                "msg": f"{constant} is not a JSON number: JSON numbers are finite (RFC 8259)",
                "input": constant,
            }
            await JSONResponse({"detail": [problem]}, 422)(scope, receive, send)
            return
        replay = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([replay], receive), send)


def _may_be_json(headers: Headers) -> bool:
    """Whether FastAPI could parse this request's body as JSON: a JSON media type, or none."""
    if "content-length" not in headers and "transfer-encoding" not in headers:
        return False  # no body
    kind = headers.get("content-type")
    if kind is None:
        return True
    media = kind.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class _NonFinite(Exception):
    pass


def _refuse_constant(constant: str) -> object:
    raise _NonFinite(constant)


def _non_finite(body: bytes) -> str | None:
    """The first NaN or ±Infinity in a JSON body; None when there is none, or when the body is
    no JSON at all (FastAPI says so itself)."""
    try:
        json.loads(body, parse_constant=_refuse_constant)
    except _NonFinite as found:
        return str(found.args[0])
    except ValueError:  # not JSON, or not UTF-8: FastAPI's own 422 or 400
        return None
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives `messages` first, then whatever the client sends next."""
    queued = list(messages)

    async def replayed() -> Message:
        return queued.pop(0) if queued else await receive()

    return replayed


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CSP)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, secured)
