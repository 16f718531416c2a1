"""What the service refuses before a route sees it, and what every answer carries
(`service.access.guards`): bodies over the cap are a 413, NaN and Infinity a clean 422 (the
connection stays usable), every status an operation can give is in the OpenAPI schema, and
every answer has the security headers.

Most of it needs no database or model: the app without its lifespan (`bare`). What needs a
signed-in caller runs on the `api` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from service.access.guards import CSP
from service.app import create_app
from service.errors import validation_problem
from service.settings import ServiceSettings
from tests.factories.api import Api

V1 = "/api/v1"
CAP = 4096
JSON = {"content-type": "application/json"}
#: Each operation that takes a body, with a valid one.
BODIES = {
    f"{V1}/plans": b'{"position_ids": ["PROV-U0172-P00021"]}',
    f"{V1}/feedback": b'{"suggestion_id": "x", "item_id": "y", "decision": "interested"}',
}


@pytest.fixture(scope="module")
def bare() -> Iterator[TestClient]:
    """The app without its lifespan, with a small cap: the guards need no database or model."""
    app = create_app(ServiceSettings(max_body_bytes=CAP))

    @app.get(f"{V1}/test-failure", include_in_schema=False)
    def failure() -> None:
        raise RuntimeError("a test's unexpected error")

    yield TestClient(app, raise_server_exceptions=False)


def _chunks(size: int, chunk: int = 1000) -> Iterator[bytes]:
    """A body sent chunked: no Content-Length."""
    for start in range(0, size, chunk):
        yield b" " * min(chunk, size - start)


# --- non-finite numbers --------------------------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"{V1}/plans", '{{"position_ids": [{c}]}}'),
        (
            f"{V1}/feedback",
            '{{"suggestion_id": "x", "item_id": "y", "decision": "rejected", "reason": {c}}}',
        ),
    ],
)
def test_nan_and_infinity_are_a_clean_422(
    bare: TestClient, path: str, body: str, constant: str
) -> None:
    answer = bare.post(path, content=body.format(c=constant).encode(), headers=JSON)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body"] and problem["input"] == constant
    assert f"{constant} is not a JSON number" in problem["msg"]
    # the connection is still good: the next request on the same client is answered
    assert bare.get("/health").json() == {"status": "ok"}


def test_a_nan_inside_a_string_is_only_text(bare: TestClient) -> None:
    body = b'{"position_ids": ["NaN", "Infinity"]}'
    assert bare.post(f"{V1}/plans", content=body, headers=JSON).status_code == 401  # not 422


@pytest.mark.slow
def test_signed_in_nan_and_infinity_are_refused_and_the_next_request_works(api: Api) -> None:
    planner = api.headers["hr_planner"] | JSON
    answer = api.client.post(f"{V1}/plans", content=b'{"position_ids": [NaN]}', headers=planner)
    assert answer.status_code == 422, answer.text
    assert "NaN is not a JSON number" in answer.json()["detail"][0]["msg"]
    reason = b'{"suggestion_id": "x", "item_id": "y", "decision": "rejected", "reason": Infinity}'
    answer = api.client.post(f"{V1}/feedback", content=reason, headers=api.headers["asn"] | JSON)
    assert answer.status_code == 422, answer.text
    again = api.client.get(f"{V1}/positions/{api.post}", headers=api.headers["hr_planner"])
    assert again.status_code == 200, again.text


def test_the_422_handler_writes_any_input() -> None:
    """Whatever reaches FastAPI's validation (a non-finite number, something JSON cannot hold),
    its 422 is written: the number by name, else without the input."""
    nan = RequestValidationError(
        [{"type": "string_type", "loc": ("body", "x", 0), "msg": "bad", "input": float("nan")}]
    )
    answer = validation_problem(nan)
    assert answer.status_code == 422
    assert b'"input":"NaN"' in answer.body
    odd = RequestValidationError(
        [{"type": "value_error", "loc": ("body",), "msg": "odd", "input": object()}]
    )
    answer = validation_problem(odd)
    assert answer.status_code == 422
    assert answer.body == b'{"detail":[{"type":"value_error","loc":["body"],"msg":"odd"}]}'


# --- the body cap --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"{V1}/plans", f"{V1}/feedback", f"{V1}/auth/token", "/masuk"])
def test_a_body_over_the_cap_is_a_413_with_or_without_content_length(
    bare: TestClient, path: str
) -> None:
    declared = bare.post(path, content=b" " * (CAP + 1), headers=JSON)
    assert declared.status_code == 413, declared.text
    assert declared.json() == {"detail": f"request body larger than {CAP} bytes"}
    streamed = bare.post(path, content=_chunks(CAP * 3), headers=JSON)
    assert streamed.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413, streamed.text
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert bare.post(path, content=_chunks(CAP * 3), headers=form).status_code == 413
    assert bare.get("/health").json() == {"status": "ok"}


def test_a_body_at_the_cap_goes_through(bare: TestClient) -> None:
    body = b'{"position_ids": ["P"]}'
    padded = body + b" " * (CAP - len(body))
    answer = bare.post(f"{V1}/plans", content=padded, headers=JSON)
    assert answer.status_code == 401  # reached the route, which wants a token
    chunked = (padded[i : i + 1000] for i in range(0, CAP, 1000))
    assert bare.post(f"{V1}/plans", content=chunked, headers=JSON).status_code == 401


def test_the_cap_is_a_setting() -> None:
    assert ServiceSettings().max_body_bytes == 1_048_576
    with pytest.raises(ValueError):
        ServiceSettings(max_body_bytes=10)


# --- every status in the schema ------------------------------------------------------------


def _operations(schema: dict) -> Iterator[tuple[str, str, dict]]:  # type: ignore[type-arg]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_the_statuses_it_can_give(bare: TestClient) -> None:
    """By what the operation is: a body can be undecodable (400), too large (413) or refused
    (422); a parameter refused (422); a record absent (404); a signed-in route has no token
    (401), the wrong role (403) or no model (503)."""
    schema = bare.app.openapi()  # type: ignore[attr-defined]
    extra = {
        ("/ready", "get"): {"503"},
        (f"{V1}/models/reload", "post"): {"409"},
        (f"{V1}/positions/{{position_id}}/candidates", "get"): {"404", "422"},
        (f"{V1}/plans", "post"): {"404", "422"},
        (f"{V1}/feedback", "post"): {"404"},
    }
    for path, method, operation in _operations(schema):
        expected = set(extra.get((path, method), set()))
        if "requestBody" in operation:
            expected |= {"400", "413", "422"}
        parameters = operation.get("parameters", [])
        if parameters:
            expected.add("422")
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if path.startswith(V1) and path != f"{V1}/auth/token":
            expected |= {"401", "403", "503"}
        documented = set(operation["responses"])
        assert expected <= documented, f"{method} {path} lacks {sorted(expected - documented)}"
        for code in documented - {"200", "201"}:
            assert operation["responses"][code].get("description"), (method, path, code)


def test_the_statuses_a_body_gets_are_documented(bare: TestClient) -> None:
    """Probed: an undecodable, a too large and a non-finite body, on every operation that
    takes one; each status the service gave is in that operation's responses."""
    schema = bare.app.openapi()  # type: ignore[attr-defined]
    for path, method, operation in _operations(schema):
        if "requestBody" not in operation:
            continue
        kind = next(iter(operation["requestBody"]["content"]))
        given = {
            bare.request(method, path, content=b"\xff\xfe{", headers={"content-type": kind}),
            bare.request(method, path, content=b" " * (CAP + 1), headers={"content-type": kind}),
            bare.request(method, path, content=b"[NaN]", headers={"content-type": kind}),
        }
        statuses = {str(answer.status_code) for answer in given}
        assert "413" in statuses and statuses <= set(operation["responses"]), (path, statuses)
    undecodable = bare.post(f"{V1}/plans", content=b'{"position_ids": ["\xff"]}', headers=JSON)
    assert undecodable.status_code == 400


