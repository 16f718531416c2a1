"""What the service tests share besides fixtures: the running app with one account per role
(built by the `api` fixture in tests/service/conftest.py) and the accounts' password."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient


@dataclass
class Api:
    """A running app on the served store, one signed-in account per role (and an analyst
    granted the planner's agency), and the ids the tests need: the ASN's own record, a
    colleague in the same agency, someone elsewhere."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    own: str  # the asn account's employee
    colleague: str  # same agency as `own` (the planner's scope)
    outsider: str  # another agency
    agency: str
    other_agency: str
    post: str  # a structural post in `agency`
    other_post: str  # a structural post in `other_agency`


PASSWORD = "a-long-test-password"
