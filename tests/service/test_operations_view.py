"""What the BKD's operators see of a running service: `jenjang serve --workers 2`, as they run
it, asked by every role through the API and the pages (good requests, refused ones, bad input), an
admin's account pages and an ASN's download of their own data (NIP and name included).

- Every line the service writes is JSON with a level, a logger, the worker's pid and the request
  id; the lines of a request carry the id its answer returned, and both workers' lines are there
  (before, the workers never configured logging and their lines were lost).
- No NIP and no name of anyone in the dataset appears anywhere in those logs, although the
  planner was shown candidates' names.
- ``/metrics`` sums both workers: per route and status, the request counts are those the
  clients made, and each worker reports the models it serves.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from features.store.database import create_db_engine
from service.access.accounts import create_user
from service.settings import ServiceSettings
from tests.factories.api import PASSWORD
from tests.service.test_model_moves import _copied
from tests.service.test_under_load import _free_port, _wait_ready, serve_environment

pytestmark = pytest.mark.slow


@dataclass
class Session:
    """A server's port and log file, and what its clients asked and were answered."""

    port: int
    log: Path
    asked: Counter[tuple[str, str]] = field(default_factory=Counter)  # (route, status)
    request_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    bodies: dict[str, bytes] = field(default_factory=dict)  # by path, the last answer's

    def ask(
        self,
        method: str,
        path: str,
        route: str,
        *,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> http.client.HTTPResponse:
        """One request on a new connection (so uvicorn hands them to both workers)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, body, headers or {})
        answer = connection.getresponse()
        body = answer.read()
        with self.lock:
            self.bodies[path] = body
            self.asked[(route, str(answer.status))] += 1
            self.request_ids.append(answer.getheader("x-request-id", ""))
        connection.close()
        return answer


@dataclass(frozen=True)
class Scope:
    """Whom the walk asks about: an agency, its people and its pengawas posts."""

    agency: str
    people: list[str]
    posts: list[str]
    outsider: str


@pytest.fixture(scope="module")
def session(
    scored: ServiceSettings,
    snapshot,
    tmp_path_factory: pytest.TempPathFactory,  # type: ignore[no-untyped-def]
) -> Iterator[tuple[Session, ServiceSettings]]:
    """Two workers on copies of the served stores, logging to a file; accounts of each role."""
    frame, positions = snapshot.view.frame, snapshot.positions
    posts = positions[positions["family"] == "pengawas"]
    agency = str(posts["agency_id"].value_counts().index[0])
    scope = Scope(
        agency,
        [str(p) for p in frame.index[frame["agency_id"] == agency][:8]],
        [str(p) for p in posts.index[posts["agency_id"] == agency][:3]],
        str(frame.index[frame["agency_id"] != agency][0]),
    )
    folder = tmp_path_factory.mktemp("operations")
    settings = _copied(scored, folder)
    engine = create_db_engine(settings.database_url)
    create_user(engine, "ops-admin", PASSWORD, "admin")
    create_user(engine, "ops-planner", PASSWORD, "hr_planner", agencies=(agency,))
    create_user(engine, "ops-asn", PASSWORD, "asn", employee_id=scope.people[0])
    create_user(engine, "ops-analyst", PASSWORD, "analyst")
    engine.dispose()
    port = _free_port()
    env = serve_environment(settings, folder / "cache", 0) | {"JENJANG_LOG_FORMAT": "json"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = folder / "service.log"
    jenjang = str(Path(sys.executable).parent / "jenjang")
    with log.open("w") as out:
        process = subprocess.Popen(
            [jenjang, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = type("Server", (), {"process": process, "port": port})()
    try:
        _wait_ready(server)  # type: ignore[arg-type]
        one = Session(port, log)
        _walk(one, scope)
        yield one, settings
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # a clean stop: every line written
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _token(session: Session, username: str) -> dict[str, str]:
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    connection = http.client.HTTPConnection("127.0.0.1", session.port, timeout=60)
    connection.request("POST", "/api/v1/auth/token", body, form)
    answer = connection.getresponse()
    token = json.loads(answer.read())["access_token"]
    session.asked[("/api/v1/auth/token", str(answer.status))] += 1
    session.request_ids.append(answer.getheader("x-request-id", ""))
    return {"Authorization": f"Bearer {token}"}


def _cookie(session: Session, username: str) -> dict[str, str]:
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = session.ask("POST", "/masuk", "/masuk", body=body, headers=form)
    cookie = answer.getheader("set-cookie", "").split(";", 1)[0]
    return {"Cookie": cookie}


def _walk(session: Session, scope: Scope) -> None:
    """Every role's common requests, and some refused or malformed ones."""
    ask = session.ask
    admin, planner, asn = (_token(session, f"ops-{r}") for r in ("admin", "planner", "asn"))
    person = "/api/v1/employees/{employee_id}"
    with ThreadPoolExecutor(8) as pool:  # at once, so that both workers take some
        for who in scope.people:
            pool.submit(ask, "GET", f"/api/v1/employees/{who}", person, headers=admin)
            trainings = f"/api/v1/employees/{who}/trainings?k=5"
            pool.submit(ask, "GET", trainings, f"{person}/trainings", headers=admin)
    pages = _cookie(session, "ops-planner")
    for post in scope.posts:
        candidates = "/api/v1/positions/{position_id}/candidates"
        ask("GET", f"/api/v1/positions/{post}/candidates?k=5", candidates, headers=planner)
        ask("GET", f"/posisi/{post}", "/posisi/{position_id}", headers=pages)
    ask("GET", f"/api/v1/employees/{scope.people[0]}", person, headers=asn)
    ask("GET", f"/api/v1/employees/{scope.outsider}", person, headers=planner)  # out of scope
    ask("GET", f"/api/v1/employees/{scope.people[0]}", person)  # no token: 401
    ask("GET", "/api/v1/employees/NOBODY", person, headers=admin)
    nan = '{"position_ids": [NaN]}'
    ask("POST", "/api/v1/plans", "/api/v1/plans", body=nan, headers=planner | _JSON)
    mine = _cookie(session, "ops-asn")
    ask("GET", "/karier", "/karier", headers=mine)
    # the ASN's own data, NIP and name included, downloaded: in the answer, never in the log
    export = f"/api/v1/employees/{scope.people[0]}/export?format=json"
    ask("GET", export, f"{person}/export", headers=asn)
    ask("GET", "/karier/unduh?format=csv", "/karier/unduh", headers=mine)
    analyst = _token(session, "ops-analyst")
    boxes = "/api/v1/agencies/{agency_id}/talent-boxes"
    ask("GET", f"/api/v1/agencies/{scope.agency}/talent-boxes", boxes, headers=analyst)
    ask("GET", f"/api/v1/employees/{scope.people[0]}", person, headers=analyst)  # refused
    ask(
        "GET",
        f"/instansi/{scope.agency}",
        "/instansi/{agency_id}",
        headers=_cookie(session, "ops-analyst"),
    )
    admin_pages = _cookie(session, "ops-admin")
    ask("GET", "/akun", "/akun", headers=admin_pages)
    ask("GET", "/akun/ops-asn", "/akun/{username}", headers=admin_pages)
    ask("GET", "/", "/")
    ask("GET", "/health", "/health")


_JSON = {"Content-Type": "application/json"}


def _lines(session: Session) -> list[dict[str, object]]:
    text = session.log.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for number, line in enumerate(lines, 1):
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"line {number} of the service's output is not JSON: {line[:300]}")
    return parsed


