"""`jenjang score`: the day's answers written for everyone are the answers the model gives on
demand, the service answers from them, and a person or question they do not hold still gets
the model's answer."""

from __future__ import annotations

import math
from pathlib import Path

import mlflow
import pytest
from fastapi.testclient import TestClient

from service.api import suggestions
from service.settings import ServiceSettings
from tests.factories.api import PASSWORD
from training.answers import AnswerSet
from training.contract import PLACEMENT_SUCCESS as PLACEMENTS
from training.contract import TRAINING_RECS, Data, served


def _stored(settings: ServiceSettings, name: str = TRAINING_RECS) -> AnswerSet:
    folder = Path(settings.answers_dir) / name
    (key_folder,) = folder.glob("version=*/as_of=*/snapshot=*")
    version, as_of, snapshot = (part.split("=", 1)[1] for part in key_folder.parts[-3:])
    from datetime import date

    from training.answers import AnswerKey

    key = AnswerKey(name, version, date.fromisoformat(as_of), snapshot)
    answers = AnswerSet.load(key, Path(settings.answers_dir))
    assert answers is not None
    return answers


def _same(rows: list[dict[str, object]] | None) -> list[dict[str, object]]:
    """Rows with NaN as None: a missing talent box is NaN in both, and NaN != NaN."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in rows or []
    ]


def test_precomputed_answers_equal_the_models_own(scored: ServiceSettings) -> None:
    """Every field, reasons included, for every person: the batch job and a request agree."""
    from features.store.database import create_db_engine
    from service.state.snapshot import service_date

    answers = _stored(scored)
    mlflow.set_tracking_uri(scored.tracking_uri)
    model = served(mlflow.pyfunc.load_model(f"models:/{TRAINING_RECS}@champion"))
    model.use_data(Data.from_database(scored.database_url))
    day = service_date(scored, create_db_engine(scored.database_url))
    people = list(answers._where)
    assert len(people) == model.subjects(day)  # everyone active with a known post
    for person in people[:: max(1, len(people) // 60)]:
        own = model.answer([{"employee_id": person, "k": 10, "as_of": day}])
        assert answers.lookup(person, 10) == own, person
        assert answers.lookup(person, 3) == own[:3]


def test_the_service_answers_from_the_precomputed_set(scored: ServiceSettings) -> None:
    from service.access.accounts import create_user
    from service.app import create_app

    answers = _stored(scored)
    person = next(iter(answers._where))
    with TestClient(create_app(scored)) as client:
        loaded = client.app.state.models.get(TRAINING_RECS)  # type: ignore[attr-defined]
        assert loaded.answers is not None and len(loaded.answers) == len(answers)
        create_user(client.app.state.engine, "precompute-admin", PASSWORD, "admin")  # type: ignore[attr-defined]
        token = client.post(
            "/api/v1/auth/token", data={"username": "precompute-admin", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/api/v1/employees/{person}/trainings"
        stored = client.get(url, headers=headers, params={"k": 10})
        assert stored.status_code == 200, stored.text
        body = stored.json()
        assert [r["course_id"] for r in body["items"]] == [
            r["course_id"] for r in answers.lookup(person, 10) or []
        ]
        # a question the set does not hold (a longer list, a filter) goes to the model
        longer = client.get(url, headers=headers, params={"k": 20})
        assert longer.status_code == 200 and len(longer.json()["items"]) > 10
        filtered = client.get(url, headers=headers, params={"k": 5, "kind": "technical"})
        assert filtered.status_code == 200
        assert {r["kind"] for r in filtered.json()["items"]} <= {"technical"}

        # a post's explained candidates are built once per question, then kept
        snapshot = client.app.state.models.current().snapshot  # type: ignore[attr-defined]
        post = str(snapshot.positions.index[snapshot.positions["rankable"]][0])
        asked = f"/api/v1/positions/{post}/candidates"
        first = client.get(asked, headers=headers, params={"k": 5})
        assert first.status_code == 200, first.text

        def built_again(*args: object) -> None:
            raise AssertionError("the same question's answer was built twice")

        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(suggestions, "candidate_items", built_again)
            again = client.get(asked, headers=headers, params={"k": 5})
        assert again.status_code == 200
        assert again.json()["items"] == first.json()["items"]
        assert again.json()["suggestion_id"] != first.json()["suggestion_id"]  # audited anew


def test_precomputed_candidates_equal_the_models_own(scored: ServiceSettings) -> None:
    """Each post's stored candidates are the model's eligible ranking from everyone; filtered
    to some agencies they are the model's ranking among those agencies' people."""
    from features.store.database import create_db_engine
    from service.state.snapshot import service_date

    answers = _stored(scored, PLACEMENTS)
    assert answers.depth == 50
    mlflow.set_tracking_uri(scored.tracking_uri)
    model = served(mlflow.pyfunc.load_model(f"models:/{PLACEMENTS}@champion"))
    data = Data.from_database(scored.database_url)
    model.use_data(data)
    day = service_date(scored, create_db_engine(scored.database_url))
    agency_of = data.view(day).frame["agency_id"]
    checked = 0
    for post in list(answers._where)[::7]:
        own = model.answer([{"position_id": post, "k": 50, "as_of": day}])
        assert _same(answers.lookup(post, 50)) == _same(own), post
        if own:
            agency = agency_of[own[-1]["employee_id"]]
            among = model.answer([{"position_id": post, "k": 50, "as_of": day, "agencies": agency}])
            mine = [r["employee_id"] for r in own if agency_of[r["employee_id"]] == agency]
            assert [r["employee_id"] for r in among][: len(mine)] == mine, post
            checked += 1
    assert checked >= 3


def test_answers_scored_after_a_version_started_serving_are_used_at_the_next_look(
    served: ServiceSettings, tmp_path: Path
) -> None:
    """A champion promoted before `jenjang score` ran serves without its answers; the watcher's
    next look attaches them (before, every answer went through the model until a reload)."""
    from service.app import create_app
    from service.state.precompute import score_day
    from service.state.watch import behind

    settings = served.model_copy(update={"answers_dir": str(tmp_path / "answers")})
    with TestClient(create_app(settings)) as client:
        store = client.app.state.models  # type: ignore[attr-defined]
        before = store.current()
        assert all(loaded.answers is None for loaded in before.models.values())
        assert behind(client.app.state) is False and store.current() is before  # none yet
        score_day(settings, (TRAINING_RECS,))
        assert behind(client.app.state) is False  # nothing moved: no reload
        after = store.current()
        assert after.snapshot is before.snapshot
        loaded = after.get(TRAINING_RECS)
        assert loaded.version == before.get(TRAINING_RECS).version
        assert loaded.answers is not None and len(loaded.answers) > 300
        assert after.get(PLACEMENTS).answers is None  # not scored: still the model's
        assert store.attach_answers() == []  # found once, not again
