"""HR records as typed DataFrames: the `sources` every feature builder reads.

Feature builders never query the database themselves: they take a `Records` (one DataFrame per
canonical table, with the schema's types) so that the same code runs on the database, on a
validated export folder, or on a hand-built test fixture. `Records.snapshot_id` names the data
a model was trained on; it changes whenever an ingest changes the database.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features.schema import TABLES, Table


def _excluded(spec: Table) -> frozenset[str]:
    """Columns never loaded for features: personal data stays in the database (UU 27/2022)."""
    return frozenset(c.name for c in spec.columns if c.personal)


class FrameCache:
    """The feature frames of everyone at a few dates, kept with the records they describe.

    Training asks for the same dates again and again (the level examples of each assessment
    year, the uptake cycles, the evaluation), and the next command asks for them again: built
    once per date and data snapshot, a frame is then only a row selection. In memory, the
    least recently used date goes when `size` are kept (about 100 MB a date for a province);
    with a `folder` (`features.store.reads.load_records` gives one per data snapshot and
    version of the feature code), every frame is also kept on disk, where any later process on
    the same snapshot finds it.
    """

    def __init__(self, size: int = 12, folder: Path | None = None) -> None:
        self.size = size
        self.folder = folder
        self._frames: OrderedDict[pd.Timestamp, pd.DataFrame] = OrderedDict()

    def get(self, as_of: pd.Timestamp) -> pd.DataFrame | None:
        as_of = pd.Timestamp(as_of)
        frame = self._frames.get(as_of)
        if frame is not None:
            self._frames.move_to_end(as_of)
            return frame
        stored = self._file(as_of)
        if stored is None or not stored.exists():
            return None
        try:
            frame = pd.read_pickle(stored)
        except Exception:  # noqa: BLE001 — a damaged file is built again
            return None
        self._keep(as_of, frame)
        return frame

    def put(self, as_of: pd.Timestamp, frame: pd.DataFrame) -> None:
        as_of = pd.Timestamp(as_of)
        self._keep(as_of, frame)
        stored = self._file(as_of)
        if stored is not None:
            stored.parent.mkdir(parents=True, exist_ok=True)
            partial = stored.with_name(f".{stored.name}-{os.getpid()}")
            frame.to_pickle(partial)
            partial.replace(stored)  # whole or not at all

    def clear(self) -> None:
        """Forget the frames held in memory (those on disk stay)."""
        self._frames.clear()

    def _keep(self, as_of: pd.Timestamp, frame: pd.DataFrame) -> None:
        self._frames[as_of] = frame
        while len(self._frames) > self.size:
            self._frames.popitem(last=False)

    def _file(self, as_of: pd.Timestamp) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"frame-{as_of.strftime('%Y%m%d')}.pkl"


@dataclass
class Records:
    """One typed DataFrame per canonical table, plus the id of the data snapshot.

    Treat the tables as read-only: feature frames built from them are cached (`frames`).
    """

    tables: dict[str, pd.DataFrame]
    snapshot_id: str = "unknown"
    _empty: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    frames: FrameCache = field(default_factory=FrameCache, repr=False, compare=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self.tables:
            return self.tables[name]
        if name not in TABLES:
            raise KeyError(f"no canonical table named {name!r}")
        return self._empty.setdefault(name, typed(TABLES[name], pd.DataFrame()))


def known(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Rows of `frame` that were known before `as_of` (``recorded_at < as_of``): the one
    point-in-time filter every feature builder applies."""
    return frame[frame["recorded_at"] < as_of]


def active_at(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Employees hired before `as_of` and not yet left (as known then), with ``as_of``.

    The employees table is a current snapshot: an exit is seen through today's row.
    """
    employees = known(records["employees"], as_of)
    active = employees[
        (employees["hire_date"] < as_of)
        & (employees["exit_date"].isna() | (employees["exit_date"] > as_of))
    ]
    return pd.DataFrame({"employee_id": active["employee_id"].to_numpy(), "as_of": as_of})


def typed(spec: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the columns of `spec` (missing ones empty) in their canonical types.

    Personal columns are dropped: feature code cannot use what it never receives.
    """
    out: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column.name in _excluded(spec):
            continue
        values = frame[column.name] if column.name in frame else pd.Series([None] * len(frame))
        values = pd.Series(values.to_numpy(), index=range(len(frame)))
        if column.dtype in ("date", "datetime"):
            out[column.name] = pd.to_datetime(values, errors="coerce").astype("datetime64[us]")
        elif column.dtype == "int":
            out[column.name] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif column.dtype == "float":
            out[column.name] = pd.to_numeric(values, errors="coerce").astype(float)
        elif column.dtype == "bool":
            out[column.name] = values.astype("boolean")
        else:
            out[column.name] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(out, index=range(len(frame)))


def from_frames(frames: Mapping[str, pd.DataFrame], snapshot_id: str = "fixture") -> Records:
    """Records from in-memory tables (tests, validated exports), typed by the schema."""
    return Records({n: typed(TABLES[n], f) for n, f in frames.items()}, snapshot_id)
