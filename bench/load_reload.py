"""Load with reload (issue 19), run by bench/run.py or alone: ``python -m bench.load_reload``.

64 keep-alive connections ask for random active people's training recommendations (k=10) for
60 s, against `jenjang serve --workers 2` on PostgreSQL. At 20 s and at 40 s the champion of
training-recs moves to another version (the champion's source registered again, as a retrained
model would be, and the alias moved with its history row); each worker follows the registry by
itself (``JENJANG_RELOAD_POLL_SECONDS``). Reported: requests, failed requests (target 0),
p50/p95/p99 latency as the clients measured it (whole run and per phase), the versions that
answered before and after each move and, at the end, per worker (``/metrics``), and whether
every suggestion id a client received has its audit row.

Preparation, each `jenjang` command timed in its own process (as bench/cycle_steps.py): a
3,000-ASN dataset ingested into a fresh PostgreSQL database (dropped at the end), both models
trained and promoted, `jenjang score`. A few minutes on 2 cores. Alone, the section of
docs/benchmarks.md between its markers is replaced and the other figures are left alone.
"""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

from bench.harness import measure, replace_section
from bench.load_steps import _token, _wait_ready
from bench.reload_client import load, report_lines, versions_now, workers_versions
from bench.steps import cycle

START, END = "<!-- load-reload -->", "<!-- /load-reload -->"
JENJANG = str(Path(sys.executable).with_name("jenjang"))
#: The local server's maintenance database (trust auth), where the bench's own is created.
POSTGRES = os.environ.get(
    "JENJANG_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
EMPLOYEES, SEED = 3_000, 7
CONNECTIONS, SECONDS, MOVES_AT = 64, 60.0, (20.0, 40.0)
POLL_SECONDS, WORKERS, PORT = 2.0, 2, 8767
MODEL = "training-recs"


def reload_section(work: Path) -> list[str]:
    """Prepare, load, check; the section's lines (a line saying why, if PostgreSQL is not
    there). The bench's database is dropped whatever happens."""
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"jenjang_bench_reload_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        return _lines({"skipped": f"no PostgreSQL at {POSTGRES} ({type(error).__name__})"})
    url = sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    try:
        settings = _settings(work, url)
        prepared = prepare(work, settings)
        return _lines(prepared | run(work, settings))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _settings(work: Path, url: str) -> dict[str, str]:
    return {
        "JENJANG_DATABASE_URL": url,
        "JENJANG_TRACKING_URI": f"sqlite:///{work / 'reload-mlflow.db'}",
        "JENJANG_ARTIFACT_ROOT": str(work / "reload-artifacts"),
        "JENJANG_MODEL_CACHE_DIR": str(work / "reload-model-cache"),
        "JENJANG_ANSWERS_DIR": str(work / "reload-answers"),
        "JENJANG_RECORDS_CACHE": str(work / "reload-records"),
        "JENJANG_RELOAD_POLL_SECONDS": str(POLL_SECONDS),
        "COLUMNS": "200",
    }


def prepare(work: Path, settings: dict[str, str]) -> dict[str, Any]:
    """The served dataset with champions and the day's answers; seconds per command."""
    data = str(work / "reload-dataset")
    size = ["--employees", str(EMPLOYEES), "--seed", str(SEED)]
    commands = {
        "generate": ["data", "generate", *size, "--out", data],
        "ingest": ["data", "ingest", data],
        "train both": ["train", "all", "--truth", data],
        **{f"promote {m}": ["models", "promote", m, "--reason", "bench"] for m in _models()},
        "score": ["score"],
    }
    seconds = {}
    for label, command in commands.items():
        step = measure(cycle.command, argv=[JENJANG, *command], cwd=str(work), settings=settings)
        if step["result"]["code"] != 0:
            raise SystemExit(f"load with reload: {label} failed\n{step['result']['output']}")
        seconds[label] = step["seconds"]
    return {"prepared": seconds}


def _models() -> tuple[str, ...]:
    from training.contract import PLACEMENT_SUCCESS, TRAINING_RECS

    return (TRAINING_RECS, PLACEMENT_SUCCESS)


def run(work: Path, settings: dict[str, str]) -> dict[str, Any]:
    """Serve, load with two champion moves, stop; the figures and the audit check."""
    people = _people(settings)
    credentials = _admin(settings["JENJANG_DATABASE_URL"])
    log = (work / "reload-serve.log").open("w")
    server = subprocess.Popen(  # a group of its own, with its workers
        [JENJANG, "serve", "--port", str(PORT), "--workers", str(WORKERS)],
        env=os.environ | settings,
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = _wait_ready(server, limit=300, port=PORT)
        started += _wait_workers(limit=300)
        token = _token(credentials, PORT)
        copies = _register_copies(settings, len(MOVES_AT))
        scored: list[float] = []
        movers = _movers(settings, copies, scored)
        answers, moves = load(PORT, token, people, CONNECTIONS, SECONDS, movers)
        after = {
            "fresh connections": versions_now(PORT, token, people),
            "per worker (/metrics)": workers_versions(PORT, MODEL),
        }
        server.terminate()  # as an operator stops it; every answer's row is already committed
        server.wait(timeout=60)
    except BaseException:
        tail = (work / "reload-serve.log").read_text()[-3000:]
        print(f"load with reload failed; the service's log ends:\n{tail}", file=sys.stderr)
        raise
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        log.close()
    missing = answers.suggestions() - _audited(settings["JENJANG_DATABASE_URL"])
    return {"started": started, "answers": answers, "moves": moves, "after": after} | {
        "unaudited": len(missing),
        "people": len(people),
        "scored": scored,
    }


def _wait_workers(limit: float) -> float:
    """Seconds until every worker serves the champion (`/ready` is one worker's answer; the
    load must start on all of them)."""
    began = time.perf_counter()
    while len(workers_versions(PORT, MODEL)) < WORKERS:
        if time.perf_counter() - began > limit:
            raise SystemExit(f"load with reload: not every worker was ready in {limit:.0f} s")
        time.sleep(0.5)
    return time.perf_counter() - began


def _people(settings: dict[str, str]) -> list[str]:
    """Everyone the service describes on its date (the snapshot's active people)."""
    from features.store.database import create_db_engine
    from service.settings import ServiceSettings
    from service.state.snapshot import build_snapshot, service_date

    engine = create_db_engine(settings["JENJANG_DATABASE_URL"])
    served = ServiceSettings(database_url=settings["JENJANG_DATABASE_URL"])
    people = [str(p) for p in build_snapshot(engine, service_date(served, engine)).view.frame.index]
    engine.dispose()
    return people


def _admin(url: str) -> tuple[str, str]:
    from features.store.database import create_db_engine
    from service.access.accounts import create_user

    password = secrets.token_urlsafe(16)
    engine = create_db_engine(url)
    create_user(engine, "bench-reload", password, "admin")
    engine.dispose()
    return "bench-reload", password


def _register_copies(settings: dict[str, str], count: int) -> list[str]:
    """`count` new versions of the champion's source, registered before the load (as a
    training run registers a challenger); promoting one is then an alias move."""
    client = _client(settings)
    champion = client.get_model_version_by_alias(MODEL, "champion")
    return [
        str(
            client.create_model_version(
                MODEL, champion.source, champion.run_id, champion.tags
            ).version
        )
        for _ in range(count)
    ]


def _movers(
    settings: dict[str, str], versions: list[str], scored: list[float]
) -> list[tuple[float, Any]]:
    """When to promote which copy: (seconds into the load, the move). Each move is followed,
    as an operator follows a promotion, by `jenjang score --model training-recs` in the
    background, whose seconds go to `scored`: the workers attach the new version's answers at
    their next look (`ModelStore.attach_answers`)."""
    from features.store.database import create_db_engine
    from training import registry

    def score() -> None:
        began = time.perf_counter()
        command = [JENJANG, "score", "--model", MODEL]
        subprocess.run(command, env=os.environ | settings, capture_output=True, check=True)
        scored.append(time.perf_counter() - began)

    def promote(version: str) -> dict[str, str]:
        client = _client(settings)
        engine = create_db_engine(settings["JENJANG_DATABASE_URL"])
        previous = registry.alias_version(client, MODEL, registry.CHAMPION)
        move = registry.AliasMove(
            MODEL, registry.CHAMPION, version, previous, "bench", "load with reload"
        )
        registry.move_alias(client, engine, move)
        engine.dispose()
        threading.Thread(target=score, daemon=True).start()
        return {"from": str(previous), "version": version}

    return [(at, lambda v=v: promote(v)) for at, v in zip(MOVES_AT, versions, strict=True)]


def _client(settings: dict[str, str]) -> Any:
    from training import registry

    return registry.configure(
        registry.RegistrySettings(
            database_url=settings["JENJANG_DATABASE_URL"],
            tracking_uri=settings["JENJANG_TRACKING_URI"],
            artifact_root=settings["JENJANG_ARTIFACT_ROOT"],
        )
    )


def _audited(url: str) -> set[str]:
    import sqlalchemy as sa

    from features.store.database import create_db_engine

    engine = create_db_engine(url)
    with engine.connect() as connection:
        ids = {r[0] for r in connection.execute(sa.text("SELECT suggestion_id FROM audit_log"))}
    engine.dispose()
    return ids


def _lines(found: dict[str, Any]) -> list[str]:
    """The section of docs/benchmarks.md, between its markers."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    head = [START, "", "## Load with reload (PostgreSQL, two workers)", ""]
    if "skipped" in found:
        return [*head, f"Not measured: {found['skipped']}.", "", END]
    return [
        *head,
        f"Measured on {time.strftime('%Y-%m-%d')} ({machine}) by `python -m bench.load_reload` "
        f"(part of `make bench`): {CONNECTIONS} keep-alive connections of one Python client "
        f"process for {SECONDS:.0f} s, each asking `GET /api/v1/employees/{{id}}/trainings?k=10` "
        f"for random active people ({found['people']:,}) of a {EMPLOYEES:,}-ASN dataset (seed "
        f"{SEED}) on PostgreSQL, against `jenjang serve --workers {WORKERS}` with "
        f"`JENJANG_RELOAD_POLL_SECONDS={POLL_SECONDS:g}`; the champion of {MODEL} moved at "
        + " and ".join(f"{at:.0f} s" for at in MOVES_AT)
        + " to a new version (its source registered again). Latency as the client measured it, "
        "from sending a request to reading its whole answer, on the same 2-core machine.",
        "",
        *report_lines(found),
        "",
        "Before the first move the champion answers from the day's precomputed answers "
        "(`jenjang score`). A promoted version has none until `jenjang score --model "
        f"{MODEL}` has run after the promotion, as an operator runs it (here in the background, "
        "taking " + " and ".join(f"{x:.0f} s" for x in found["scored"]) + " under the load, "
        f"against {MOVES_AT[0]:.0f} s between moves); until then the model computes each answer "
        "on demand, and each worker attaches the answers at its next look once they are "
        "written (`ModelStore.attach_answers`). The latency after a move is mostly that wait, "
        "not the reload's.",
        "",
        END,
    ]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="jenjang-reload-"))
    try:
        lines = reload_section(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    replace_section(START, END, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
