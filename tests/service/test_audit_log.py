"""The audit log's group commit: answers given together share a transaction, each answer waits
for its own row to be committed, none is lost, and a failed commit fails every answer of its
group instead of returning unaudited suggestions."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from features.store.database import create_db_engine
from service.access.accounts import create_user
from service.access.audit import AuditLog, Suggestion, find


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, small_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "postgres":
        from features.store.database import migrate

        engine = request.getfixturevalue("postgres_engine")
        migrate(engine)
        yield engine
        return
    copy = tmp_path / "jenjang.db"
    shutil.copyfile(small_database.removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def _shown(i: int) -> Suggestion:
    return Suggestion(
        kind="training",
        subject=f"E{i:09d}",
        model_name="training-recs",
        model_version="1",
        data_snapshot="db-b1-x",
        as_of=dt.date(2026, 12, 4),
        request={"k": 1},
        returned=[{"id": "C001", "score": 0.5}],
    )


def test_concurrent_answers_share_commits_and_none_is_lost(engine: sa.Engine) -> None:
    account = create_user(engine, "audit-analyst", "correct horse battery", "analyst")
    log = AuditLog(engine, window_seconds=0.005)
    try:
        with ThreadPoolExecutor(32) as pool:
            ids = list(pool.map(lambda i: log.record(account, _shown(i)), range(400)))
    finally:
        log.close()
    assert len(set(ids)) == 400
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    assert rows == 400
    assert all(find(engine, one) is not None for one in ids[::40])  # committed when returned
    assert log.commits < 400 / 4  # grouped: far fewer transactions than answers


def test_a_failed_commit_fails_its_answers(engine: sa.Engine) -> None:
    account = create_user(engine, "audit-asn", "correct horse battery", "analyst")
    log = AuditLog(engine)
    try:
        log.record(account, _shown(1))
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE feedback"))
            connection.execute(sa.text("DROP TABLE audit_log"))
        with pytest.raises(sa.exc.DBAPIError):
            log.record(account, _shown(2))
    finally:
        log.close()


def test_answers_on_the_event_loop_wait_for_their_commit_without_threads(
    engine: sa.Engine,
) -> None:
    """The API's routes await the commit on the event loop: hundreds of concurrent answers,
    one thread (the writer), every row committed before its answer returns, and a failed
    commit raised in each waiting answer."""
    account = create_user(engine, "audit-loop", "correct horse battery", "analyst")
    log = AuditLog(engine)

    async def answer(i: int) -> str:
        suggestion_id = await log.record_async(account, _shown(i))
        assert find(engine, suggestion_id) is not None  # committed before it returned
        return suggestion_id

    async def many() -> list[str]:
        return await asyncio.gather(*(answer(i) for i in range(300)))

    try:
        ids = asyncio.run(many())
        assert len(set(ids)) == 300
        assert log.commits < 300 / 4
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE feedback"))
            connection.execute(sa.text("DROP TABLE audit_log"))
        with pytest.raises(sa.exc.DBAPIError):
            asyncio.run(log.record_async(account, _shown(301)))
    finally:
        log.close()
