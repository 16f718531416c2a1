"""Answers precomputed for a day: written once by a batch job (`jenjang score`), then served by
key lookup.

A service that scores a person when asked spends milliseconds of model work per request and a
minute at start; the answers of the day do not change between requests, so they are computed
once, for everyone, after a model is promoted and each day for the service's date. A set of
answers is keyed by what makes it true: the model and its version, the date (``as_of``) and the
data snapshot it was computed from. A person missing from the set, or a question the set does
not hold (a longer list, a filter), is answered on demand by the model itself.

Layout, hive-style so that pyarrow, DuckDB or Spark read it as a partitioned dataset::

    {root}/{model}/version={v}/as_of={YYYY-MM-DD}/snapshot={id}/part-00000.parquet …
                                                               /_manifest.json

A set is written into a hidden folder beside its place and renamed into place when complete,
so a reader finds all of a day's answers or none; the manifest says how deep each list goes.
Structured columns (the reasons, lists of dicts) are stored as JSON text.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: How many courses of each person's list are stored by default (the pages and the API ask
#: for 10 unless told otherwise; a longer list is scored on demand).
DEFAULT_DEPTH = 10

#: Beside the parts; its leading underscore keeps dataset readers (pyarrow, Spark) off it.
MANIFEST = "_manifest.json"

#: The stored type of each MLflow column type of a model's answer.
ARROW_TYPES = {
    "string": pa.string(),
    "long": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
}


@dataclass(frozen=True)
class AnswerKey:
    """What a set of answers holds for: a model version, a date and a data snapshot."""

    model: str
    version: str
    as_of: dt.date
    snapshot_id: str

    def folder(self, root: Path) -> Path:
        return (
            Path(root)
            / self.model
            / f"version={self.version}"
            / f"as_of={self.as_of.isoformat()}"
            / f"snapshot={self.snapshot_id}"
        )


@dataclass(frozen=True)
class Written:
    """What a batch job wrote: where, how many subjects and rows, in how long."""

    folder: Path
    subjects: int
    rows: int
    seconds: float


def write_answers(
    key: AnswerKey,
    chunks: Iterable[list[dict[str, Any]]],
    root: Path,
    subject: str,
    depth: int,
    structured: tuple[str, ...] = (),
    types: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Write every chunk of answer rows as one Parquet part, then move the set into place.

    `subject` names the column each answer is for (employee_id); a subject's rows must be
    contiguous and in rank order, as a model's answers are. `progress` is told each chunk's
    number of subjects. `types` (column → MLflow type: string, long, double, boolean) fixes
    the schema, so a part whose column happens to hold only missing values still matches the
    others. An earlier set for the same key is replaced whole.
    """
    schema = pa.schema([(c, ARROW_TYPES[t]) for c, t in types.items()]) if types else None
    start = time.perf_counter()
    final = key.folder(root)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".writing-", dir=final.parent))
    subjects = rows = 0
    try:
        for number, chunk in enumerate(chunks):
            encoded = [
                row | {c: json.dumps(row[c], ensure_ascii=False) for c in structured}
                for row in chunk
            ]
            if encoded:
                table = pa.Table.from_pylist(encoded, schema=schema)
                pq.write_table(table, partial / f"part-{number:05d}.parquet")
            people = len({row[subject] for row in chunk})
            subjects, rows = subjects + people, rows + len(chunk)
            if progress is not None:
                progress(people)
        manifest = {
            "model": key.model,
            "version": key.version,
            "as_of": key.as_of.isoformat(),
            "snapshot_id": key.snapshot_id,
            "subject": subject,
            "depth": depth,
            "structured": list(structured),
            "subjects": subjects,
            "rows": rows,
            "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if final.exists():  # replace the old set in two renames, never half of each
            old = final.with_name(f".old-{final.name}-{time.time_ns()}")
            final.rename(old)
            partial.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            partial.rename(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Written(final, subjects, rows, time.perf_counter() - start)


def already_written(key: AnswerKey, root: Path) -> Written | None:
    """What was written for `key`, if a complete set is there (its manifest says so)."""
    manifest_file = key.folder(root) / MANIFEST
    if not manifest_file.exists():
        return None
    manifest = json.loads(manifest_file.read_text())
    return Written(key.folder(root), int(manifest["subjects"]), int(manifest["rows"]), 0.0)


class AnswerSet:
    """A day's precomputed answers, looked up by subject.

    The rows stay in one Arrow table (columnar, a few hundred bytes a row); a lookup slices the
    subject's rows and turns only those into dicts.
    """

    def __init__(self, key: AnswerKey, table: pa.Table, manifest: dict[str, Any]) -> None:
        self.key = key
        self.table = table
        self.depth = int(manifest["depth"])
        self.subject = str(manifest["subject"])
        self.structured = tuple(manifest.get("structured", ()))
        ids = table.column(self.subject).to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([])
        stops = np.r_[starts[1:], len(ids)] if len(ids) else np.array([])
        self._where = {
            str(ids[a]): (int(a), int(b - a)) for a, b in zip(starts, stops, strict=True)
        }

    @classmethod
    def load(cls, key: AnswerKey, root: Path) -> AnswerSet | None:
        """The set written for `key`, or None when there is none (or it is incomplete)."""
        folder = key.folder(root)
        manifest_file = folder / MANIFEST
        if not manifest_file.exists():
            return None
        manifest = json.loads(manifest_file.read_text())
        parts = sorted(folder.glob("part-*.parquet"))
        if not parts:
            return cls(key, pa.table({manifest["subject"]: pa.array([], pa.string())}), manifest)
        return cls(key, pa.concat_tables(pq.read_table(p) for p in parts), manifest)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, subject: str) -> bool:
        return subject in self._where

    def lookup(self, subject: str, k: int) -> list[dict[str, Any]] | None:
        """The subject's first `k` answer rows, or None when the set cannot answer (the
        subject is not in it, or `k` is deeper than what was stored and the stored list is
        full, so more may exist)."""
        found = self._where.get(subject)
        if found is None:
            return None
        start, length = found
        if k > length and length >= self.depth:
            return None
        rows = self.table.slice(start, min(k, length)).to_pylist()
        for row in rows:
            for column in self.structured:
                row[column] = json.loads(row[column])
        return rows
