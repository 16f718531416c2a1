"""Load test of the service (issue 5), run by bench/run.py or on its own.

The API runs in its own process (`jenjang serve`, one uvicorn worker) on 127.0.0.1 over the
benchmark's database and champions; wrk, another process, sends requests for a bounded time at
1, 16 and 64 connections to three endpoints: the trivial ``/health`` (the framework's ceiling on
this machine), training recommendations of random active employees, and ranked candidates for
random structural posts, both signed in as an admin. Every suggestion request also writes its
audit-log row, as in production. Reported: requests/s, p50 and p99 latency, and errors.

On its own (against the database and registry of the JENJANG_* settings, e.g. the demo's):
``python -m bench.load_steps [WORKERS]``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.harness import ROOT

CONNECTIONS = (1, 16, 64)
SECONDS = 10
PORT = 8765
BARE_PORT = 8766
#: Targets of issue 17: p99 at 16 connections and throughput against /health (training
#: recommendations), p99 of candidates, /health against a bare FastAPI app, a worker's memory.
P99_TARGET_MS = 20.0
THROUGHPUT_SHARE = 0.50
CANDIDATES_P99_MS = 50.0
BARE_SHARE = 0.80
RSS_TARGET_MIB = 1536

#: The framework's own ceiling: a FastAPI app with the service's /health alone, run by uvicorn
#: as `jenjang serve` runs the service (one worker, access log at level info).
BARE_APP = """
from fastapi import FastAPI
import uvicorn

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port={port}, log_level="info")
"""

LUA = """
local paths = {paths}
local token = "{token}"
request = function()
  local path = paths[math.random(#paths)]
  return wrk.format("GET", path, {{["Authorization"] = "Bearer " .. token}})
end
"""


def load_rows(
    url: str, tracking: str, artifacts: str, work: Path, workers: int = 1
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Start the service (`workers` processes), load it with wrk, stop it; table rows and the
    figures."""
    env = os.environ | {
        "JENJANG_DATABASE_URL": url,
        "JENJANG_TRACKING_URI": tracking,
        "JENJANG_ARTIFACT_ROOT": artifacts,
        "JENJANG_MODEL_CACHE_DIR": str(work / "service-cache"),
        "JENJANG_ANSWERS_DIR": str(work / "answers"),
    }
    people, posts, credentials = _prepare(url)
    jenjang = str(Path(sys.executable).parent / "jenjang")
    began = time.perf_counter()
    subprocess.run([jenjang, "score"], env=env, cwd=ROOT, check=True, capture_output=True)
    scored = time.perf_counter() - began
    bare = _bare(work)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jenjang"),
            "serve",
            "--port",
            str(PORT),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = _wait_ready(server)
        token = _token(credentials)
        endpoints = {
            "trivial (/health)": ["/health"],
            "training recommendations (k=10)": [
                f"/api/v1/employees/{p}/trainings?k=10" for p in people
            ],
            "candidates for a post (k=10)": [
                f"/api/v1/positions/{p}/candidates?k=10" for p in posts
            ],
        }
        figures = {
            name: {c: _wrk(paths, token, c, work) for c in CONNECTIONS}
            for name, paths in endpoints.items()
        }
        rss = _rss_mib(server.pid) if workers == 1 else float("nan")
        bare_health = _wrk(["/health"], token, 16, work, BARE_PORT)
    finally:
        server.terminate()
        server.wait(timeout=60)
        bare.terminate()
        bare.wait(timeout=60)
    extra = {"score_seconds": scored, "rss_mib": rss, "bare": bare_health}
    return _rows(figures, started, workers, extra), {
        "figures": figures,
        "start_seconds": started,
    } | extra


def _bare(work: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    """A bare FastAPI app on `BARE_PORT`, ready to answer."""
    script = work / "bare_app.py"
    script.write_text(BARE_APP.replace("{port}", str(BARE_PORT)))
    bare = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{BARE_PORT}/health", timeout=2):
                return bare
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the bare FastAPI app did not start")


def _rss_mib(pid: int) -> float:
    """A process's resident memory now (MiB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _prepare(url: str) -> tuple[list[str], list[str], tuple[str, str]]:
    """Random active people and structural posts to ask about, and a bench admin account."""
    import sqlalchemy as sa

    from features.store.database import create_db_engine
    from features.view import STRUCTURAL_FAMILIES
    from service.access.accounts import demo_accounts

    engine = create_db_engine(url)
    today = dt.date.today()
    query = sa.text(
        "SELECT DISTINCT h.employee_id FROM position_history h "
        "JOIN employees e ON e.employee_id = h.employee_id "
        "WHERE h.start_date <= :d AND (h.end_date IS NULL OR h.end_date > :d) "
        "AND (e.exit_date IS NULL OR e.exit_date > :d)"
    )
    families = ", ".join(f"'{f}'" for f in STRUCTURAL_FAMILIES)
    with engine.connect() as connection:
        people = sorted(r[0] for r in connection.execute(query, {"d": today}))
        posts = sorted(
            r[0]
            for r in connection.execute(
                sa.text(f"SELECT position_id FROM positions WHERE family IN ({families})")
            )
        )
    admin, password = next((a, p) for a, p in demo_accounts(engine, today) if a.role == "admin")
    engine.dispose()
    draw = random.Random(0)
    return (
        draw.sample(people, min(2000, len(people))),
        draw.sample(posts, min(300, len(posts))),
        (
            admin.username,
            password,
        ),
    )


def _wait_ready(
    server: subprocess.Popen,  # type: ignore[type-arg]
    limit: float = 900.0,
    port: int = PORT,
) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        if server.poll() is not None:
            raise SystemExit(
                f"the service stopped:\n{server.stderr.read() if server.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as answer:
                if answer.status == 200:
                    return time.perf_counter() - began
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit("the service was not ready in time")


def _token(credentials: tuple[str, str], port: int = PORT) -> str:
    data = urllib.parse.urlencode({"username": credentials[0], "password": credentials[1]})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token", data=data.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(json.loads(answer.read())["access_token"])


def _wrk(
    paths: list[str], token: str, connections: int, work: Path, port: int = PORT
) -> dict[str, Any]:
    script = Path(tempfile.mkstemp(suffix=".lua", dir=work)[1])
    table = "{" + ", ".join(json.dumps(p) for p in paths) + "}"
    script.write_text(LUA.format(paths=table, token=token))
    threads = min(2, connections)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{SECONDS}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return _parse(done.stdout)


def _parse(text: str) -> dict[str, Any]:
    """Requests/s, p50 and p99 (ms) and error count from wrk's report."""

    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {
        "rps": rate,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def _rows(
    figures: dict[str, dict[int, dict[str, Any]]],
    started: float,
    workers: int,
    extra: dict[str, Any],
) -> list[tuple[str, str]]:
    processes = f"{workers} worker process{'es' if workers > 1 else ''}"
    rows = [
        (
            "`jenjang score`: the day's training recommendations of everyone, precomputed",
            f"{extra['score_seconds']:.0f} s",
        ),
        (
            "service start on the province (snapshot, both champions loaded, the day's "
            f"answers read; {processes})",
            f"{started:.1f} s until /ready (target ≤ 10: {_ok(started <= 10)})",
        ),
    ]
    trivial = figures["trivial (/health)"]
    for name, by_connections in figures.items():
        for connections, f in by_connections.items():
            share = f["rps"] / trivial[connections]["rps"]
            errors = f", {f['non_2xx']} non-2xx" if f["non_2xx"] else ""
            rows.append(
                (
                    f"load: {name}, {connections} connection{'s' if connections > 1 else ''}, "
                    f"{SECONDS} s, {processes}",
                    f"{f['rps']:,.0f} req/s ({share:.0%} of trivial), p50 {f['p50_ms']:.1f} ms, "
                    f"p99 {f['p99_ms']:.1f} ms{errors}",
                )
            )
    recs = figures["training recommendations (k=10)"][16]
    share = recs["rps"] / trivial[16]["rps"]
    candidates = figures["candidates for a post (k=10)"][16]
    bare = extra["bare"]
    health = trivial[16]["rps"] / bare["rps"]
    rows += [
        (
            "load: a bare FastAPI app's /health, 16 connections, same run",
            f"{bare['rps']:,.0f} req/s, p50 {bare['p50_ms']:.1f} ms, p99 {bare['p99_ms']:.1f} ms",
        ),
        (
            f"targets at 16 connections ({processes})",
            f"training recommendations p99 {recs['p99_ms']:.1f} ms (target ≤ "
            f"{P99_TARGET_MS:.0f}: {_ok(recs['p99_ms'] <= P99_TARGET_MS)}) and {share:.0%} of "
            f"/health's req/s (target ≥ {THROUGHPUT_SHARE:.0%}: "
            f"{_ok(share >= THROUGHPUT_SHARE)}); candidates p99 {candidates['p99_ms']:.1f} ms "
            f"(target ≤ {CANDIDATES_P99_MS:.0f}: "
            f"{_ok(candidates['p99_ms'] <= CANDIDATES_P99_MS)}); /health at {health:.0%} of "
            f"the bare app (target ≥ {BARE_SHARE:.0%}: {_ok(health >= BARE_SHARE)})",
        ),
        (
            "service memory after the load (resident, one worker)",
            f"{extra['rss_mib']:,.0f} MiB (target ≤ {RSS_TARGET_MIB:,}: "
            f"{_ok(extra['rss_mib'] <= RSS_TARGET_MIB)})",
        ),
    ]
    return rows


def _ok(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    from training.registry import get_registry_settings

    settings = get_registry_settings()
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with tempfile.TemporaryDirectory(prefix="jenjang-load-") as folder:
        rows, _ = load_rows(
            settings.database_url,
            settings.tracking_uri,
            settings.artifact_root,
            Path(folder),
            workers,
        )
    for what, figure in rows:
        print(f"| {what} | {figure} |")
