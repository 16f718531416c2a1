"""Accounts an admin manages: listed, disabled, enabled, given a new password or scope, from the
command line and from the admin's page; each change takes effect on the account's very next
request (API and pages), and signing out of the pages ends that session's token."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from features.store.database import create_db_engine, users
from features.store.settings import get_settings
from service.access import account_admin
from service.access.accounts import authenticate, create_user
from service.cli import app as cli
from service.settings import ServiceSettings
from tests.factories.accounts import OwnService, bearer, events, own_service, page_sign_in
from tests.factories.api import PASSWORD

NEW_PASSWORD = "another-long-password"


# --- each change takes effect on the next request ----------------------------------------------


@pytest.fixture(scope="module")
def service(
    served: ServiceSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnService]:
    with own_service(served, tmp_path_factory.mktemp("accounts")) as running:
        yield running


def _planner(service: OwnService, name: str) -> str:
    create_user(service.engine, name, PASSWORD, "hr_planner", agencies=(service.agency,))
    return name


@pytest.mark.slow
def test_a_disabled_accounts_token_is_refused_on_its_next_request_and_page(
    service: OwnService,
) -> None:
    name = _planner(service, "acct-disabled")
    headers = bearer(service.client, name)
    browser = service.browser()
    page_sign_in(browser, name)
    person = f"/api/v1/employees/{service.colleague}"
    assert service.client.get(person, headers=headers).status_code == 200
    assert browser.get("/posisi").status_code == 200

    account_admin.disable(service.engine, name, actor="test-admin")

    refused = service.client.get(person, headers=headers)
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    assert refused.headers["www-authenticate"] == "Bearer"
    page = browser.get("/posisi", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/masuk"
    again = service.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    assert again.status_code == 401  # the same answer as a wrong password
    account_admin.enable(service.engine, name, actor="test-admin")
    assert service.client.get(person, headers=headers).status_code == 401  # old tokens stay dead
    assert service.client.get(person, headers=bearer(service.client, name)).status_code == 200


@pytest.mark.slow
def test_a_rescoped_planner_loses_the_old_agency_at_once(service: OwnService) -> None:
    name = _planner(service, "acct-rescoped")
    headers = bearer(service.client, name)
    old, new = f"/api/v1/employees/{service.colleague}", f"/api/v1/employees/{service.outsider}"
    assert service.client.get(old, headers=headers).status_code == 200
    assert service.client.get(new, headers=headers).status_code == 404

    account_admin.set_scope(service.engine, name, None, (service.other_agency,), "test-admin")

    assert service.client.get(old, headers=headers).status_code == 401
    fresh = bearer(service.client, name)
    assert service.client.get(old, headers=fresh).status_code == 404  # out of scope now
    assert service.client.get(new, headers=fresh).status_code == 200


@pytest.mark.slow
def test_a_new_password_ends_the_old_tokens(service: OwnService) -> None:
    name = _planner(service, "acct-reset")
    headers = bearer(service.client, name)
    account_admin.reset_password(service.engine, name, NEW_PASSWORD, "test-admin")
    answer = service.client.get("/api/v1/agencies", headers=headers)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    wrong = service.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    assert wrong.status_code == 401
    fresh = bearer(service.client, name, NEW_PASSWORD)
    assert service.client.get("/api/v1/agencies", headers=fresh).status_code == 200


@pytest.mark.slow
def test_signing_out_ends_that_sessions_token_only(service: OwnService) -> None:
    name = _planner(service, "acct-signout")
    headers = bearer(service.client, name)
    leaving, staying = service.browser(), service.browser()
    page_sign_in(leaving, name)
    page_sign_in(staying, name)
    stolen = leaving.cookies["jenjang_sesi"]  # a copy someone kept of the session's cookie

    out = leaving.post("/keluar", follow_redirects=False)
    assert out.status_code == 303 and "jenjang_sesi" not in leaving.cookies

    replayed = TestClient(service.client.app, cookies={"jenjang_sesi": stolen})
    answer = replayed.get("/posisi", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/masuk"
    as_bearer = service.client.get(
        "/api/v1/agencies", headers={"Authorization": f"Bearer {stolen}"}
    )
    assert as_bearer.status_code == 401  # the same token through the API
    assert staying.get("/posisi").status_code == 200  # the other session goes on
    assert service.client.get("/api/v1/agencies", headers=headers).status_code == 200
    outs = [e for e in events(service.engine, name) if e["event"] == "sign_out"]
    assert len(outs) == 1 and outs[0]["actor"] == name and outs[0]["address"] == "testclient"


@pytest.mark.slow
def test_a_deleted_accounts_token_is_refused(service: OwnService) -> None:
    name = _planner(service, "acct-deleted")
    headers = bearer(service.client, name)
    with service.engine.begin() as connection:
        connection.execute(users.delete().where(users.c.username == name))
    answer = service.client.get("/api/v1/agencies", headers=headers)
    assert answer.status_code == 401 and "no longer exists" in answer.json()["detail"]


# --- the admin's page -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(service: OwnService) -> TestClient:
    """A signed-in admin on the pages."""
    create_user(service.engine, "acct-admin", PASSWORD, "admin")
    browser = service.browser()
    page_sign_in(browser, "acct-admin")
    return browser


@pytest.mark.slow
@pytest.mark.parametrize("role", ["asn", "hr_planner", "analyst"])
def test_the_account_pages_are_the_admins_only(service: OwnService, role: str) -> None:
    name = f"acct-not-admin-{role.replace('_', '-')}"
    scope = {
        "asn": {"employee_id": service.colleague},
        "hr_planner": {"agencies": (service.agency,)},
        "analyst": {},
    }[role]
    create_user(service.engine, name, PASSWORD, role, **scope)  # type: ignore[arg-type]
    _planner(service, f"{name}-target")
    browser = service.browser()
    page_sign_in(browser, name)
    assert browser.get("/akun").status_code == 403
    assert browser.get(f"/akun/{name}-target").status_code == 403
    refused = browser.post(f"/akun/{name}-target/nonaktifkan")
    assert refused.status_code == 403 and 'href="/akun"' not in refused.text  # not in the menu
    assert authenticate(service.engine, f"{name}-target", PASSWORD) is not None  # still active


@pytest.mark.slow
def test_the_admin_lists_accounts_and_disables_enables_one(
    service: OwnService, admin: TestClient
) -> None:
    name = _planner(service, "acct-by-page")
    headers = bearer(service.client, name)
    listing = admin.get("/akun")
    assert listing.status_code == 200 and 'href="/akun"' in listing.text  # in the admin's menu
    assert f'data-account="{name}"' in listing.text and "Perencana SDM" in listing.text
    assert "hr_planner" not in listing.text.split("<main>")[1]  # a word, not the code

    done = admin.post(f"/akun/{name}/nonaktifkan")
    assert done.status_code == 200 and done.url.path == f"/akun/{name}"
    assert "Akun dinonaktifkan" in done.text and 'id="status">nonaktif' in done.text
    assert service.client.get("/api/v1/agencies", headers=headers).status_code == 401
    assert "dinonaktifkan" in done.text.split('id="riwayat"')[1]  # its history says so

    enabled = admin.post(f"/akun/{name}/aktifkan")
    assert enabled.status_code == 200 and 'id="status">aktif' in enabled.text
    assert authenticate(service.engine, name, PASSWORD) is not None
    changes = [(e["event"], e["actor"]) for e in events(service.engine, name)]
    assert ("disabled", "acct-admin") in changes and ("enabled", "acct-admin") in changes
    assert admin.get("/akun/no-such-account").status_code == 404


@pytest.mark.slow
def test_the_admin_cannot_disable_themself(service: OwnService, admin: TestClient) -> None:
    refused = admin.post("/akun/acct-admin/nonaktifkan")
    assert refused.status_code == 422 and "akun Anda sendiri" in refused.text
    assert authenticate(service.engine, "acct-admin", PASSWORD) is not None


@pytest.mark.slow
def test_the_admin_replaces_a_password_or_is_told_why_not(
    service: OwnService, admin: TestClient
) -> None:
    name = _planner(service, "acct-page-password")
    headers = bearer(service.client, name)
    form = f"/akun/{name}/kata-sandi"
    differ = admin.post(form, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"})
    assert differ.status_code == 422 and "Kedua kata sandi tidak sama" in differ.text
    short = admin.post(form, data={"password": "short", "repeat": "short"})
    assert short.status_code == 422 and "minimal 10 karakter" in short.text
    assert service.client.get("/api/v1/agencies", headers=headers).status_code == 200  # unchanged
    done = admin.post(form, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 200 and "Kata sandi diganti" in done.text
    assert NEW_PASSWORD not in done.text
    assert service.client.get("/api/v1/agencies", headers=headers).status_code == 401
    assert authenticate(service.engine, name, NEW_PASSWORD) is not None


@pytest.mark.slow
def test_the_admin_changes_a_scope_or_is_told_why_not(
    service: OwnService, admin: TestClient
) -> None:
    name = _planner(service, "acct-page-scope")
    form = f"/akun/{name}/cakupan"
    page = admin.get(f"/akun/{name}")
    assert f'value="{service.agency}" checked' in page.text
    empty = admin.post(form, data={})
    assert empty.status_code == 422 and "minimal satu instansi" in empty.text
    forged = admin.post(form, data={"agency": ["NO-SUCH-AGENCY"]})
    assert forged.status_code == 422 and "NO-SUCH-AGENCY" in forged.text
    assert authenticate(service.engine, name, PASSWORD).agencies == (service.agency,)  # type: ignore[union-attr]
    done = admin.post(form, data={"agency": [service.agency, service.other_agency]})
    assert done.status_code == 200 and "Lingkup diubah" in done.text
    account = authenticate(service.engine, name, PASSWORD)
    assert account is not None and account.agencies == (service.agency, service.other_agency)
    admin.cookies.set("bahasa", "en")
    try:
        english = admin.get(f"/akun/{name}")
    finally:
        admin.cookies.delete("bahasa")
    assert "HR planner" in english.text and "Account history" in english.text


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def database(
    small_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sa.Engine]:
    """A copy of the small database, which the `jenjang` commands use."""
    copy = tmp_path / "jenjang.db"
    shutil.copyfile(small_database.removeprefix("sqlite:///"), copy)
    monkeypatch.setenv("JENJANG_DATABASE_URL", f"sqlite:///{copy}")
    get_settings.cache_clear()
    engine = create_db_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def _jenjang(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli, list(args), input=stdin)
    return done.exit_code, done.stdout, done.stderr


def _agencies(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(sa.text("SELECT agency_id FROM agencies ORDER BY 1")).scalars()
        )


def _row(engine: sa.Engine, username: str) -> sa.Row:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return connection.execute(sa.select(users).where(users.c.username == username)).one()


def test_users_list_disable_enable_from_the_command_line(database: sa.Engine) -> None:
    first, second = _agencies(database)[:2]
    create_user(database, "cli-planner", PASSWORD, "hr_planner", agencies=(first, second))
    create_user(database, "cli-analyst", PASSWORD, "analyst")
    code, out, _ = _jenjang("users", "list")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert lines["cli-planner"].split()[1:4] == ["hr_planner", "active", "never"]
    assert lines["cli-planner"].endswith(f"{first}, {second}")
    assert lines["cli-analyst"].endswith("aggregates only")

    code, out, _ = _jenjang("users", "disable", "cli-planner")
    assert code == 0 and "disabled cli-planner" in out
    assert authenticate(database, "cli-planner", PASSWORD) is None
    listed = [line.split() for line in _jenjang("users", "list")[1].splitlines()]
    assert ["cli-planner", "hr_planner", "disabled"] in [line[:3] for line in listed]
    code, out, _ = _jenjang("users", "enable", "cli-planner")
    assert code == 0 and authenticate(database, "cli-planner", PASSWORD) is not None
    actors = {e["actor"] for e in events(database, "cli-planner")}
    assert len(actors) == 1 and actors.pop().startswith("cli")


def test_users_reset_password_from_the_command_line(database: sa.Engine) -> None:
    create_user(database, "cli-reset", PASSWORD, "analyst")
    version = _row(database, "cli-reset").token_version
    args = ("users", "reset-password", "cli-reset", "--password-stdin")
    code, _, err = _jenjang(*args, stdin="short\n")
    assert code == 2 and "at least 10 characters" in err
    assert authenticate(database, "cli-reset", PASSWORD) is not None  # nothing written
    code, out, _ = _jenjang(*args, stdin=f"{NEW_PASSWORD}\n")
    assert code == 0 and NEW_PASSWORD not in out
    assert authenticate(database, "cli-reset", NEW_PASSWORD) is not None
    assert _row(database, "cli-reset").token_version == version + 1
    code, _, _ = _jenjang("users", "reset-password", "cli-reset", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0 and authenticate(database, "cli-reset", PASSWORD) is not None  # asked twice


def test_users_set_scope_from_the_command_line(database: sa.Engine) -> None:
    first, second = _agencies(database)[:2]
    with database.connect() as connection:
        person = connection.execute(sa.text("SELECT min(employee_id) FROM employees")).scalar_one()
    create_user(database, "cli-scope", PASSWORD, "hr_planner", agencies=(first,))
    create_user(database, "cli-asn", PASSWORD, "asn", employee_id=person)
    create_user(database, "cli-granted", PASSWORD, "analyst", agencies=(first,))
    code, out, _ = _jenjang(
        "users", "set-scope", "cli-scope", "--agency", second, "--agency", first
    )
    assert code == 0 and f"scope: {second}, {first}" in out
    assert _row(database, "cli-scope").agencies == [second, first]
    code, _, _ = _jenjang("users", "set-scope", "cli-granted", "--clear-agencies")
    assert code == 0 and _row(database, "cli-granted").agencies is None
    change = [e for e in events(database, "cli-scope") if e["event"] == "scope_changed"]
    assert change[0]["detail"] == {"employee_id": None, "agencies": [second, first]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "disable", "nobody-here"), "no account 'nobody-here'"),
        (("users", "enable", "nobody-here"), "no account 'nobody-here'"),
        (("users", "set-scope", "cli-bad", "--agency", "NO-SUCH"), "no agency 'NO-SUCH'"),
        (("users", "set-scope", "cli-bad"), "give the new scope"),
        (("users", "set-scope", "cli-bad", "--employee-id", "E1"), "only an asn account"),
        (("users", "set-scope", "cli-bad-asn", "--agency", "X"), "own record only"),
        (("users", "set-scope", "cli-bad-asn", "--employee-id", "E-NOPE"), "no employee 'E-NOPE'"),
        (("users", "set-scope", "cli-bad-admin", "--agency", "X"), "an admin"),
        (
            ("users", "create", "cli-boss", "--role", "boss", "--password-stdin"),
            "unknown role 'boss'",
        ),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    database: sa.Engine, args: tuple[str, ...], message: str
) -> None:
    (agency,) = _agencies(database)[:1]
    with database.connect() as connection:
        person = connection.execute(sa.text("SELECT min(employee_id) FROM employees")).scalar_one()
    create_user(database, "cli-bad", PASSWORD, "hr_planner", agencies=(agency,))
    create_user(database, "cli-bad-asn", PASSWORD, "asn", employee_id=person)
    create_user(database, "cli-bad-admin", PASSWORD, "admin")
    with database.connect() as connection:
        before = connection.execute(sa.select(users).order_by(users.c.username)).all()
    code, out, err = _jenjang(*args, stdin=f"{PASSWORD}\n")
    assert code == 2 and message in err and out == ""
    with database.connect() as connection:
        assert connection.execute(sa.select(users).order_by(users.c.username)).all() == before
    assert events(database) == []
