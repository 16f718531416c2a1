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
import orjson
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
    partial = partial_folder(key, root)
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
        publish(partial, key, root, subject, depth, structured, subjects, rows)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Written(key.folder(root), subjects, rows, time.perf_counter() - start)


def partial_folder(key: AnswerKey, root: Path) -> Path:
    """A new hidden folder beside the set's place, for a job to write the set into before
    `publish` moves it there."""
    final = key.folder(root)
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".writing-", dir=final.parent))


def publish(
    partial: Path,
    key: AnswerKey,
    root: Path,
    subject: str,
    depth: int,
    structured: tuple[str, ...],
    subjects: int,
    rows: int,
) -> Path:
    """Write the manifest into `partial` (a complete set) and move it into `key`'s place: an
    earlier set for the key is replaced in two renames, never half of each."""
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
    final = key.folder(root)
    if final.exists():
        old = final.with_name(f".old-{final.name}-{time.time_ns()}")
        final.rename(old)
        partial.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(final)
    return final


def already_written(key: AnswerKey, root: Path) -> Written | None:
    """What was written for `key`, if a complete set is there (its manifest says so)."""
    manifest_file = key.folder(root) / MANIFEST
    if not manifest_file.exists():
        return None
    manifest = json.loads(manifest_file.read_text())
    return Written(key.folder(root), int(manifest["subjects"]), int(manifest["rows"]), 0.0)


class AnswerSet:
    """A day's precomputed answers, looked up by subject.

    The rows stay columnar in memory, as read: one Arrow record batch per written part, its
    text columns dictionary-encoded (a course's title, or a reason sentence shared by many
    people, is held once: about two thirds of the plain size for the province's answers). A
    subject's rows are contiguous within one part; a lookup slices them out of each column and
    turns only those into Python values.
    """

    def __init__(self, key: AnswerKey, table: pa.Table, manifest: dict[str, Any]) -> None:
        self.key = key
        self.depth = int(manifest["depth"])
        self.subject = str(manifest["subject"])
        self.structured = tuple(manifest.get("structured", ()))
        batches = table.to_batches()
        self._columns = [
            {name: _Column.of(batch.column(name)) for name in batch.schema.names}
            for batch in batches
        ]
        self._where: dict[str, tuple[int, int, int]] = {}
        for number, batch in enumerate(batches):
            self._index(number, batch.column(self.subject))

    def _index(self, number: int, subjects: pa.Array) -> None:
        """Where each subject's rows are in batch `number` (batch, first row, count)."""
        ids = _plain(subjects).to_numpy(zero_copy_only=False)
        if not len(ids):
            return
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        stops = np.r_[starts[1:], len(ids)]
        for a, b in zip(starts, stops, strict=True):
            subject = str(ids[a])
            if subject in self._where:
                raise ValueError(f"{self.key}: the rows of {subject!r} are not contiguous")
            self._where[subject] = (number, int(a), int(b - a))

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
        texts = [f.name for f in pq.read_schema(parts[0]) if pa.types.is_string(f.type)]
        return cls(key, pq.read_table(folder, read_dictionary=texts), manifest)

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
        number, start, length = found
        if k > length and length >= self.depth:
            return None
        stop = start + min(k, length)
        values = {name: c.values(start, stop) for name, c in self._columns[number].items()}
        for name in self.structured:
            values[name] = [orjson.loads(text) for text in values[name]]
        return [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]


def _plain(values: pa.Array) -> pa.Array:
    """A dictionary-encoded array's values in place of their codes (others as they are)."""
    if isinstance(values, pa.DictionaryArray):
        return values.dictionary.take(values.indices)
    return values


#: A dictionary this short is held as a Python list (course titles, kinds); a longer one (the
#: reasons' texts) stays in Arrow and is read item by item.
SHORT_DICTIONARY = 4096


@dataclass(frozen=True)
class _Column:
    """One column of a part, ready to give a few rows as Python values in microseconds (an
    Arrow call per column and row range costs tens: a lookup reads a dozen columns).

    Numbers without gaps are NumPy views of the Arrow buffers; text is its dictionary codes as a
    NumPy view, with the dictionary itself; anything else is sliced in Arrow."""

    arrow: pa.Array
    numbers: np.ndarray | None = None
    codes: np.ndarray | None = None
    words: list[Any] | pa.Array | None = None

    @classmethod
    def of(cls, array: pa.Array) -> _Column:
        if isinstance(array, pa.DictionaryArray) and array.indices.null_count == 0:
            words = array.dictionary
            short = len(words) <= SHORT_DICTIONARY
            codes = array.indices.to_numpy()
            return cls(array, codes=codes, words=words.to_pylist() if short else words)
        if array.null_count == 0 and (
            pa.types.is_integer(array.type) or pa.types.is_floating(array.type)
        ):
            return cls(array, numbers=array.to_numpy())
        return cls(array)

    def values(self, start: int, stop: int) -> list[Any]:
        if self.numbers is not None:
            return self.numbers[start:stop].tolist()  # type: ignore[no-any-return]
        if self.codes is not None:
            codes = self.codes[start:stop].tolist()
            if isinstance(self.words, list):
                return [self.words[c] for c in codes]
            return [self.words[c].as_py() for c in codes]  # type: ignore[index]
        return _plain(self.arrow.slice(start, stop - start)).to_pylist()  # type: ignore[no-any-return]
