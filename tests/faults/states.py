"""What the fault tests compare before and after a fault: every table of a database (row count
and a digest of its rows), the registry (versions with their tags and aliases), and whether a
version's artifacts are complete; and a command run until a kill point, then killed."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from mlflow import MlflowClient

from features.store.database import create_db_engine
from service.settings import ServiceSettings

#: A registry nobody answers at (port 9, discard), failing fast with the `no_retries` fixture.
UNREACHABLE = "http://127.0.0.1:9"

#: The command line of this environment.
JENJANG = str(Path(sys.executable).parent / "jenjang")


def command_env(settings: ServiceSettings, records_cache: Path) -> dict[str, str]:
    """The environment of a `jenjang` command on `settings`' stores, with a records cache of
    its own (a cache an earlier run filled would skip the work a kill point aims at)."""
    return os.environ | {
        "JENJANG_DATABASE_URL": settings.database_url,
        "JENJANG_TRACKING_URI": settings.tracking_uri,
        "JENJANG_ARTIFACT_ROOT": settings.artifact_root,
        "JENJANG_MODEL_CACHE_DIR": settings.model_cache_dir,
        "JENJANG_ANSWERS_DIR": settings.answers_dir,
        "JENJANG_RECORDS_CACHE": str(records_cache),
    }


def database_state(url: str) -> dict[str, tuple[int, str]]:
    """Per table: its row count and a sha256 of its rows (sorted, so order does not count)."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            out = {}
            for name in sorted(sa.inspect(connection).get_table_names()):
                rows = connection.execute(sa.text(f'SELECT * FROM "{name}"')).all()
                text = "\n".join(sorted(repr(tuple(row)) for row in rows))
                out[name] = (len(rows), hashlib.sha256(text.encode()).hexdigest())
            return out
    finally:
        engine.dispose()


def registry_state(tracking_uri: str) -> dict[str, dict[str, Any]]:
    """Per registered model: its aliases and each version's tags and source."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    out = {}
    for model in client.search_registered_models():
        versions = client.search_model_versions(f"name = '{model.name}'")
        out[model.name] = {
            "aliases": {
                a: str(v) for a, v in client.get_registered_model(model.name).aliases.items()
            },
            "versions": {
                str(v.version): {"tags": dict(v.tags), "source": v.source} for v in versions
            },
        }
    return out


def incomplete_versions(tracking_uri: str) -> list[str]:
    """Registered versions whose artifacts lack the model (its MLmodel or its joblib file)."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    missing = []
    for model in client.search_registered_models():
        for version in client.search_model_versions(f"name = '{model.name}'"):
            folder = _artifacts(client, version.source)
            complete = (folder / "MLmodel").exists() and any(folder.rglob("*.joblib"))
            if not complete:
                missing.append(f"{model.name} v{version.version}")
    return missing


def _artifacts(client: MlflowClient, source: str) -> Path:
    """The local folder of a version's artifacts (a ``models:/<id>`` source, file store)."""
    location = client.get_logged_model(source.removeprefix("models:/")).artifact_location
    return Path(location.removeprefix("file://"))


@dataclass
class Killed:
    """A command run until its kill point: its output, and whether the kill came before it
    finished by itself."""

    output: str
    killed: bool
    seconds: float
    lines: list[str] = field(default_factory=list)


def run_and_kill(
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    marker: str | None,
    delay: float,
    limit: float = 240.0,
) -> Killed:
    """Run `command`; `delay` seconds after `marker` appears in its output (or after its start
    when `marker` is None), kill its whole process group with SIGKILL, as `kill -9` would.
    The output is read as it comes (stdout and stderr together, unbuffered)."""
    start = time.monotonic()
    process = subprocess.Popen(
        command,
        env=env | {"PYTHONUNBUFFERED": "1"},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if marker is not None and marker in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if marker is None:
        seen.set()
    while not seen.wait(0.01):
        if process.poll() is not None or time.monotonic() - start > limit:
            break
    if seen.is_set():
        time.sleep(delay)
    killed = process.poll() is None
    if killed:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    reader.join(timeout=30)
    return Killed("".join(lines), killed, time.monotonic() - start, lines)


def run_to_end(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """Run `command` to its end (the rerun after a kill)."""
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
