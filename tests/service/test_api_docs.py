"""The API's documentation pages need nothing outside the service: /docs and /redoc load Swagger
UI and ReDoc from the service's own files (the `fastapi-offline` package's), with no inline
script. In a real browser with the network blocked: tests/service/test_browser.py."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from service.api.docs import ASSET_FILES, ASSETS
from service.app import create_app
from service.settings import ServiceSettings

_URL = re.compile(r"https?://", re.IGNORECASE)
_REFERENCE = re.compile(r'\b(?:src|href|spec-url|data-openapi-url)="([^"]*)"')


@pytest.fixture(scope="module")
def client() -> TestClient:
    """The app without its lifespan: the documentation pages need no database or model."""
    return TestClient(create_app(ServiceSettings()))


def test_the_package_ships_every_file_the_pages_use() -> None:
    for name in ASSET_FILES:
        assert (ASSETS / name).is_file(), name


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_pages_reference_only_the_service(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not _URL.search(page.text), "an absolute URL: a CDN or another site"
    references = _REFERENCE.findall(page.text)
    assert references and all(r.startswith("/") and not r.startswith("//") for r in references)
    for reference in references:
        assert client.get(reference).status_code == 200, reference
    # every script is a file of the service's and no style is inline: a CSP of 'self' allows them
    assert "<style" not in page.text and " style=" not in page.text
    assert len(re.findall(r"<script\b", page.text)) == len(re.findall(r"<script src=", page.text))


def test_the_pages_use_the_files_they_name(client: TestClient) -> None:
    swagger = client.get("/docs").text
    assert "/static/docs/swagger-ui-bundle.js" in swagger and "/static/api-docs.js" in swagger
    assert 'data-openapi-url="/openapi.json"' in swagger
    assert "/static/docs/redoc.standalone.js" in client.get("/redoc").text
    assert client.get("/static/docs/swagger-ui-bundle.js").headers["content-type"] in {
        "text/javascript; charset=utf-8",
        "application/javascript",
    }
    # the pages and their files are not operations of the API
    assert not {"/docs", "/redoc"} & set(client.get("/openapi.json").json()["paths"])


def test_a_root_path_prefixes_every_reference() -> None:
    """Behind a proxy that serves the app under a prefix, the pages ask for their files there."""
    with_root = TestClient(create_app(ServiceSettings()), root_path="/jenjang")
    page = with_root.get("/docs").text
    assert all(r.startswith("/jenjang/") for r in _REFERENCE.findall(page))


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_each_page_allows_nothing_from_outside(client: TestClient, path: str) -> None:
    """Its Content-Security-Policy names no other origin and allows no inline script (ReDoc needs
    inline styles); so the browser does not even try ReDoc's logo on cdn.redoc.ly."""
    policy = client.get(path).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert "script-src" not in directives  # the default: 'self' only
    assert not _URL.search(policy) and "*" not in policy