def test_every_line_is_json_with_a_request_id_from_both_workers(
    session: tuple[Session, ServiceSettings],
) -> None:
    one, _ = session
    lines = _lines(one)
    assert lines and all({"time", "level", "logger", "pid", "request_id"} <= set(x) for x in lines)
    access = [x for x in lines if x["logger"] == "uvicorn.access"]
    assert len(access) >= sum(one.asked.values()) - 1  # the sign-ins of the fixture included
    assert {x["request_id"] for x in access} >= set(one.request_ids) - {""}
    assert all(len(str(i)) == 32 for i in one.request_ids), one.request_ids[:5]
    started = [x for x in lines if str(x["message"]).startswith("Started server process")]
    others = [(x["pid"], x["logger"], str(x["message"])[:80]) for x in lines if x not in access]
    assert len({x["pid"] for x in started}) == 2, f"both workers log: {others}"
    assert {x["pid"] for x in access} <= {x["pid"] for x in started}


def test_the_logs_hold_no_nip_and_no_name(session: tuple[Session, ServiceSettings]) -> None:
    one, settings = session
    engine = create_db_engine(settings.database_url)
    with engine.connect() as connection:
        people = connection.execute(sa.text("SELECT nip, name FROM employees")).all()
    engine.dispose()
    text = one.log.read_text()
    assert len(people) > 300
    export = next(body for path, body in one.bodies.items() if "/export" in path)
    nip, name = next((n, m) for n, m in people if str(n) in export.decode())
    assert name in export.decode()  # the service did handle personal data in this session
    leaked = [
        kind
        for nip, name in people
        for kind, value in (("nip", nip), ("name", name))
        if value and str(value) in text
    ]
    assert not leaked, f"{len(leaked)} personal values in the logs ({Counter(leaked)})"


def test_metrics_sum_both_workers_per_route_and_status(
    session: tuple[Session, ServiceSettings],
) -> None:
    one, _ = session
    answer = one.ask("GET", "/metrics", "/metrics")
    assert answer.status == 200
    connection = http.client.HTTPConnection("127.0.0.1", one.port, timeout=60)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    counted: Counter[tuple[str, str]] = Counter()
    for sample in families["http_requests"].samples:
        if sample.name == "http_requests_total":
            counted[(sample.labels["handler"], sample.labels["status"])] += int(sample.value)
    for (route, status), times in one.asked.items():
        if route != "/metrics":
            assert counted[(route, status)] == times, (route, status, counted)
    latency = families["http_request_duration_seconds"].samples
    assert any(
        s.name.endswith("_count")
        and s.labels["handler"] == "/api/v1/employees/{employee_id}"
        and s.labels["status"] == "401"
        for s in latency
    )
    served = families["jenjang_model_in_service"].samples
    assert len({s.labels["pid"] for s in served if s.value == 1}) == 2
