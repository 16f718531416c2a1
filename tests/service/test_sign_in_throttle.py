"""Sign-in throttling: an account locked after N refused sign-ins, an address refused after M,
both ending by themselves (a clock the tests move, no waiting); a locked account answered like
a wrong password; every attempt in the accounts' audit log with its address and never a
password; the count shared through the database (atomic under concurrent refusals), on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from features.store.database import create_db_engine, migrate, sign_in_throttle
from service.access import account_admin, sign_in
from service.access.accounts import create_user
from service.access.audit import UNKNOWN_USER
from service.access.revocation import Revoked, live_account, revoke
from service.access.sign_in import SignInRefused, Throttled, throttled_sign_in
from service.settings import ServiceSettings
from tests.factories.accounts import TOKEN, OwnService, events, own_service
from tests.factories.api import PASSWORD

ACCOUNT_LIMIT, ADDRESS_LIMIT, MINUTES = 3, 6, 15
LIMITS = {
    "sign_in_account_failures": ACCOUNT_LIMIT,
    "sign_in_address_failures": ADDRESS_LIMIT,
    "sign_in_window_minutes": MINUTES,
    "sign_in_lockout_minutes": MINUTES,
}


@dataclass
class Clock:
    """The throttle's clock, moved by the test."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock(sign_in.utc_now().replace(microsecond=0))
    monkeypatch.setattr(sign_in, "clock", moved)
    return moved


def failures(reason: str) -> float:
    return REGISTRY.get_sample_value("jenjang_sign_in_failures_total", {"reason": reason}) or 0.0


# --- through the service ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(
    served: ServiceSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnService]:
    with own_service(served, tmp_path_factory.mktemp("throttle"), **LIMITS) as running:
        yield running


