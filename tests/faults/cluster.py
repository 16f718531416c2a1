"""A throwaway PostgreSQL cluster for a test: initdb in a temporary folder, a free port, local
users trusted; started, stopped ("fast": as an operator restarting it) and started again at
will. Never the machine's shared server."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _binary(name: str) -> str:
    """A PostgreSQL program from PATH or Debian's versioned folder; a clear failure if none."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"{name} (PostgreSQL's server programs) is not installed")
    return found


@dataclass
class Cluster:
    """A PostgreSQL cluster in a folder of its own, on its own port, trusting local users.
    PostgreSQL refuses to run as root: as root, it runs as an unprivileged account."""

    folder: Path
    port: int = field(default_factory=free_port)
    user: str | None = None

    @classmethod
    def create(cls) -> Cluster:
        folder = Path(tempfile.mkdtemp(prefix="jenjang-postgres-"))
        user = None
        if os.geteuid() == 0:
            user = "postgres" if _has_account("postgres") else "nobody"
            account = pwd.getpwnam(user)
            os.chown(folder, account.pw_uid, account.pw_gid)
        cluster = cls(folder, user=user)
        cluster._run(
            _binary("initdb"), "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        with (cluster.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {cluster.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\nfsync = off\nmax_connections = 40\n"
            )
        return cluster

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            command, user=self.user, cwd=self.folder, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({done.returncode}): {done.stdout}{done.stderr}"
                + (log.read_text()[-2000:] if log.exists() else "")
            )


def _has_account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
