"""The audit logs' retention (`service.access.retention`, `jenjang audit prune`): older rows go
in one transaction, the suggestions feedback judged and earlier prunings stay, the pruning is
recorded with who ran it, the cutoff and the counts; a dry run deletes nothing; a bad date is a
clear error with exit status 2."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from features.store.database import account_events, audit_log, feedback, migrate
from service.access import retention
from service.cli import app

TODAY = dt.datetime.now(dt.UTC).replace(tzinfo=None)
OLD = TODAY - dt.timedelta(days=800)  # older than the default 730 days
RECENT = TODAY - dt.timedelta(days=10)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """An empty migrated database with two old and two recent suggestions (one of each judged
    by feedback) and an old and a recent sign-in."""
    engine = request.getfixturevalue(f"{request.param}_engine")
    migrate(engine)
    with engine.begin() as connection:
        for at, judged in ((OLD, False), (OLD, True), (RECENT, False), (RECENT, True)):
            suggestion = _suggestion(connection, at)
            if judged:
                connection.execute(
                    feedback.insert().values(
                        suggestion_id=suggestion,
                        item_id="C001",
                        decision="interested",
                        username="asn1",
                        at=at,
                    )
                )
        for at in (OLD, RECENT):
            connection.execute(
                account_events.insert().values(
                    at=at, username="asn1", event="sign_in", outcome="ok", actor="asn1"
                )
            )
    yield engine


def _suggestion(connection: sa.Connection, at: dt.datetime) -> str:
    suggestion_id = uuid.uuid4().hex
    connection.execute(
        audit_log.insert().values(
            suggestion_id=suggestion_id,
            at=at,
            username="asn1",
            role="asn",
            kind="training",
            subject="E000000001",
            model_name="training-recs",
            model_version="1",
            data_snapshot="db-b1-x",
            as_of=at.date(),
            request={"k": 1},
            returned=[{"id": "C001", "score": 0.5}],
        )
    )
    return suggestion_id


def _rows(engine: sa.Engine) -> list[sa.Row]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return list(connection.execute(sa.select(audit_log).order_by(audit_log.c.at)))


def _events(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(account_events)
        return int(connection.execute(query).scalar_one())


def _prune(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JENJANG_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(app, ["audit", "prune", *args])


def test_prune_deletes_only_older_unjudged_rows_and_records_itself(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = _prune(engine, monkeypatch)  # the default retention: 730 days
    assert done.exit_code == 0, done.output
    assert "deleted 1 audit rows and 1 account events" in done.output
    assert "kept 1 older suggestions judged by feedback" in done.output
    rows = _rows(engine)
    kept = [r for r in rows if r.kind == "training"]
    assert len(kept) == 3 and min(r.at for r in kept) == OLD  # the judged old one stays
    with engine.connect() as connection:
        judged = set(connection.execute(sa.select(feedback.c.suggestion_id)).scalars())
    assert [r.suggestion_id in judged for r in kept if r.at == OLD] == [True]
    assert _events(engine) == 1
    (record,) = [r for r in rows if r.kind == retention.PRUNE_KIND]
    assert record.username.startswith("cli:") and record.role == "cli"
    cutoff = dt.datetime.combine(TODAY.date() - dt.timedelta(days=730), dt.time())
    assert record.request["cutoff"] == cutoff.isoformat()
    assert record.request["retention_days"] == 730 and record.request["dry_run"] is False
    counts = {r["id"]: r for r in record.returned}
    assert counts["audit_log"]["deleted"] == counts["account_events"]["deleted"] == 1
    assert counts["audit_log_judged"]["kept"] == 1


def test_a_later_prune_keeps_the_earlier_prunings_record(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _prune(engine, monkeypatch).exit_code == 0
    tomorrow = (TODAY + dt.timedelta(days=1)).date()
    with engine.begin() as connection:
        _suggestion(connection, TODAY - dt.timedelta(minutes=1))
    done = retention.prune(engine, dt.datetime.combine(tomorrow, dt.time()), "cli:test")
    assert done.audit_rows == 2 and done.kept_judged == 2  # the recent unjudged and the new one
    kinds = [r.kind for r in _rows(engine)]
    assert kinds.count(retention.PRUNE_KIND) == 2 and kinds.count("training") == 2


def test_before_picks_the_cutoff(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    day = (RECENT + dt.timedelta(days=1)).date().isoformat()
    done = _prune(engine, monkeypatch, "--before", day)
    assert done.exit_code == 0, done.output
    assert "deleted 2 audit rows and 2 account events" in done.output
    assert sorted(r.kind for r in _rows(engine)) == [retention.PRUNE_KIND, "training", "training"]


def test_a_dry_run_deletes_and_records_nothing(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _rows(engine)
    done = _prune(engine, monkeypatch, "--dry-run")
    assert done.exit_code == 0, done.output
    assert "would delete 1 audit rows and 1 account events" in done.output
    assert _rows(engine) == before and _events(engine) == 2


def test_retention_zero_keeps_everything(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _rows(engine)
    done = _prune(engine, monkeypatch, JENJANG_AUDIT_RETENTION_DAYS="0")
    assert done.exit_code == 0 and "nothing pruned" in done.output
    assert _rows(engine) == before


@pytest.mark.parametrize(
    ("given", "says"),
    [("31-12-2025", "is not a date (YYYY-MM-DD)"), ("2025-02-30", "is not a date"), ("x", "")],
)
def test_a_bad_date_is_a_clear_error(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, given: str, says: str
) -> None:
    before = _rows(engine)
    done = _prune(engine, monkeypatch, "--before", given)
    assert done.exit_code == 2 and f"error: --before '{given}' {says}" in done.output
    assert _rows(engine) == before


def test_a_date_after_today_is_refused(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    later = (TODAY + dt.timedelta(days=2)).date().isoformat()
    done = _prune(engine, monkeypatch, "--before", later)
    assert done.exit_code == 2 and "after today" in done.output
    assert len(_rows(engine)) == 4