@pytest.mark.slow
def test_since_must_be_a_date(api: Api) -> None:
    export = f"{V1}/feedback/export"
    for since in ("0", "1700000000", "2026-1-1", "yesterday"):
        answer = api.client.get(export, params={"since": since}, headers=api.headers["analyst"])
        assert answer.status_code == 422, (since, answer.text)
        assert "YYYY-MM-DD" in answer.text
    answer = api.client.get(export, params={"since": "2020-01-01"}, headers=api.headers["analyst"])
    assert answer.status_code == 200, answer.text


# --- security headers ----------------------------------------------------------------------


def _secured(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_security_headers_on_pages_answers_and_errors(bare: TestClient) -> None:
    page = bare.get("/masuk")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    # the pages need nothing the policy refuses: no script, no inline style
    assert "<script" not in page.text and " style=" not in page.text
    answers = {
        "page": page,
        "api": bare.get("/health"),
        "static": bare.get("/static/style.css"),
        "401": bare.get(f"{V1}/models"),
        "404 page": bare.get("/no-such-page"),
        "404 api": bare.get(f"{V1}/no-such-thing"),
        "413": bare.post(f"{V1}/plans", content=b" " * (CAP + 1), headers=JSON),
        "422": bare.post(f"{V1}/plans", content=b"[NaN]", headers=JSON),
        "500": bare.get(f"{V1}/test-failure"),
    }
    assert answers["500"].status_code == 500
    for kind, answer in answers.items():
        try:
            _secured(answer)
        except (AssertionError, KeyError) as missing:
            raise AssertionError(f"{kind}: {answer.status_code} {missing}") from None


def test_the_docs_keep_their_own_policy(bare: TestClient) -> None:
    docs = bare.get("/docs")
    _secured(docs)
    assert docs.headers["content-security-policy"].count("default-src") == 1
