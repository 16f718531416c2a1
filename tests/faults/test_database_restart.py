"""PostgreSQL stopped and started again under load, with a real `jenjang serve` in front of it.

The server is a throwaway cluster of this test's own (initdb in a temporary folder, a free
port), never the machine's shared PostgreSQL. While it is down every request gets a clean 503
(a Problem body and Retry-After on the API, an error page on the pages), none a 500, none waits
past its timeout, and `/ready` says the database is unreachable. Once it is back the service
answers 200 again by itself, without a restart, and every answer it gave has its audit row.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from features.ingest.upsert import ingest_folder
from features.store.database import audit_log, create_db_engine
from service.access.accounts import create_user
from service.settings import ServiceSettings
from service.state.snapshot import Snapshot
from tests.factories.api import PASSWORD
from tests.faults.cluster import Cluster, free_port
from tests.faults.states import JENJANG

# not marked `postgres`: it needs PostgreSQL's programs, not the shared server on port 5432
pytestmark = pytest.mark.slow

#: No request may take longer than this, database down or not.
REQUEST_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[Cluster]:
    """A running throwaway cluster (a few seconds to make); stopped and removed afterwards.
    If it cannot be made, the test fails and says why: it is not skipped."""
    cluster = Cluster.create()
    try:
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError):
            cluster.stop("immediate")
        shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture
def database(private_postgres: Cluster, small_dataset: Path) -> str:
    """The small dataset ingested into a database of the private cluster, with an admin."""
    admin = sa.create_engine(private_postgres.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text('CREATE DATABASE "jenjang"'))
    admin.dispose()
    url = private_postgres.url("jenjang")
    engine = create_db_engine(url)
    ingest_folder(small_dataset, engine)
    create_user(engine, "fault-admin", PASSWORD, "admin")
    engine.dispose()
    return url


@dataclass
class Server:
    process: subprocess.Popen  # type: ignore[type-arg]
    port: int
    log: Path

    def ask(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body, headers or {})
            answer = connection.getresponse()
            received = {name.lower(): value for name, value in answer.getheaders()}
            return answer.status, received, answer.read()
        finally:
            connection.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def server(database: str, stores: ServiceSettings, tmp_path: Path) -> Iterator[Server]:
    """`jenjang serve` on the private database and a copy of the served registry, following
    the database every second (its watcher, too, must live through the outage)."""
    port = free_port()
    env = os.environ | {
        "JENJANG_DATABASE_URL": database,
        "JENJANG_TRACKING_URI": stores.tracking_uri,
        "JENJANG_ARTIFACT_ROOT": stores.artifact_root,
        "JENJANG_MODEL_CACHE_DIR": stores.model_cache_dir,
        "JENJANG_ANSWERS_DIR": stores.answers_dir,
        "JENJANG_RELOAD_POLL_SECONDS": "1",
    }
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [JENJANG, "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(process, port, log)
    try:
        _wait_until_ready(running, limit=180)
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _wait_until_ready(server: Server, limit: float) -> float:
    """Seconds until `/ready` said 200."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        assert server.process.poll() is None, f"the service stopped:\n{server.output()}"
        with contextlib.suppress(OSError, http.client.HTTPException):
            if server.ask("GET", "/ready")[0] == 200:
                return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"the service was not ready in {limit} s:\n{server.output()}")


@dataclass(frozen=True)
class Answer:
    started: float
    ended: float
    status: int  # 0: no answer at all (the connection failed or timed out)
    detail: str
    retry_after: str | None
    suggestion_id: str | None


@dataclass
class Load:
    """Clients asking for random people's training suggestions until stopped."""

    server: Server
    token: str
    people: list[str]
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, clients: int) -> Load:
        for seed in range(clients):
            thread = threading.Thread(target=self._client, args=(seed,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def finish(self) -> list[Answer]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=REQUEST_TIMEOUT * 2)
        return self.answers

    def _client(self, seed: int) -> None:
        draw = random.Random(seed)
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self.stop.is_set():
            path = f"/api/v1/employees/{draw.choice(self.people)}/trainings?k=5"
            started = time.monotonic()
            try:
                status, answer_headers, body = self.server.ask("GET", path, headers=headers)
            except (OSError, http.client.HTTPException) as error:
                self.answers.append(Answer(started, time.monotonic(), 0, repr(error), None, None))
                continue
            content = json.loads(body)
            detail = content.get("detail", "") if status != 200 else ""
            suggestion = content.get("suggestion_id") if status == 200 else None
            retry = answer_headers.get("retry-after")
            self.answers.append(
                Answer(started, time.monotonic(), status, str(detail), retry, suggestion)
            )
            time.sleep(0.02)


def _sign_in(server: Server) -> str:
    body = f"username=fault-admin&password={PASSWORD}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, answer = server.ask("POST", "/api/v1/auth/token", body, form)
    assert status == 200, answer
    return str(json.loads(answer)["access_token"])


def test_the_service_answers_503_while_postgres_is_down_and_recovers_by_itself(
    private_postgres: Cluster, database: str, server: Server, served_snapshot: Snapshot
) -> None:
    people = [str(person) for person in served_snapshot.view.frame.index]  # the same data
    load = Load(server, _sign_in(server), people).start(clients=6)
    time.sleep(1.5)
    private_postgres.stop("fast")
    stopped = time.monotonic()
    time.sleep(0.5)
    ready = server.ask("GET", "/ready")
    api_sign_in = server.ask(
        "POST",
        "/api/v1/auth/token",
        f"username=fault-admin&password={PASSWORD}",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    page_sign_in = server.ask(
        "POST",
        "/masuk",
        f"username=fault-admin&password={PASSWORD}",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    time.sleep(2.0)
    starting = time.monotonic()
    private_postgres.start()
    recovered = time.monotonic() + _wait_until_ready(server, limit=60)
    ready_again = server.ask("GET", "/ready")
    time.sleep(1.5)
    answers = load.finish()

    assert ready[0] == 503 and json.loads(ready[2])["database"].startswith("unreachable")
    assert ready_again[0] == 200 and json.loads(ready_again[2])["database"] == "ok"
    assert api_sign_in[0] == 503 and json.loads(api_sign_in[2])["detail"].startswith("the data")
    assert page_sign_in[0] == 503 and page_sign_in[1]["content-type"].startswith("text/html")
    assert "retry-after" in api_sign_in[1] and "retry-after" in page_sign_in[1]
    statuses = {answer.status for answer in answers}
    assert statuses <= {200, 503}, [a for a in answers if a.status not in (200, 503)][:5]
    assert max(answer.ended - answer.started for answer in answers) < REQUEST_TIMEOUT
    down = [a for a in answers if stopped < a.started and a.ended < starting]
    assert len(down) >= 6 and {a.status for a in down} == {503}
    problem = {"the database is unavailable; try again shortly"}
    assert {a.detail for a in down} == problem and {a.retry_after for a in down} == {"5"}
    after = [a for a in answers if a.started > recovered]
    assert len(after) >= 6 and {a.status for a in after} == {200}, server.output()
    # nothing lost: every suggestion answered, before or after the outage, is in the audit log
    answered = {a.suggestion_id for a in answers if a.status == 200}
    engine = create_db_engine(database)
    with engine.connect() as connection:
        logged = {row[0] for row in connection.execute(sa.select(audit_log.c.suggestion_id))}
    engine.dispose()
    assert answered and answered <= logged
