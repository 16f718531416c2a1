"""The vacancy index in memory: the eligible of each structural family in compact columns, so
that a search ranks a family of two million people in about 0.7 s on this machine and a
country's index fits in 3 GB.

Why this shape (measured on 0.5 million ASN and on 12 copies of them, docs/benchmarks.md):
about 40% of people are eligible for some structural family, many for two; of the 73
competencies only those in some structural post's standard (45) are ever read, and a post's
standard has about 12. So each family holds its people's numbers contiguously, competency by
competency: a search scans its family's rows in place, reading only its post's competencies
(gathering people out of one shared store cost more than ranking them). Strings (agency, post,
field, dates) are codes into a table of their distinct values; ids and regions, read only for
the top k, are held once. A family no post of the index belongs to is not loaded. Levels and
record stay float64, so a search gives the province's scores (to the last bit or so: the
model's arithmetic is vectorised over the rows it is given) and its order (tested); rounding
levels to float32 could swap two candidates.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.asof.positions import competency_codes
from features.asof.post_pairs import RECORD_FEATURES, People
from features.view import STRUCTURAL_FAMILIES

#: The column of a person's eligible-from date for a family: null when not eligible, "" when
#: eligible without a known date, else the ISO date.
FROM_PREFIX = "from_"


def from_column(family: str) -> str:
    return f"{FROM_PREFIX}{family}"


#: Which people of a family: a range of its rows (a whole-family scan reads them in place) or
#: an array of row numbers.
Rows = slice | np.ndarray


@dataclass(frozen=True)
class Coded:
    """A column of repeated strings as integer codes into its distinct values (-1 = missing)."""

    codes: np.ndarray
    values: np.ndarray  # object

    @classmethod
    def of(cls, column: pa.ChunkedArray | pa.Array) -> Coded:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        encoded = pc.dictionary_encode(column)
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
        return cls(codes, encoded.dictionary.to_numpy(zero_copy_only=False).astype(object))

    def decode(self, rows: Rows) -> np.ndarray:
        """The strings at `rows` (None where missing)."""
        codes = self.codes[rows]
        out = self.values[np.maximum(codes, 0)] if len(self.values) else np.full(len(codes), None)
        out[codes < 0] = None
        return out

    def code(self, value: object) -> int:
        """The code of `value`: -1 (missing) for None, as None equals None; -2 when absent, which
        matches no row."""
        if value is None:
            return -1
        # a scan, about 10 ms over a country's two million posts a search; a dict would cost
        # ~200 MB for each family holding the same posts, built on the first request
        found = np.flatnonzero(self.values == value)
        return int(found[0]) if len(found) else -2


@dataclass(frozen=True)
class Family:
    """The eligible of one family, in the country view's order, with everything a search
    reads of them held contiguously: ranking a family scans its arrays in place, chunk by
    chunk, instead of gathering its people out of everyone's (which cost more than the
    ranking). A person eligible for two families is held in both."""

    person_rows: np.ndarray  # int32: rows into `Eligible` (id and region, read for the top k)
    eligible_from: Coded
    levels: np.ndarray  # held competencies × family, float64
    measured: np.ndarray  # held competencies × family, bool
    record: np.ndarray  # RECORD_FEATURES × family, float64
    family_rank: np.ndarray
    grade_rank: np.ndarray
    field: Coded
    agency: Coded
    position: Coded
    professions: Coded  # the requirement ids each person meets, joined by "|"

    def __len__(self) -> int:
        return len(self.person_rows)

    def holding(self, profession: str) -> np.ndarray:
        """Which of the family hold `profession` (a requirement id; "" asks for none: all)."""
        if not profession:
            return np.ones(len(self), dtype=bool)
        has = np.array([profession in str(v).split("|") for v in self.professions.values])
        return np.append(has, False)[self.professions.codes]  # code -1 (missing): not held

    def candidates(
        self, rows: Rows, columns: np.ndarray, needs: Collection[str] | None = None
    ) -> People:
        """The family's people at `rows` as candidate features read them, with only the
        competencies at `columns` (rows of `levels`): pair them with a post narrowed to the same
        competencies. `needs`: the only candidate features to be built of them (what a ranker
        reads); record features and measured levels nothing needs are not read (`measured` then
        has no columns, so a feature reading it fails rather than lies). The `ids` of the
        result are rows into `Eligible`, not employee ids (only the top k are named)."""
        names = RECORD_FEATURES if needs is None else [f for f in RECORD_FEATURES if f in needs]
        record = np.array([RECORD_FEATURES.index(f) for f in names], dtype=np.intp)
        measured_columns = (
            columns if needs is None or "measured_share_target" in needs else columns[:0]
        )
        return People(
            ids=self.person_rows[rows],
            levels=_cells(self.levels, columns, rows),
            measured=_cells(self.measured, measured_columns, rows),
            record=_cells(self.record, record, rows),
            field=self.field.decode(rows),
            family_rank=self.family_rank[rows],
            grade_rank=self.grade_rank[rows],
            agency=self.agency.decode(rows),
            record_names=tuple(names),
        )

    def nbytes(self) -> int:
        """The bytes of its arrays (the tables of distinct strings are not counted)."""
        arrays = [self.person_rows, self.levels, self.measured, self.record, self.family_rank]
        arrays += [self.grade_rank, self.eligible_from.codes]
        return sum(a.nbytes for a in arrays) + sum(
            c.codes.nbytes for c in (self.field, self.agency, self.position, self.professions)
        )


def _cells(matrix: np.ndarray, columns: np.ndarray, rows: Rows) -> np.ndarray:
    """`matrix` (features × people) at `columns` and `rows`, as people × features."""
    taken = matrix[columns, rows] if isinstance(rows, slice) else matrix[np.ix_(columns, rows)]
    return np.ascontiguousarray(taken.T)


@dataclass(frozen=True)
class Eligible:
    """Everyone eligible for some structural family, once, in the country view's order (what
    an answer names: id and region), and the families."""

    ids: pa.Array  # string
    region: Coded
    kept: np.ndarray  # the competencies held (indices into `competency_codes()`)
    families: dict[str, Family]

    def __len__(self) -> int:
        return len(self.ids)

    def columns_of(self, competencies: np.ndarray) -> np.ndarray:
        """Where competencies (indices into `competency_codes()`) are held: rows of `levels`."""
        held = np.isin(competencies, self.kept)
        if not held.all():  # kept and the posts come from the same index: a defect if reached
            missing = [competency_codes()[c] for c in np.asarray(competencies)[~held]]
            raise KeyError(f"the index holds no levels of {', '.join(missing)}")
        return np.searchsorted(self.kept, competencies)

    def nbytes(self) -> int:
        """The bytes of the arrays (the tables of distinct strings are not counted: a country's
        posts add about 150 MB of them; the searching process's peak is in the bench)."""
        arrays = sum(f.nbytes() for f in self.families.values())
        return arrays + self.ids.nbytes + self.region.codes.nbytes


def read_eligible(folder: Path, kept: np.ndarray, families: Collection[str]) -> Eligible:
    """The index's people (`folder` = its ``people`` folder) eligible for `families` (those
    some post of the index belongs to: nobody is searched for the others), holding the levels
    of the `kept` competencies only. Two passes over the files, so that nothing is held twice:
    the first reads each person's place in the country's order and families, the second puts
    each file's rows there."""
    files = sorted(Path(folder).glob("*.parquet"))
    dates = [from_column(f) for f in STRUCTURAL_FAMILIES]
    strings = ["employee_id", "agency_id", "position_id", "field", "region", "professions"]
    strings += dates
    schema = pa.schema([("order", pa.int64()), *[(s, pa.string()) for s in strings]])
    firsts = [pq.read_table(f, columns=schema.names).cast(schema) for f in files]
    texts = pa.concat_tables(firsts) if firsts else schema.empty_table()
    del firsts
    sort = np.argsort(texts.column("order").to_numpy(), kind="stable")
    place = np.empty(len(sort), dtype=np.int64)  # file row (files in turn) → person
    place[sort] = np.arange(len(sort))
    texts = texts.take(pa.array(sort))
    members = {
        family: texts.column(from_column(family)).is_valid().to_numpy(zero_copy_only=False)
        for family in STRUCTURAL_FAMILIES
        if family in families
    }
    coded = {
        name: Coded.of(texts.column(name))
        for name in ("field", "agency_id", "position_id", "professions")
    }
    loaded = {f: _family(texts, f, members[f], coded, len(kept)) for f in members}
    # a person's row in each family they belong to (read at its members only)
    within = {f: np.cumsum(m) - 1 for f, m in members.items()}
    competencies = len(competency_codes())
    start = 0
    for file in files:
        table = pq.read_table(file, columns=_NUMBERS)
        people = place[start : start + table.num_rows]
        start += table.num_rows
        levels = _matrix(table, "levels", competencies, float)[:, kept]
        measured = _matrix(table, "measured", competencies, bool)[:, kept]
        record = _matrix(table, "record", len(RECORD_FEATURES), float)
        family_rank = table.column("family_rank").to_numpy()
        grade_rank = table.column("grade_rank").to_numpy()
        for name, family in loaded.items():
            mine = members[name][people]
            rows = within[name][people[mine]]
            family.levels[:, rows] = levels[mine].T
            family.measured[:, rows] = measured[mine].T
            family.record[:, rows] = record[mine].T
            family.family_rank[rows] = family_rank[mine]
            family.grade_rank[rows] = grade_rank[mine]
    return Eligible(
        ids=texts.column("employee_id").combine_chunks(),
        region=Coded.of(texts.column("region")),
        kept=np.asarray(kept),
        families=loaded,
    )


#: What the second pass reads: the numbers of each person.
_NUMBERS = ["levels", "measured", "record", "family_rank", "grade_rank"]


def _family(
    texts: pa.Table, name: str, member: np.ndarray, coded: dict[str, Coded], competencies: int
) -> Family:
    """A family's arrays, its strings coded, its numbers to be filled by the second pass."""
    people = np.flatnonzero(member).astype(np.int32)
    count = len(people)

    def codes(column: str) -> Coded:
        return Coded(coded[column].codes[people], coded[column].values)

    return Family(
        person_rows=people,
        eligible_from=Coded.of(texts.column(from_column(name)).take(pa.array(people))),
        levels=np.empty((competencies, count)),
        measured=np.empty((competencies, count), dtype=bool),
        record=np.empty((len(RECORD_FEATURES), count)),
        family_rank=np.empty(count),
        grade_rank=np.empty(count),
        field=codes("field"),
        agency=codes("agency_id"),
        position=codes("position_id"),
        professions=codes("professions"),
    )


def _matrix(table: pa.Table, name: str, width: int, dtype: type) -> np.ndarray:
    """A fixed-width list column as a rows × width array."""
    values = table.column(name).combine_chunks()
    flat = values.flatten().to_numpy(zero_copy_only=False)
    return np.asarray(flat, dtype=dtype).reshape(len(values), width)


def held_competencies(posts: pd.DataFrame) -> np.ndarray:
    """The competencies some post's standard requires: the only levels a search reads."""
    required = np.stack(list(posts["required"])) if len(posts) else np.zeros((0, 1))
    return np.flatnonzero((required > 0).any(axis=0))
