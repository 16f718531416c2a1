"""The package installs anywhere: the wheel, in a fresh virtual environment outside the checkout.

The wheel is built from a copy of the repository's files (tracked, and new ones not ignored), so
nothing left in the checkout (an egg-info, a build/ folder) can stand in for what is missing.
It is installed with its dependencies from this machine's package index, into a clean venv (no
system site-packages, no editable install), and run from a temporary folder with no PYTHONPATH:
every module and data file `jenjang` reads must then come from the wheel. It generates a small
dataset, ingests it (the packaged migrations), trains and promotes both models (about 30 s on
500 people), and serves: the probes, a page and a stylesheet (the packaged templates and static
files), and a signed-in request answered by the champion the installed package registered.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
import urllib.parse
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("features", "training", "service")
PASSWORD = "a-long-packaging-password"

pytestmark = pytest.mark.slow


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def _clean_env(home: Path) -> dict[str, str]:
    """The environment without anything that would put the checkout or its settings in reach:
    no PYTHONPATH, no VIRTUAL_ENV, no JENJANG_* settings, pip's own config kept (the index)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JENJANG_", "PYTHON", "VIRTUAL_ENV", "MLFLOW_"))
    }
    env["HOME"] = os.environ.get("HOME", str(home))  # pip's cache and config
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _token(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urllib.parse.urlencode({"username": "pkg-admin", "password": PASSWORD})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", "/api/v1/auth/token", body, form)
    return str(json.loads(connection.getresponse().read())["access_token"])


def _a_person(work: Path) -> str:
    """Someone in service with a post open-ended at the data's extraction."""
    with sqlite3.connect(work / "data" / "jenjang.db") as database:
        (person,) = database.execute(
            "SELECT e.employee_id FROM employees e JOIN position_history h "
            "ON h.employee_id = e.employee_id WHERE e.exit_date IS NULL AND h.end_date IS NULL "
            "ORDER BY e.employee_id LIMIT 1"
        ).fetchone()
    return str(person)


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    started = time.monotonic()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    files = _repository_files()

    # 1. build from a copy of the repository's files
    source = tmp_path / "source"
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    env = _clean_env(tmp_path)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, source], tmp_path, env)
    (wheel,) = wheels.glob("jenjang-*.whl")

    # 2. every file of the packages is in the wheel, code and data alike, and so is the licence
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
        metadata = archive.read(f"jenjang-{version}.dist-info/METADATA").decode()
    wanted = {name for name in files if name.split("/")[0] in PACKAGES}
    assert not wanted - inside, f"left out of the wheel: {sorted(wanted - inside)}"
    assert f"jenjang-{version}.dist-info/licenses/LICENSE" in inside
    assert "License-Expression: Apache-2.0" in metadata

    # 3. a clean venv (no system or checkout packages), the wheel and its dependencies from the
    #    index this machine's pip is configured with
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", venv], tmp_path, env)
    python = venv / "bin" / "python"
    jenjang = venv / "bin" / "jenjang"
    _run([python, "-m", "pip", "install", "--quiet", wheel], tmp_path, env, timeout=600)

    # 4. run from a folder of its own: the packages come from the venv, never the checkout
    work = tmp_path / "work"
    work.mkdir()
    where = _run(
        [python, "-c", "import features, service, training; print(features.__file__)"], work, env
    )
    assert Path(where.strip()).is_relative_to(venv), where
    assert not Path(where.strip()).is_relative_to(ROOT), where

    assert _run([jenjang, "--version"], work, env).strip() == f"jenjang {version}"

    _run([jenjang, "data", "generate", "--employees", "500", "--out", "ds"], work, env)
    for table in ("employees", "positions", "evaluations", "training_records", "courses"):
        assert (work / "ds" / f"{table}.parquet").stat().st_size > 0, table
    assert any((work / "ds" / "truth").iterdir())

    _run([jenjang, "data", "ingest", "ds"], work, env)  # the packaged alembic migrations
    assert (work / "data" / "jenjang.db").stat().st_size > 0

    # a tiny train: both models registered by the installed package, then promoted
    _run([jenjang, "train", "all", "--truth", "ds"], work, env, timeout=600)
    for model in ("training-recs", "placement-success"):
        promoted = [jenjang, "models", "promote", model, "--truth", "ds", "--reason", "first"]
        _run(promoted, work, env, timeout=300)
    create = [jenjang, "users", "create", "pkg-admin", "--role", "admin", "--password-stdin"]
    done = subprocess.run(
        [str(a) for a in create], cwd=work, env=env, input=f"{PASSWORD}\n", text=True
    )
    assert done.returncode == 0

    # 5. serve (no model yet): the probes, a page from the packaged templates, the stylesheet
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(jenjang), "serve", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _get(port, "/health")
                if status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
        status, page = _get(port, "/masuk")
        assert status == 200 and b"<form" in page
        status, css = _get(port, "/static/style.css")
        assert status == 200 and css
        status, ready = _get(port, "/ready")
        assert status == 200, ready  # both champions loaded from the registry
        person = _a_person(work)
        status, answer = _get(port, f"/api/v1/employees/{person}/trainings?k=3", _token(port))
        assert status == 200, answer
        assert len(json.loads(answer)["items"]) == 3
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()

    print(f"packaging test: {time.monotonic() - started:.0f} s")
