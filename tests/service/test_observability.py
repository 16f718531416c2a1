"""An operator's view of one app, in process: request ids, `/metrics` and its scrape token, and
the log configuration every worker gets (`service.observability`). The running service with two
workers is tests/service/test_operations_view.py."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.observability.logs import log_config
from service.settings import ServiceSettings

TOKEN = "a-scrape-token-of-forty-characters-long"


@pytest.fixture(scope="module")
def app(served: ServiceSettings) -> Iterator[TestClient]:
    from service.app import create_app

    with TestClient(create_app(served.model_copy(update={"metrics_token": TOKEN}))) as client:
        yield client


def _samples(text: str, name: str) -> list:  # type: ignore[type-arg]
    return [s for f in text_string_to_metric_families(text) for s in f.samples if s.name == name]


def test_every_answer_carries_a_request_id_and_a_valid_one_given_is_kept(
    app: TestClient,
) -> None:
    ids = {
        app.get("/health").headers["x-request-id"],
        app.get("/api/v1/employees/E1").headers["x-request-id"],  # 401
        app.get("/no-such-page").headers["x-request-id"],
        app.post("/api/v1/plans", content=b"x" * 2_000_000).headers["x-request-id"],  # 413
    }
    assert len(ids) == 4 and all(len(i) == 32 for i in ids)
    mine = uuid.uuid4().hex
    assert app.get("/health", headers={"X-Request-ID": mine}).headers["x-request-id"] == mine
    forged = "E000000001; drop table"
    assert app.get("/health", headers={"X-Request-ID": forged}).headers["x-request-id"] != forged


def test_metrics_want_the_scrape_token_when_one_is_set(app: TestClient) -> None:
    assert app.get("/metrics").status_code == 401
    wrong = app.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"]
    right = app.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert right.headers["content-type"].startswith("text/plain")


def test_metrics_count_requests_per_route_template_and_status(app: TestClient) -> None:
    scrape = {"Authorization": f"Bearer {TOKEN}"}
    before = app.get("/metrics", headers=scrape).text
    for person in ("E1", "E2", "E3"):
        app.get(f"/api/v1/employees/{person}")  # no token: 401
    after = app.get("/metrics", headers=scrape).text

    def refused(text: str) -> float:
        return sum(
            s.value
            for s in _samples(text, "http_request_duration_seconds_count")
            if s.labels["handler"] == "/api/v1/employees/{employee_id}"
            and s.labels["status"] == "401"
        )

    assert refused(after) - refused(before) == 3  # one series for the route, not per person
    assert "E1" not in after
    handlers = {s.labels["handler"] for s in _samples(after, "http_requests_total")}
    assert "/metrics" not in handlers


def test_models_in_service_and_the_snapshot_are_in_the_metrics(app: TestClient) -> None:
    text = app.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    serving = {
        (s.labels["model"], s.labels["version"])
        for s in _samples(text, "jenjang_model_in_service")
        if s.value == 1
    }
    assert ("training-recs", "1") in serving and ("placement-success", "1") in serving
    (date,) = _samples(text, "jenjang_snapshot_date_seconds")
    assert date.value > 1.7e9  # a date in this century's twenties, not unset


def test_the_log_configuration_writes_json_lines_with_the_request_id() -> None:
    """The configuration `jenjang serve` hands every worker, applied to a logger here."""
    config = log_config("info", "json")
    stream = io.StringIO()
    config["handlers"]["out"]["stream"] = stream
    touched = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access")]
    saved = [(one, one.handlers[:], one.level, one.propagate) for one in touched]
    try:
        logging.config.dictConfig(config)
        logging.getLogger("service.example").info("reloaded %s", "training-recs")
    finally:
        for one, handlers, level, propagate in saved:
            one.handlers[:] = handlers
            one.setLevel(level)
            one.propagate = propagate
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "reloaded training-recs"
    assert line["level"] == "INFO" and line["logger"] == "service.example"
    assert line["request_id"] == "-" and isinstance(line["pid"], int)


def test_a_killed_workers_gauges_go_and_a_new_start_clears_only_metric_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed without a clean stop leaves its gauges in the shared folder: the next
    worker to start drops them. `serve` empties the folder of metric files only, so an
    operator who points it at a folder holding a database loses nothing."""
    from service.cli import _fresh_metrics_folder
    from service.observability.metrics import forget_dead_workers

    script = (
        "from service.observability.metrics import MODEL_IN_SERVICE, RELOADS\n"
        "MODEL_IN_SERVICE.labels('training-recs', '1', 'registry').set(1)\n"
        "RELOADS.labels('training-recs', 'loaded').inc()\n"
    )
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True)  # then gone, uncleanly
    assert list(tmp_path.glob("gauge_liveall_*.db")) and list(tmp_path.glob("counter_*.db"))
    (tmp_path / "jenjang.db").write_text("a database, not metrics")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert len(forget_dead_workers()) == 1
    assert not list(tmp_path.glob("gauge_liveall_*.db"))
    assert _fresh_metrics_folder() == str(tmp_path)
    assert not list(tmp_path.glob("counter_*.db"))
    assert (tmp_path / "jenjang.db").read_text() == "a database, not metrics"
