"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc` (ReDoc), served whole by the
service: they work without internet.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and start Swagger UI with an inline
script. Here the two libraries come from the `fastapi-offline` package (its `static/` folder:
Swagger UI 5, ReDoc 2, a favicon), mounted at `ASSETS_URL`; the pages are our own, and Swagger UI
is started by `/static/api-docs.js`, so neither page needs an inline script, a CDN or a font
service (FastAPI's "self-hosting JavaScript and CSS for docs", without its inline parts). Each
page sends its own Content-Security-Policy, which allows nothing from outside the service.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the libraries' files are served; mounted before the app's `/static`.
ASSETS_URL = "/static/docs"
#: The folder `fastapi-offline` ships them in.
ASSETS = Path(str(files("fastapi_offline") / "static"))
#: The files the pages use; a test checks the package still has each.
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")

_SWAGGER = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{root}/static/api-docs.js"></script>
</body>
</html>
"""

_REDOC = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<noscript>ReDoc needs JavaScript to show the API's documentation.</noscript>
<redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
<script src="{root}/static/api-docs.js"></script>
</body>
</html>
"""


#: Each page's Content-Security-Policy: everything from the service only. ReDoc styles its
#: elements with inline <style> (styled-components) and searches in a worker made from a blob;
#: its footer's Redocly logo (from cdn.redoc.ly) is refused by `img-src` and hides itself, so the
#: browser never asks that site.
_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SWAGGER_POLICY = _POLICY
REDOC_POLICY = _POLICY + "; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"


def add_docs(app: FastAPI) -> None:
    """`/docs`, `/redoc` and their files on `app`, which was made with `docs_url=None,
    redoc_url=None`. Call it before mounting `/static` and before any catch-all route."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    def page(template: str, policy: str, request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return HTMLResponse(
            template.format(
                title=html.escape(app.title),
                root=html.escape(root),
                assets=html.escape(root + ASSETS_URL),
                openapi=html.escape(root + openapi_url),
            ),
            headers={"Content-Security-Policy": policy},
        )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return page(_SWAGGER, SWAGGER_POLICY, request)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return page(_REDOC, REDOC_POLICY, request)
