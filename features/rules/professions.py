"""Posts bound to a profession: a hospital director is a doctor or health worker, a school head
a teacher, a puskesmas head a health worker. Such a post is offered only to people who hold it.

The requirements are data (`reference/post_professions.csv`): a requirement id, the pattern of
the post titles it covers (a case-insensitive regular expression, so that the titles of real
exports, "DIREKTUR RSUD …", "KEPALA UPTD PUSKESMAS …", match too), and the occupations or
fields that qualify, each with its legal basis or "heuristic". A post falls under the first
requirement whose pattern matches its title.

Records carry no diploma subject or professional registration (STR), so a profession is read
from the posts a person has held: someone who has held a functional or pelaksana post of a
qualifying occupation (or of a qualifying field) holds the profession, and so does someone who
has held a post of the same requirement (the appointing authority checked it then). Only posts
recorded before the date asked and started on or before it count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from features import reference
from features.asof.records import Records, known

#: Eligibility facts: one boolean column per requirement, ``profession_<requirement id>``.
FACT_PREFIX = "profession_"


@dataclass(frozen=True)
class Requirement:
    """One profession-bound kind of post: which titles, which occupations or fields qualify."""

    requirement_id: str
    pattern: re.Pattern[str]
    occupations: frozenset[str]
    fields: frozenset[str]
    basis: str


@cache
def requirements() -> tuple[Requirement, ...]:
    """Every requirement of `post_professions.csv`, in the file's order (the first that matches a
    title wins). A requirement with two title patterns is a data error, said clearly."""
    table = reference.load("post_professions")
    out = []
    for requirement_id, rows in table.groupby("requirement_id", sort=False):
        patterns = rows["title_pattern"].unique()
        if len(patterns) != 1:
            raise ValueError(f"{requirement_id}: one title pattern expected, got {list(patterns)}")
        kinds = set(rows["kind"])
        if not kinds <= {"occupation", "field"}:
            raise ValueError(f"{requirement_id}: kinds must be occupation or field, got {kinds}")
        out.append(
            Requirement(
                str(requirement_id),
                re.compile(str(patterns[0]), re.IGNORECASE),
                frozenset(rows.loc[rows["kind"] == "occupation", "value"]),
                frozenset(rows.loc[rows["kind"] == "field", "value"]),
                "; ".join(dict.fromkeys(rows["basis"])),
            )
        )
    return tuple(out)


@cache
def by_id() -> dict[str, Requirement]:
    return {r.requirement_id: r for r in requirements()}


def requirement_of(titles: pd.Series) -> pd.Series:
    """The requirement id of each post title ("" for a post open to every profession)."""
    text = titles.fillna("").astype(str).str.strip()
    out = pd.Series("", index=titles.index, dtype=object)
    for requirement in reversed(requirements()):  # the first matching requirement wins
        found = text.map(requirement.pattern.search).notna()
        out = out.mask(found, requirement.requirement_id)
    return out


def post_requirements(records: Records) -> pd.Series:
    """position_id → requirement id, for the profession-bound posts of `records` only."""
    positions = records["positions"]
    found = requirement_of(positions["title"])
    found.index = positions["position_id"].to_numpy()
    return found[found != ""]


def qualified(records: Records, as_of: pd.Timestamp, people: pd.Index) -> pd.DataFrame:
    """People × ``profession_<requirement>``: True where the person holds the profession a
    requirement asks for, read from the posts they held up to `as_of` (see the module doc)."""
    history = known(records["position_history"], as_of)
    history = history[history["start_date"] <= as_of]
    positions = records["positions"].set_index("position_id")
    held = positions.reindex(history["position_id"].to_numpy())
    occupation = held["occupation"].fillna("").astype(str).to_numpy()
    field_of = reference.load("occupations").set_index("occupation")["field"]
    # the occupation's field; for an occupation the catalogue does not know (a real export's
    # own codes), the field of the occupational post itself
    own_field = held["field"].fillna("").astype(str).to_numpy()
    field = pd.Series(occupation).map(field_of).fillna("").to_numpy()
    field = np.where((field == "") & (occupation != ""), own_field, field)
    own = requirement_of(held["title"]).to_numpy()
    person = history["employee_id"].to_numpy()
    out = pd.DataFrame(index=people)
    for requirement in requirements():
        hit = (
            np.isin(occupation, list(requirement.occupations))
            | np.isin(field, list(requirement.fields))
            | (own == requirement.requirement_id)
        )
        out[FACT_PREFIX + requirement.requirement_id] = people.isin(set(person[hit]))
    return out


def holds(facts: pd.DataFrame, requirement_id: str) -> pd.Series:
    """Whether each person of `facts` holds the profession `requirement_id` asks for (False when
    the facts do not say: a profession is never assumed)."""
    column = FACT_PREFIX + requirement_id
    if column not in facts:
        return pd.Series(False, index=facts.index)
    return facts[column].fillna(False).astype(bool)


@cache
def _names() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    occupations = reference.load("occupations")
    fields = reference.load("fields")

    def named(frame: pd.DataFrame, key: str) -> dict[str, tuple[str, str]]:
        rows = frame[[key, "name_id", "name_en"]].itertuples(index=False)
        return {str(k): (str(i), str(e)) for k, i, e in rows}

    return named(occupations, "occupation"), named(fields, "field")


def who(requirement_id: str) -> tuple[str, str]:
    """Whom a requirement admits, in words (Bahasa Indonesia, English): "Dokter, atau tenaga
    bidang Kesehatan"."""
    requirement = by_id()[requirement_id]
    occupations, fields = _names()
    names_id = [occupations.get(o, (o, o))[0] for o in sorted(requirement.occupations)]
    names_en = [occupations.get(o, (o, o))[1] for o in sorted(requirement.occupations)]
    for name in sorted(requirement.fields):
        label_id, label_en = fields.get(name, (name, name))
        names_id.append(f"tenaga bidang {label_id}")
        names_en.append(f"a {label_en.lower()} professional")
    return ", atau ".join(names_id), ", or ".join(names_en)


def message(requirement_id: str) -> dict[str, object]:
    """The failed profession rule as an eligibility message (rule id, basis, both languages):
    time will not satisfy it."""
    requirement = by_id()[requirement_id]
    names_id, names_en = who(requirement_id)
    return {
        "rule_id": requirement_id,
        "basis": requirement.basis,
        "time_satisfiable": False,
        "holds_from": None,
        "text_id": (
            f"Jabatan ini hanya untuk {names_id}; riwayat jabatan tidak menunjukkan profesi itu."
        ),
        "text_en": (
            f"This post is only for {names_en}; the position history shows no such profession."
        ),
    }
