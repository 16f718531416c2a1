"""The service under load, as its users run it: a real `jenjang serve` process on copies of the
served stores, asked by many keep-alive connections at once.

- A champion moved in the registry while 64 connections ask for 30 s: no request fails, and
  afterwards every worker answers with the new version.
- The audit log holds a row for every suggestion answered, none lost, when the server stops
  (SIGTERM) and when it is killed mid-load (SIGKILL): an answer leaves only once its row is
  committed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from features.store.database import create_db_engine
from service.access.accounts import create_user
from service.settings import ServiceSettings
from tests.factories.api import PASSWORD
from tests.service.test_model_moves import _copied
from training import registry
from training.contract import TRAINING_RECS

pytestmark = pytest.mark.slow


@dataclass
class Server:
    process: subprocess.Popen  # type: ignore[type-arg]
    port: int
    settings: ServiceSettings
    token: str = ""
    people: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """What the load's clients saw: each answer's status, model version and suggestion id."""

    answers: list[tuple[str, str]] = field(default_factory=list)  # (version, suggestion id)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve(scored: ServiceSettings, snapshot, tmp_path: Path) -> Iterator:  # type: ignore[no-untyped-def]
    """Start `jenjang serve` on copies of the served stores, with the champions' answers of the
    day precomputed (as `make demo` does); stopped (killed) at the end."""
    started: list[Server] = []
    people = [str(p) for p in snapshot.view.frame.index]

    def start(workers: int = 1, poll_seconds: float = 0.0) -> Server:
        settings = _copied(scored, tmp_path, reload_poll_seconds=poll_seconds)
        engine = create_db_engine(settings.database_url)
        create_user(engine, "load-admin", PASSWORD, "admin")
        engine.dispose()
        port = _free_port()
        env = serve_environment(settings, tmp_path / "cache", poll_seconds)
        jenjang = str(Path(sys.executable).parent / "jenjang")
        command = [jenjang, "serve", "--port", str(port), "--workers", str(workers)]
        process = subprocess.Popen(  # in a group of its own, with its worker processes
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        server = Server(process, port, settings, people=people)
        started.append(server)
        _wait_ready(server)
        server.token = _sign_in(server)
        return server

    yield start
    for server in started:  # the workers too: killing the supervisor alone would orphan them
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)


def serve_environment(
    settings: ServiceSettings, cache: Path, poll_seconds: float
) -> dict[str, str]:
    """The environment of a `jenjang serve` on `settings`' stores (its own model cache)."""
    return os.environ | {
        "JENJANG_DATABASE_URL": settings.database_url,
        "JENJANG_TRACKING_URI": settings.tracking_uri,
        "JENJANG_ARTIFACT_ROOT": settings.artifact_root,
        "JENJANG_MODEL_CACHE_DIR": str(cache),
        "JENJANG_ANSWERS_DIR": settings.answers_dir,
        "JENJANG_RELOAD_POLL_SECONDS": str(poll_seconds),
    }


def _wait_ready(server: Server, limit: float = 180.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert server.process.poll() is None, "the service stopped before it was ready"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            connection.request("GET", "/ready")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the service was not ready in time")


def _sign_in(server: Server) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body = f"username=load-admin&password={PASSWORD}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", "/api/v1/auth/token", body, headers)
    answer = connection.getresponse()
    assert answer.status == 200
    return str(json.loads(answer.read())["access_token"])


def _ask(server: Server, tally: Tally, stop: threading.Event, seed: int) -> None:
    """One client: a keep-alive connection asking for random people's trainings until `stop`
    (or until the server is gone: then it stops and says why)."""
    draw = random.Random(seed)
    headers = {"Authorization": f"Bearer {server.token}"}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    while not stop.is_set():
        person = draw.choice(server.people)
        try:
            connection.request("GET", f"/api/v1/employees/{person}/trainings?k=5", None, headers)
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as error:
            with tally.lock:
                tally.failures.append(f"{type(error).__name__}: {error}")
            return
        with tally.lock:
            if answer.status == 200:
                shown = json.loads(body)
                tally.answers.append((shown["model"]["version"], shown["suggestion_id"]))
            else:
                tally.failures.append(f"{answer.status}: {body[:200]!r}")


def _load(
    server: Server, connections: int
) -> tuple[Tally, threading.Event, list[threading.Thread]]:
    tally, stop = Tally(), threading.Event()
    clients = [
        threading.Thread(target=_ask, args=(server, tally, stop, i), daemon=True)
        for i in range(connections)
    ]
    for client in clients:
        client.start()
    return tally, stop, clients


def _audited(server: Server) -> set[str]:
    engine = create_db_engine(server.settings.database_url)
    with engine.connect() as connection:
        ids = {r[0] for r in connection.execute(sa.text("SELECT suggestion_id FROM audit_log"))}
    engine.dispose()
    return ids


def _versions_now(server: Server, asks: int = 60) -> set[str]:
    """The versions that answer new connections (uvicorn hands them to its workers in turn)."""
    seen = set()
    headers = {"Authorization": f"Bearer {server.token}"}
    for person in server.people[:asks]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("GET", f"/api/v1/employees/{person}/trainings?k=1", None, headers)
        answer = connection.getresponse()
        assert answer.status == 200
        seen.add(json.loads(answer.read())["model"]["version"])
        connection.close()
    return seen


def test_a_new_champion_reaches_every_worker_under_64_connections(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(workers=2, poll_seconds=1.0)
    client = registry.configure(server.settings)
    first = client.get_model_version(TRAINING_RECS, "1")
    second = client.create_model_version(
        TRAINING_RECS, first.source, run_id=first.run_id, tags=first.tags
    )
    new = str(second.version)
    tally, stop, clients = _load(server, 64)
    time.sleep(8)
    client.set_registered_model_alias(TRAINING_RECS, registry.CHAMPION, new)
    began = time.monotonic()
    while time.monotonic() - began < 90 and not any(v == new for v, _ in tally.answers):
        time.sleep(0.5)
    time.sleep(max(0.0, 22 - (time.monotonic() - began)))  # 30 s of load at least
    stop.set()
    for one in clients:
        one.join(timeout=60)

    assert tally.failures == []
    versions = {version for version, _ in tally.answers}
    assert versions == {"1", new}  # both served: the move happened under load
    assert _versions_now(server) == {new}
    server.process.terminate()
    server.process.wait(timeout=60)
    given = {suggestion for _, suggestion in tally.answers}
    assert len(given) == len(tally.answers) > 200
    assert given <= _audited(server)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_no_answered_suggestion_is_missing_from_the_audit_log_when_the_server_stops(
    serve,  # type: ignore[no-untyped-def]
    stop_signal: signal.Signals,
) -> None:
    """Stopped mid-load, gently or not: every answer a client received has its audit row, and
    no client got an error answer."""
    server = serve()
    tally, _, clients = _load(server, 16)
    time.sleep(6)
    server.process.send_signal(stop_signal)
    server.process.wait(timeout=60)
    for one in clients:
        one.join(timeout=60)

    given = {suggestion for _, suggestion in tally.answers}
    assert len(given) > 100
    assert given <= _audited(server)
    # no answer came back as an error: the clients only found the connection closed
    assert not [f for f in tally.failures if f[:3].isdigit()]
