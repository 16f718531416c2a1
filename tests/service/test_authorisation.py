"""Every endpoint with every role: who gets data, who gets 403 (a role that may never do it),
who gets 404 (a record outside their scope, including ids changed by hand), and nobody without
a token. The table must cover every route the app has: a new route without a row fails here."""

from __future__ import annotations

import pytest

from tests.factories.api import Api

pytestmark = pytest.mark.slow

ROLES = ("asn", "hr_planner", "analyst", "granted_analyst", "admin")

#: (method, path template) → target → expected status per role (in ROLES order).
#: Targets: own = the ASN's record and the planner's agency; colleague = the same agency;
#: outsider = another agency.
MATRIX: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {
    ("GET", "/employees/{employee_id}"): {
        "own": (200, 200, 403, 200, 200),
        "colleague": (404, 200, 403, 200, 200),
        "outsider": (404, 404, 403, 404, 200),
    },
    ("GET", "/employees/{employee_id}/trainings"): {
        "own": (200, 200, 403, 200, 200),
        "colleague": (404, 200, 403, 200, 200),
        "outsider": (404, 404, 403, 404, 200),
    },
    ("GET", "/employees/{employee_id}/paths"): {
        "own": (200, 200, 403, 200, 200),
        "colleague": (404, 200, 403, 200, 200),
        "outsider": (404, 404, 403, 404, 200),
    },
    # the person themselves and admins only; 403 for anyone else, whatever the id
    ("GET", "/employees/{employee_id}/export"): {
        "own": (200, 403, 403, 403, 200),
        "colleague": (403, 403, 403, 403, 200),
        "outsider": (403, 403, 403, 403, 200),
    },
    ("GET", "/positions"): {"any": (403, 200, 403, 200, 200)},
    ("GET", "/positions/{position_id}"): {
        "own": (403, 200, 403, 200, 200),
        "outsider": (403, 404, 403, 404, 200),
    },
    ("GET", "/positions/{position_id}/candidates"): {
        "own": (403, 200, 403, 200, 200),
        "outsider": (403, 404, 403, 404, 200),
    },
    ("POST", "/plans"): {
        "own": (403, 200, 403, 200, 200),
        "outsider": (403, 404, 403, 404, 200),
    },
    ("GET", "/agencies"): {"any": (403, 200, 200, 200, 200)},
    ("GET", "/agencies/{agency_id}/talent-boxes"): {
        "own": (403, 200, 200, 200, 200),
        "outsider": (403, 404, 200, 200, 200),
    },
    ("GET", "/agencies/{agency_id}/succession"): {
        "own": (403, 200, 403, 200, 200),
        "outsider": (403, 404, 403, 404, 200),
    },
    # a suggestion shown to the admin: nobody else may judge it
    ("POST", "/feedback"): {"admin's": (404, 404, 404, 404, 201)},
    ("GET", "/feedback/export"): {"any": (403, 403, 200, 200, 200)},
    ("GET", "/models"): {"any": (403, 403, 200, 200, 200)},
    ("POST", "/models/reload"): {"any": (403, 403, 200, 200, 200)},
    ("GET", "/models/{name}/versions"): {"any": (403, 403, 200, 200, 200)},
}


def _routes(api: Api) -> set[tuple[str, str]]:
    """Every operation the app publishes under /api/v1 (its OpenAPI schema)."""
    paths = api.client.get("/openapi.json").json()["paths"]
    found = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in paths.items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    return found - {("POST", "/auth/token")}


def test_the_matrix_covers_every_route(api: Api) -> None:
    assert _routes(api) == set(MATRIX)


def _request(api: Api, method: str, path: str, target: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    people = {"own": api.own, "colleague": api.colleague, "outsider": api.outsider}
    posts = {"own": api.post, "colleague": api.post, "outsider": api.other_post}
    agencies = {"own": api.agency, "colleague": api.agency, "outsider": api.other_agency}
    url = "/api/v1" + path.format(
        employee_id=people.get(target, api.own),
        position_id=posts.get(target, api.post),
        agency_id=agencies.get(target, api.agency),
        name="training-recs",
    )
    if path == "/plans":
        return api.client.post(url, headers=headers, json={"position_ids": [posts[target]]})
    if path == "/feedback":
        shown = api.client.get(
            f"/api/v1/employees/{api.own}/trainings", headers=api.headers["admin"]
        ).json()
        body = {
            "suggestion_id": shown["suggestion_id"],
            "item_id": shown["items"][0]["course_id"],
            "decision": "interested",
        }
        return api.client.post(url, headers=headers, json=body)
    return api.client.request(method, url, headers=headers)


@pytest.mark.parametrize(
    ("method", "path", "target"),
    [(m, p, t) for (m, p), targets in MATRIX.items() for t in targets],
)
def test_every_role_gets_what_its_scope_allows(
    api: Api, method: str, path: str, target: str
) -> None:
    expected = MATRIX[(method, path)][target]
    for role, status in zip(ROLES, expected, strict=True):
        answer = _request(api, method, path, target, api.headers[role])
        assert answer.status_code == status, (role, target, answer.text[:300])
        if status >= 400:
            # a refusal carries a message and nothing else: never the record
            assert set(answer.json()) == {"detail"} and answer.json()["detail"]
    assert _request(api, method, path, target, {}).status_code == 401


@pytest.mark.parametrize(
    ("role", "template", "outside"),
    [
        ("asn", "/employees/{}", "colleague"),
        ("hr_planner", "/employees/{}", "outsider"),
        ("hr_planner", "/positions/{}", "other_post"),
        ("hr_planner", "/agencies/{}/succession", "other_agency"),
    ],
)
def test_out_of_scope_reads_exactly_like_missing(
    api: Api, role: str, template: str, outside: str
) -> None:
    """Changing an id by hand tells nothing: a record outside the scope and one that does not
    exist get the same status and the same words."""
    real = getattr(api, outside)
    seen = api.client.get("/api/v1" + template.format(real), headers=api.headers[role])
    missing = api.client.get("/api/v1" + template.format("NO-SUCH-ID"), headers=api.headers[role])
    assert seen.status_code == missing.status_code == 404
    assert seen.json()["detail"].replace(real, "X") == missing.json()["detail"].replace(
        "NO-SUCH-ID", "X"
    )
