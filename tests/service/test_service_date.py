"""The service's date defaults to the extraction date of the data it serves, and every page says
it: a generated dataset ends at its extraction, so on today's date its last months would look
empty (nobody's JP of the last 12 months, say)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from features.store.database import migrate
from service.settings import ServiceSettings
from service.state.snapshot import service_date
from service.web.labels import date
from tests.factories.api import PASSWORD, Api

pytestmark = pytest.mark.slow

V1 = "/api/v1"


def _extracted(dataset: Path) -> dt.date:
    manifest = json.loads((dataset / "truth" / "manifest.json").read_text())
    return dt.date.fromisoformat(manifest["extraction_date"])


def test_the_service_serves_the_datas_extraction_date_and_says_so(
    api: Api, small_dataset: Path
) -> None:
    extracted = _extracted(small_dataset)
    assert extracted < dt.date.today()
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    assert snapshot.as_of.date() == extracted
    answer = api.client.get(f"{V1}/employees/{api.own}/trainings", headers=api.headers["asn"])
    assert answer.status_code == 200 and answer.json()["as_of"] == extracted.isoformat()
    browser = TestClient(api.client.app)
    browser.post("/masuk", data={"username": "test-asn", "password": PASSWORD})
    page = browser.get("/karier")
    assert page.status_code == 200
    day = f'<time datetime="{extracted.isoformat()}">'
    assert f"Data per {day}{date(extracted, 'id')}</time>" in page.text  # 30 Jun 2026
    browser.get("/bahasa/en")
    said = f"Data as of {day}{date(extracted, 'en')}</time>"
    assert said in browser.get("/karier").text


def test_a_pinned_date_wins_and_undated_data_is_served_on_today(
    api: Api, sqlite_engine: sa.Engine
) -> None:
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    pinned = ServiceSettings(as_of=dt.date(2026, 1, 15))
    assert service_date(pinned, engine) == pd.Timestamp("2026-01-15")
    migrate(sqlite_engine)  # no ingest has recorded an extraction date
    assert service_date(ServiceSettings(), sqlite_engine) == pd.Timestamp(dt.date.today())


def test_jp_of_the_last_12_months_is_not_empty_for_everyone(api: Api) -> None:
    """The reasons' "n of 20 JP in the last 12 months" read the 12 months before the data's
    extraction, not the months after it: on today's date every one of them said 0 (1,483 of
    1,500 sampled people of the province had 0 JP in the 12 months before 2026-12-05; 707 on
    the extraction date). The generator simulates no training after its last year, so the
    months between that year's end and the extraction still count 0: many still say 0."""
    snapshot = api.client.app.state.models.current().snapshot  # type: ignore[attr-defined]
    people = list(snapshot.view.frame.index[:: max(1, len(snapshot.view.frame) // 40)])
    done = []
    for person in people:
        answer = api.client.get(
            f"{V1}/employees/{person}/trainings", headers=api.headers["admin"], params={"k": 5}
        )
        assert answer.status_code == 200, answer.text
        done += [
            reason["jp_last_12_months"]
            for item in answer.json()["items"]
            for reason in item["reasons"]
            if reason["code"] == "jp_shortfall"
        ]
    assert len(done) >= 20
    assert sum(jp > 0 for jp in done) >= 0.2 * len(done)