def _try(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(TOKEN, data={"username": username, "password": password})


@pytest.mark.slow
def test_an_account_is_locked_after_n_refusals_then_unlocks_by_itself(
    service: OwnService, clock: Clock
) -> None:
    create_user(service.engine, "thr-locked", PASSWORD, "analyst")
    client = service.browser("10.0.0.1")
    wrong_name = _try(service.browser("10.0.0.9"), "thr-nobody", "not the password")
    before = failures("password"), failures("locked")
    for _ in range(ACCOUNT_LIMIT):
        wrong = _try(client, "thr-locked", "not the password")
        assert wrong.status_code == 401 and wrong.json() == wrong_name.json()
    locked = _try(client, "thr-locked", PASSWORD)  # the right password, while locked
    assert locked.status_code == 401 and locked.json() == wrong.json()  # tells nothing
    assert "locked for 15 minutes" in locked.json()["detail"]
    assert (failures("password"), failures("locked")) == (before[0] + ACCOUNT_LIMIT, before[1] + 1)
    until = account_admin.find_account(service.engine, "thr-locked").locked_until
    assert until == clock.now + dt.timedelta(minutes=MINUTES)

    clock.advance(minutes=MINUTES - 1)  # an attempt while locked does not extend the lock
    assert _try(client, "thr-locked", PASSWORD).status_code == 401
    clock.advance(minutes=1)
    assert _try(client, "thr-locked", PASSWORD).status_code == 200
    assert account_admin.find_account(service.engine, "thr-locked").locked_until is None
    outcomes = [(e["outcome"], e["address"]) for e in events(service.engine, "thr-locked")]
    assert outcomes == [("password", "10.0.0.1")] * 3 + [("locked", "10.0.0.1")] * 2 + [
        ("ok", "10.0.0.1")
    ]


@pytest.mark.slow
def test_the_pages_answer_a_locked_account_like_a_wrong_password(
    service: OwnService, clock: Clock
) -> None:
    create_user(service.engine, "thr-pages", PASSWORD, "analyst")
    browser = service.browser("10.0.0.2")
    form = {"username": "thr-pages", "password": "not the password"}
    wrong = [browser.post("/masuk", data=form) for _ in range(ACCOUNT_LIMIT)][-1]
    assert wrong.status_code == 401 and "Nama pengguna atau kata sandi salah." in wrong.text
    assert "akun dikunci 15 menit" in wrong.text
    locked = browser.post("/masuk", data=form | {"password": PASSWORD})
    assert locked.status_code == 401 and locked.text == wrong.text
    account_admin.enable(service.engine, "thr-pages", "test-admin")  # an admin lifts the lock
    signed = browser.post("/masuk", data=form | {"password": PASSWORD}, follow_redirects=False)
    assert signed.status_code == 303 and "jenjang_sesi" in browser.cookies


@pytest.mark.slow
def test_an_address_is_throttled_then_let_go(service: OwnService, clock: Clock) -> None:
    create_user(service.engine, "thr-victim", PASSWORD, "analyst")
    attacker, elsewhere = service.browser("10.0.0.3"), service.browser("10.0.0.4")
    before = failures("throttled")
    for i in range(ADDRESS_LIMIT - 1):
        assert _try(attacker, f"thr-guess-{i}", "a guessed password").status_code == 401
    assert _try(attacker, "thr-victim", PASSWORD).status_code == 200  # resets nothing
    assert _try(attacker, "thr-guess-last", "a guessed password").status_code == 401  # the Mth

    refused = _try(attacker, "thr-victim", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == str(MINUTES * 60)
    page = attacker.post("/masuk", data={"username": "thr-victim", "password": PASSWORD})
    assert page.status_code == 429 and "Terlalu banyak percobaan masuk" in page.text
    assert page.headers["retry-after"] == str(MINUTES * 60)
    assert failures("throttled") == before + 2
    assert _try(elsewhere, "thr-victim", PASSWORD).status_code == 200  # another address

    clock.advance(minutes=MINUTES, seconds=1)
    assert _try(attacker, "thr-victim", PASSWORD).status_code == 200
    with service.engine.connect() as connection:
        keys = set(connection.execute(sa.select(sign_in_throttle.c.key)).scalars())
    assert not any(key.startswith("thr-guess") for key in keys)  # unknown names are not kept


@pytest.mark.slow
def test_sign_ins_are_audited_with_address_and_never_a_password(
    service: OwnService, clock: Clock
) -> None:
    create_user(service.engine, "thr-audited", PASSWORD, "analyst")
    create_user(service.engine, "thr-off", PASSWORD, "analyst")
    account_admin.disable(service.engine, "thr-off", "test-admin")
    client = service.browser("10.0.0.5")
    wrong = _try(client, "thr-audited", "a-secret-typo-1")
    assert _try(client, "a-secret-typed-as-name", PASSWORD).json() == wrong.json()
    assert _try(client, "thr-off", PASSWORD).json() == wrong.json()  # disabled: the same answer
    assert _try(client, "thr-audited", PASSWORD).status_code == 200
    page = client.post("/masuk", data={"username": "thr-audited", "password": PASSWORD})
    assert page.status_code == 200

    rows = [e for e in events(service.engine) if e["address"] == "10.0.0.5"]
    seen = [(e["username"], e["event"], e["outcome"], e["detail"]["via"]) for e in rows]
    assert seen == [
        ("thr-audited", "sign_in", "password", "api"),
        (UNKNOWN_USER, "sign_in", "unknown", "api"),
        ("thr-off", "sign_in", "disabled", "api"),
        ("thr-audited", "sign_in", "ok", "api"),
        ("thr-audited", "sign_in", "ok", "pages"),
    ]
    everything = str(events(service.engine))
    for secret in ("a-secret-typo-1", "a-secret-typed-as-name", PASSWORD):
        assert secret not in everything
    last = account_admin.find_account(service.engine, "thr-audited").last_sign_in_at
    assert last == clock.now


# --- the throttle and revocation in the database, on both backends -------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, small_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "postgres":
        engine = request.getfixturevalue("postgres_engine")
        migrate(engine)
        yield engine
        return
    copy = tmp_path / "jenjang.db"
    shutil.copyfile(small_database.removeprefix("sqlite:///"), copy)
    engine = create_db_engine(f"sqlite:///{copy}")
    migrate(engine)
    yield engine
    engine.dispose()


def test_lock_and_revocation_in_the_database(engine: sa.Engine, clock: Clock) -> None:
    settings = ServiceSettings(secret_key="k" * 40, **LIMITS)  # type: ignore[arg-type]
    create_user(engine, "db-admin", PASSWORD, "admin")
    for _ in range(ACCOUNT_LIMIT):
        with pytest.raises(SignInRefused, match="password"):
            throttled_sign_in(engine, settings, "db-admin", "wrong password!", "a1", "api")
    with pytest.raises(SignInRefused, match="locked"):
        throttled_sign_in(engine, settings, "db-admin", PASSWORD, "a1", "api")
    clock.advance(minutes=MINUTES)
    account = throttled_sign_in(engine, settings, "db-admin", PASSWORD, "a1", "api")

    assert live_account(engine, "db-admin", account.version, "t1") == account
    revoke(engine, "t1", "db-admin", clock.now.timestamp() + 3600, "a1")
    revoke(engine, "t1", "db-admin", clock.now.timestamp() + 3600, "a1")  # twice: no error
    with pytest.raises(Revoked, match="revoked"):
        live_account(engine, "db-admin", account.version, "t1")
    assert live_account(engine, "db-admin", account.version, "t2") == account  # other sessions
    account_admin.disable(engine, "db-admin", "test")
    with pytest.raises(Revoked, match="disabled"):
        live_account(engine, "db-admin", account.version, "t2")
    account_admin.enable(engine, "db-admin", "test")
    with pytest.raises(Revoked, match="revoked"):
        live_account(engine, "db-admin", account.version, "t2")  # the version moved on
    with pytest.raises(Revoked, match="no longer exists"):
        live_account(engine, "db-nobody", 0, "t3")
    with pytest.raises(SignInRefused, match="unknown"):  # a NUL PostgreSQL would refuse
        throttled_sign_in(engine, settings, "db-\x00admin", PASSWORD, "a2", "api")

    for _ in range(ADDRESS_LIMIT):
        with pytest.raises(SignInRefused, match="unknown"):
            throttled_sign_in(engine, settings, "db-guess", "guess", "a3", "api")
    with pytest.raises(Throttled) as throttled:
        throttled_sign_in(engine, settings, "db-admin", PASSWORD, "a3", "api")
    assert throttled.value.retry_after == MINUTES * 60


def test_concurrent_refusals_lose_no_count(engine: sa.Engine, clock: Clock) -> None:
    """Workers count in the database with one atomic statement each: 8 refusals at once from
    one address are 8 in its count."""
    settings = ServiceSettings(
        secret_key="k" * 40, sign_in_address_failures=100, sign_in_account_failures=100
    )
    create_user(engine, "db-many", PASSWORD, "analyst")

    def refused(_: int) -> str:
        try:
            throttled_sign_in(engine, settings, "db-many", "wrong password!", "a2", "api")
        except SignInRefused as refusal:
            return refusal.reason
        return "signed in"

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(refused, range(8))) == {"password"}
    counts = sa.select(sign_in_throttle.c.key, sign_in_throttle.c.failures)
    with engine.connect() as connection:
        assert dict(connection.execute(counts).all()) == {"a2": 8, "db-many": 8}


def test_the_migration_goes_down_and_up_again(engine: sa.Engine) -> None:
    from alembic import command

    from features.store.database import alembic_config, current_revision

    create_user(engine, "db-kept", PASSWORD, "analyst")
    command.downgrade(alembic_config(engine), "0007")
    assert not sa.inspect(engine).has_table("account_events")
    assert current_revision(engine) == "0007"
    migrate(engine)
    assert sa.inspect(engine).has_table("account_events")
    with engine.connect() as connection:
        version = connection.execute(
            sa.text("SELECT token_version FROM users WHERE username = 'db-kept'")
        ).scalar_one()
    assert version == 0  # accounts kept, at version 0
