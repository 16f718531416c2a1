"""Property-based tests of the published OpenAPI schema (schemathesis): generated requests to
every operation, signed in as an admin (the widest scope) and as an ASN (the narrowest), never
get a 5xx, and every response matches the schema (status codes, content types, bodies)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories.api import Api

pytestmark = pytest.mark.slow

#: Generated requests per operation and role.
EXAMPLES = 50


@pytest.mark.parametrize("role", ["admin", "asn"])
def test_no_server_errors_and_answers_match_the_schema(api: Api, role: str) -> None:
    """On an app of its own (same settings, database and accounts): schemathesis drives an ASGI
    app's lifespan again from its own event loops, which must not touch the app every other
    test shares (a later request on it could wait forever)."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        _check_every_operation(client.app, api, role)  # type: ignore[arg-type]


def _check_every_operation(app: object, api: Api, role: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=api.headers[role])

        check()
