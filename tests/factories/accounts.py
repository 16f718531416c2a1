"""What the account tests share: a service of their own on a copy of the served database (so
disabling accounts or throttling the test client's address never reaches the other tests), with
the ids they need, and small helpers to sign in through the API and the pages."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.settings import ServiceSettings
from tests.factories.api import PASSWORD

TOKEN = "/api/v1/auth/token"


@dataclass
class OwnService:
    """A running app on its own database, and people of two agencies."""

    client: TestClient
    settings: ServiceSettings
    engine: sa.Engine
    agency: str
    other_agency: str
    colleague: str  # someone in `agency`
    outsider: str  # someone in `other_agency`

    def browser(self, address: str = "testclient") -> TestClient:
        """A fresh cookie jar on the running app, from a client address of its own."""
        return TestClient(self.client.app, client=(address, 50000))


@contextmanager
def own_service(served: ServiceSettings, folder: Path, **changes: Any) -> Iterator[OwnService]:
    """The served champions over a copy of the served database, with `changes` to the
    settings (the sign-in limits, say)."""
    from features.store.database import create_db_engine
    from service.app import create_app

    copy = folder / "jenjang.db"
    shutil.copyfile(served.database_url.removeprefix("sqlite:///"), copy)
    settings = served.model_copy(update={"database_url": f"sqlite:///{copy}", **changes})
    engine = create_db_engine(settings.database_url)
    try:
        with TestClient(create_app(settings)) as client:
            state = client.app.state  # type: ignore[attr-defined]
            frame = state.models.current().snapshot.view.frame
            agency, other = frame["agency_id"].value_counts().index[:2]
            yield OwnService(
                client,
                settings,
                engine,
                str(agency),
                str(other),
                colleague=str(frame.index[frame["agency_id"] == agency][0]),
                outsider=str(frame.index[frame["agency_id"] == other][0]),
            )
    finally:
        engine.dispose()


def bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header of a fresh API token (the sign-in must succeed)."""
    answer = client.post(TOKEN, data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def page_sign_in(browser: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign in on the pages (the session cookie lands in `browser`'s jar)."""
    answer = browser.post("/masuk", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text[:300]


def events(engine: sa.Engine, username: str | None = None) -> list[dict[str, Any]]:
    """The accounts' audit log, oldest first (of one account when given)."""
    from features.store.database import account_events

    query = sa.select(account_events).order_by(account_events.c.event_id)
    if username is not None:
        query = query.where(account_events.c.username == username)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]
