"""The promotion gate's evaluations, kept once computed.

The gate (`training.promotion.compare`) asks how a challenger and the champion do on the
challenger's held-out cycle. The answer depends on nothing but the version, the cycle, the data
snapshot, the people evaluated, the hidden truth used and the code that evaluates: with all of
them equal it is the same number every time, and computing it costs most of a minute per model
at province scale. So each answer is kept in a small JSON file per question, beside the records
cache of the same database, and asked again it is read back: `jenjang models promote`, which
compares once more before it moves the alias, then costs seconds instead of a minute.

A changed line of the training or features packages, or of their reference data, changes the
question (`code_version`), so an answer is never read by code that would compute it otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Question:
    """What one evaluation answers: a model version on a held-out cycle of a data snapshot."""

    model: str
    version: str
    run_id: str  # the version's run: a recreated registry numbers new models from 1 again
    test_year: int
    snapshot_id: str
    people: int | None  # a random sample of this many, or None for everyone
    truth: str  # the hidden truth's folder, or "none"

    def file(self, folder: Path) -> Path:
        text = json.dumps(dataclasses.asdict(self) | {"code": code_version()}, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return folder / f"{self.model}-v{self.version}-{self.test_year}-{digest}.json"


def known(question: Question, folder: Path | None) -> dict[str, float] | None:
    """The metrics kept for `question`, or None (none kept, or no folder to keep them in)."""
    if folder is None:
        return None
    path = question.file(folder)
    if not path.exists():
        return None
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text())["metrics"].items()}
    except (ValueError, KeyError, TypeError):  # a damaged file: compute it again
        return None


def remember(question: Question, metrics: dict[str, float], folder: Path | None) -> None:
    """Keep `metrics` as the answer to `question` (written whole or not at all)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    body = {"question": dataclasses.asdict(question), "metrics": metrics}
    handle, partial = tempfile.mkstemp(prefix=".evaluation-", dir=folder)
    with os.fdopen(handle, "w") as out:
        json.dump(body, out, indent=1)
    os.replace(partial, question.file(folder))


@cache
def code_version() -> str:
    """A digest of what computes an evaluation: the training and features packages' code and
    the reference data (once per process)."""
    root = Path(__file__).resolve().parent.parent
    files = [
        *(root / "training").rglob("*.py"),
        *(root / "features").rglob("*.py"),
        *(root / "features").rglob("*.csv"),
    ]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]
