"""The service's local copy of each champion's artifacts: downloaded whole, checked before use.

A version's artifacts are downloaded from the registry into ``<root>/<name>/<version>``: into a
hidden temporary folder first, with a ``SHA256SUMS`` file listing the sha256 of every file
(the format `sha256sum -c` reads), renamed into place when complete. Every load checks the
files against that list first. A copy whose bytes changed since it was written (a failing
disk, a half-finished copy by hand, a tampered file) is refused with a log line naming the
file, and is never loaded: while the registry answers, the damaged copy is set aside and
downloaded again; when it does not, the model is not loaded and `/ready` says so.

``<root>/<name>/current.json`` names the version that served last; the service loads that
one when the registry is unreachable at start. It is written whole (a temporary file renamed
over it), so a process killed while writing it leaves the previous one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow

log = logging.getLogger(__name__)

#: Beside a version's artifacts: "<sha256>  <path>" per file.
CHECKSUMS = "SHA256SUMS"
#: Beside a model's versions: the version that served last.
MARKER = "current.json"


class CacheDamaged(RuntimeError):
    """A cached copy whose files do not match their checksums (or that has none)."""


@dataclass(frozen=True)
class ModelCache:
    """The cached versions of every model under `root`."""

    root: Path

    def folder(self, name: str) -> Path:
        return self.root / name

    def fetch(self, name: str, version: str) -> Path:
        """The version's artifacts, checked: downloaded when missing, downloaded again when the
        copy in the cache is damaged. Raises CacheDamaged if even a fresh copy does not check."""
        folder = self.folder(name) / version
        if (folder / "MLmodel").exists():
            try:
                return verified(folder)
            except CacheDamaged as damage:
                log.error("%s v%s: %s; downloading it again", name, version, damage)
                _set_aside(folder)
        self._download(name, version)
        return verified(folder)

    def last_served(self, name: str) -> tuple[str, Path]:
        """The version that served last and its checked artifacts, for a start without the
        registry. Raises (FileNotFoundError, ValueError, CacheDamaged) when there is none that
        can be trusted: then the model is not loaded."""
        marker = self.folder(name) / MARKER
        version = str(json.loads(marker.read_text())["version"])
        folder = self.folder(name) / version
        try:
            return version, verified(folder)
        except CacheDamaged as damage:
            log.error("%s v%s: %s; not loaded", name, version, damage)
            raise

    def remember(self, name: str, version: str) -> None:
        """Mark `version` as the one to start from when the registry cannot be reached."""
        _write_whole(self.folder(name) / MARKER, json.dumps({"version": version}))

    def _download(self, name: str, version: str) -> None:
        """Download whole or not at all. Workers share the cache and start together: a
        complete folder another worker renamed into place first is kept (removing it could
        pull it from under that worker while it loads it)."""
        folder = self.folder(name) / version
        self.folder(name).mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self.folder(name)))
        try:
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{version}", dst_path=str(partial)
            )
            write_checksums(partial)
            if not (folder / "MLmodel").exists():
                shutil.rmtree(folder, ignore_errors=True)
                try:
                    partial.rename(folder)
                except OSError:  # another worker's complete copy arrived meanwhile
                    if not (folder / "MLmodel").exists():
                        raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)


def write_checksums(folder: Path) -> None:
    """List the sha256 of every file under `folder` in its `CHECKSUMS` file."""
    lines = [
        f"{_digest(path)}  {path.relative_to(folder).as_posix()}\n"
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != CHECKSUMS
    ]
    _write_whole(folder / CHECKSUMS, "".join(lines))


def verified(folder: Path) -> Path:
    """`folder` if every file its `CHECKSUMS` lists is there with the same sha256, else
    CacheDamaged naming the first that is not. Files the list does not name (caches Python
    writes while loading the model's code) are not read as the model and are left alone."""
    listing = folder / CHECKSUMS
    if not listing.exists():
        raise CacheDamaged(f"the cached copy in {folder} has no {CHECKSUMS}: it cannot be trusted")
    for line in listing.read_text().splitlines():
        expected, _, relative = line.partition("  ")
        path = folder / relative
        if not path.is_file() or _digest(path) != expected:
            raise CacheDamaged(
                f"the cached file {relative} does not match its sha256 in {folder / CHECKSUMS}"
            )
    return folder


def _digest(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _set_aside(folder: Path) -> None:
    """Move a damaged copy out of the way (one rename: no worker sees it half removed), then
    delete it."""
    aside = folder.with_name(f".damaged-{folder.name}-{time.time_ns()}")
    try:
        folder.rename(aside)
    except OSError:  # another worker set it aside first
        return
    shutil.rmtree(aside, ignore_errors=True)


def _write_whole(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
