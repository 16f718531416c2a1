"""Reference data shipped with Jenjang: catalogues and regulation tables as CSV files.

The files beside this module are the data (competency dictionary, position families and their
required levels, the 17 grades, the education ladder, SKP ratings and the predikat matrix, the
9-box table, regulation constants, the course catalogue, column/value aliases). Code reads them
through these functions so that a planner can change a value without touching Python.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

#: Vocabularies whose values live in a dedicated reference file: (file, column).
_VOCABULARY_SOURCES: dict[str, tuple[str, str]] = {
    "field": ("fields", "field"),
    "position_family": ("position_families", "family"),
    "grade": ("grades", "grade"),
    "education": ("education_levels", "education"),
    "rating": ("ratings", "rating"),
}


@cache
def load(name: str) -> pd.DataFrame:
    """Return reference table `name` (the CSV file `name.csv` beside this module).

    Identifier-like columns stay strings; empty cells become missing values. The frame is
    cached: callers must not modify it in place (pandas copy-on-write protects them).
    """
    path = resources.files(__package__).joinpath(f"{name}.csv")
    if not path.is_file():
        raise FileNotFoundError(f"no reference table named {name!r} ({path})")
    with path.open("rb") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""])
    return frame


def names() -> list[str]:
    """Names of every reference table shipped."""
    root = resources.files(__package__)
    return sorted(p.name[:-4] for p in root.iterdir() if p.name.endswith(".csv"))


@cache
def vocabulary(name: str) -> frozenset[str]:
    """Allowed values of an enumerated column (see `features.schema.Column.enum`)."""
    if name in _VOCABULARY_SOURCES:
        table, column = _VOCABULARY_SOURCES[name]
        return frozenset(load(table)[column].dropna())
    if name == "mandate":
        extra = load("vocabularies").query("vocabulary == 'mandate'")["value"]
        return frozenset(load("position_families")["family"]) | frozenset(extra)
    values = load("vocabularies").query("vocabulary == @name")["value"]
    if values.empty:
        raise KeyError(f"unknown vocabulary {name!r}")
    return frozenset(values)


def constant(key: str) -> str | int | float:
    """A regulation constant from regulation_constants.csv, typed (int, float or str).

    Each row carries its legal basis and whether it is regulation or heuristic; read the file
    before relying on a heuristic value.
    """
    values = _constant_values()
    if key not in values:
        raise KeyError(f"unknown regulation constant {key!r}")
    raw = values[key]
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            continue
    return raw


@cache
def _constant_values() -> dict[str, str]:
    table = load("regulation_constants")
    return dict(zip(table["key"], table["value"].astype(str), strict=True))


@cache
def grade_rank() -> dict[str, int]:
    """Grade → rank within its scheme (I/a = 1 … IV/e = 17; PPPK-I = 1 … PPPK-XVII = 17)."""
    grades = load("grades")
    return dict(zip(grades["grade"], grades["rank"].astype(int), strict=True))


@cache
def grade_ranks_by(table: str, key: str, column: str) -> dict[str, float]:
    """Rank of the grade named in `column` of reference `table`, per `key` (rows without a
    grade left out): e.g. each family's lowest grade, each diploma's regular cap."""
    frame = load(table)
    ranks = grade_rank()
    return {
        str(name): float(ranks[grade])
        for name, grade in zip(frame[key], frame[column], strict=True)
        if isinstance(grade, str) and grade in ranks
    }


@cache
def education_rank() -> dict[str, int]:
    """Education level → rank on the ladder (SD = 1 … S3 = 9; D-IV and S1 share a rank)."""
    levels = load("education_levels")
    return dict(zip(levels["education"], levels["rank"].astype(int), strict=True))
