"""Accounts: created with a role and scope, passwords only as hashes, clear refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from features.store.database import create_db_engine, users
from features.store.settings import get_settings
from service.access.accounts import authenticate, create_user
from service.cli import app


@pytest.fixture
def engine(small_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    copy = tmp_path / "jenjang.db"
    shutil.copyfile(small_database.removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def _someone(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(sa.text("SELECT employee_id FROM employees")).scalar())


def test_create_and_authenticate(engine: sa.Engine) -> None:
    person = _someone(engine)
    account = create_user(engine, "siti.asn", "correct horse battery", "asn", employee_id=person)
    assert account.role == "asn" and account.employee_id == person
    assert authenticate(engine, "siti.asn", "correct horse battery") == account
    assert authenticate(engine, "siti.asn", "wrong password!") is None
    assert authenticate(engine, "nobody", "correct horse battery") is None
    with engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash)).scalar()
    assert "correct horse" not in stored and stored.startswith("$argon2")
    planner = create_user(engine, "budi.bkd", "another long one", "hr_planner", agencies=("A1",))
    assert authenticate(engine, "budi.bkd", "another long one") == planner


@pytest.mark.parametrize(
    ("username", "password", "role", "extra", "message"),
    [
        ("Bad Name", "long enough pw", "admin", {}, "username must be"),
        ("p199001012015031001", "long enough pw", "admin", {}, "must not hold a NIP"),
        ("ok.name", "short", "admin", {}, "at least 10 characters"),
        ("ok.name", "long enough pw", "boss", {}, "unknown role 'boss'"),
        ("ok.name", "long enough pw", "asn", {}, "needs --employee-id"),
        ("ok.name", "long enough pw", "hr_planner", {}, "at least one --agency"),
        ("ok.name", "long enough pw", "asn", {"employee_id": "E-NOPE"}, "no employee 'E-NOPE'"),
    ],
)
def test_refusals_say_what_is_wrong_and_write_nothing(
    engine: sa.Engine, username: str, password: str, role: str, extra: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_user(engine, username, password, role, **extra)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(users)).scalar() == 0


def test_a_taken_username_is_refused(engine: sa.Engine) -> None:
    create_user(engine, "analis", "long enough pw", "analyst")
    with pytest.raises(ValueError, match="username 'analis' is taken"):
        create_user(engine, "analis", "another password", "admin")


def test_users_create_from_the_command_line(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JENJANG_DATABASE_URL", str(engine.url))
    get_settings.cache_clear()
    try:
        args = ["users", "create", "admin1", "--role", "admin", "--password-stdin"]
        done = CliRunner().invoke(app, args, input="a long admin password\n")
        assert done.exit_code == 0, done.output
        assert "created admin1 (admin; scope: all)" in done.output
        again = CliRunner().invoke(app, args, input="a long admin password\n")
        assert again.exit_code == 2 and "taken" in again.output
    finally:
        get_settings.cache_clear()
    assert authenticate(engine, "admin1", "a long admin password") is not None


def test_demo_accounts_one_per_role_with_new_passwords_each_time(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JENJANG_DATABASE_URL", str(engine.url))
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["users", "demo"])
        second = CliRunner().invoke(app, ["users", "demo"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    lines = [line.split() for line in first.output.splitlines() if line.startswith("  ")]
    assert sorted(line[0] for line in lines) == ["admin", "analyst", "asn", "hr_planner"]
    again = {line.split()[1]: line.split()[2] for line in second.output.splitlines()[1:]}
    for role, username, password, *_ in lines:
        assert authenticate(engine, username, password) is None  # reset by the second run
        account = authenticate(engine, username, again[username])
        assert account is not None and account.role == role
    asn = authenticate(engine, "demo-asn", again["demo-asn"])
    planner = authenticate(engine, "demo-planner", again["demo-planner"])
    assert asn and asn.employee_id and planner and len(planner.agencies) == 1


def test_feedback_export_from_the_command_line(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import datetime as dt

    import pandas as pd

    from service.access.audit import AuditLog, Suggestion, add_feedback

    person = _someone(engine)
    account = create_user(engine, "siti.asn", "correct horse battery", "asn", employee_id=person)
    shown = Suggestion(
        kind="training",
        subject=person,
        model_name="training-recs",
        model_version="7",
        data_snapshot="db-b1-x",
        as_of=dt.date(2026, 11, 29),
        request={"k": 2},
        returned=[{"id": "C001", "score": 0.9}, {"id": "C002", "score": 0.5}],
    )
    suggestion = AuditLog(engine).record(account, shown)
    add_feedback(engine, account, suggestion, "C002", "not_relevant", "sudah ikut")
    with pytest.raises(ValueError, match="needs a reason"):
        add_feedback(engine, account, suggestion, "C001", "rejected", "   ")
    monkeypatch.setenv("JENJANG_DATABASE_URL", str(engine.url))
    get_settings.cache_clear()
    try:
        out = tmp_path / "feedback.csv"
        done = CliRunner().invoke(app, ["feedback", "export", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out)
    assert len(table) == 1 and table.loc[0, "item_id"] == "C002"
    assert table.loc[0, "model_version"] == 7 and table.loc[0, "reason"] == "sudah ikut"
    assert "username" not in table.columns


def test_a_verified_token_is_recognised_until_it_expires_and_a_forged_one_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service checks a token's signature once, then recognises it; its expiry still
    counts on every request, and a token signed with another key is refused every time."""
    import time

    from fastapi import HTTPException

    from service.access import security
    from service.access.accounts import Account
    from service.settings import ServiceSettings

    settings = ServiceSettings(secret_key="k" * 40, token_minutes=1)
    tokens = security.VerifiedTokens(settings)
    planner = Account("planner-1", "planner", None, ("A1",))
    token = security.issue_token(planner, settings)
    assert tokens.account(token) == planner
    checks = []
    monkeypatch.setattr(security, "_verified", lambda t, s: checks.append(t) or (planner, 0.0))
    assert tokens.account(token) == planner and checks == []  # recognised, not checked again

    monkeypatch.undo()
    later = time.time() + 120  # past its minute
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(HTTPException) as expired:
        tokens.account(token)
    assert expired.value.status_code == 401 and "expired" in str(expired.value.detail)

    forged = security.issue_token(planner, ServiceSettings(secret_key="x" * 40))
    for _ in range(2):
        with pytest.raises(HTTPException) as refused:
            tokens.account(forged)
        assert refused.value.status_code == 401
