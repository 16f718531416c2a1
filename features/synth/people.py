"""People of the synthetic world: demographics, hidden traits and true competency levels.

Arrays of one region's people live in `People` (struct of arrays, grown as people are hired).
The hidden traits (ability, learning rate, responsiveness to courses, training habit,
integrity, network) drive every mechanism and are written only to ``truth/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from features import reference

EDUCATION = ("SD", "SMP", "SMA", "D3", "D4", "S1", "S2", "S3")

#: Education mix by ladder (heuristic, tuned so ~80% hold S1/D-IV or higher, BKN 2025).
EDUCATION_MIX = {
    "keahlian": (0.0, 0.0, 0.0, 0.0, 0.10, 0.76, 0.13, 0.01),
    "keterampilan": (0.0, 0.0, 0.20, 0.58, 0.06, 0.16, 0.0, 0.0),
    "pelaksana": (0.02, 0.04, 0.34, 0.14, 0.04, 0.40, 0.02, 0.0),
    "structural": (0.0, 0.0, 0.0, 0.03, 0.04, 0.55, 0.36, 0.02),
}
#: Hires from 2016 on are better educated (recent CPNS/PPPK formations ask for diplomas).
EDUCATION_MIX_RECENT = {
    **EDUCATION_MIX,
    "keterampilan": (0.0, 0.0, 0.05, 0.60, 0.10, 0.25, 0.0, 0.0),
    "pelaksana": (0.0, 0.0, 0.12, 0.10, 0.05, 0.68, 0.05, 0.0),
}
#: Share of women by occupation field (heuristic; Gorontalo ASN are ~70% women, BKN 2025).
FEMALE_SHARE = {"kesehatan": 0.86, "pendidikan": 0.80}
FEMALE_SHARE_OTHER = 0.50
FEMALE_SHARE_STRUCTURAL = 0.38
PPPK_GRADE = {
    "SD": "PPPK-I",
    "SMP": "PPPK-III",
    "SMA": "PPPK-V",
    "D3": "PPPK-VII",
    "D4": "PPPK-IX",
    "S1": "PPPK-IX",
    "S2": "PPPK-X",
    "S3": "PPPK-XI",
}


@dataclass
class People:
    """Struct of arrays for every person a region ever employs."""

    n_competencies: int
    size: int = 0
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    levels: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name][: self.size]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.columns[name][: self.size] = value

    @property
    def true_levels(self) -> np.ndarray:
        return self.levels[: self.size]

    def append(self, new: dict[str, np.ndarray], levels: np.ndarray) -> np.ndarray:
        """Add people; returns their indices."""
        count = len(levels)
        start = self.size
        if not self.columns:
            self.columns = {k: np.empty(0, dtype=v.dtype) for k, v in new.items()}
            self.levels = np.zeros((0, self.n_competencies), np.float32)
        if start + count > len(self.levels):
            capacity = max(2 * len(self.levels), start + count, 1024)
            for key, array in self.columns.items():
                grown = np.empty(capacity, dtype=array.dtype)
                grown[:start] = array[:start]
                self.columns[key] = grown
            grown_levels = np.zeros((capacity, self.n_competencies), np.float32)
            grown_levels[:start] = self.levels[:start]
            self.levels = grown_levels
        for key, values in new.items():
            self.columns[key][start : start + count] = values
        self.levels[start : start + count] = levels
        self.size += count
        return np.arange(start, start + count)


def draw_people(
    rng: np.random.Generator,
    ladders: np.ndarray,
    fields: np.ndarray,
    service_years: np.ndarray,
    as_of: np.datetime64,
    pppk: np.ndarray,
    recent: bool = False,
) -> dict[str, np.ndarray]:
    """Demographics and hidden traits for people joining (or present at the start).

    `ladders` is keahlian/keterampilan/pelaksana/structural per person; `service_years` how long
    they have served at `as_of` (0 for new hires).
    """
    n = len(ladders)
    education = np.empty(n, dtype=object)
    for ladder, mix in (EDUCATION_MIX_RECENT if recent else EDUCATION_MIX).items():
        chosen = ladders == ladder
        education[chosen] = rng.choice(EDUCATION, size=int(chosen.sum()), p=mix)
    female_p = np.full(n, FEMALE_SHARE_OTHER)
    for field_, share in FEMALE_SHARE.items():
        female_p[fields == field_] = share
    female_p[ladders == "structural"] = FEMALE_SHARE_STRUCTURAL
    sex = np.where(rng.random(n) < female_p, "F", "M")
    entry_age = np.minimum(_entry_age(rng, education), 57.0 - service_years)
    age_days = ((entry_age + service_years) * 365.25).astype(int) + rng.integers(0, 365, n)
    birth = as_of - age_days.astype("timedelta64[D]")
    hire = as_of - (service_years * 365.25).astype(int).astype("timedelta64[D]")
    hire = _first_of_month(hire, rng)
    traits = {
        "ability": rng.normal(0.0, 1.0, n),
        "learning": rng.lognormal(0.0, 0.3, n),
        "responsiveness": rng.lognormal(0.0, 0.45, n),
        "habit": rng.lognormal(0.0, 0.5, n),
        "integrity": rng.normal(0.0, 1.0, n),
        "network": rng.integers(0, 12, n),
    }
    return {
        "education": education,
        "sex": sex,
        "birth": birth,
        "hire": hire,
        "employment": np.where(pppk, "PPPK", "PNS"),
        **traits,
    }


def _entry_age(rng: np.random.Generator, education: np.ndarray) -> np.ndarray:
    base = np.select(
        [
            education == "SD",
            education == "SMP",
            education == "SMA",
            education == "D3",
            education == "S2",
            education == "S3",
        ],
        [18.0, 19.0, 21.0, 23.0, 28.0, 33.0],
        default=24.5,
    )
    return base + rng.gamma(2.0, 1.6, len(education))


def _first_of_month(dates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    months = dates.astype("datetime64[M]")
    # CPNS TMT is usually 1 January, 1 March or 1 April of the year of appointment.
    years = months.astype("datetime64[Y]")
    month = rng.choice([0, 2, 3], size=len(dates), p=[0.3, 0.4, 0.3])
    return (years.astype("datetime64[M]") + month.astype("timedelta64[M]")).astype("datetime64[D]")


def initial_levels(
    rng: np.random.Generator,
    required: np.ndarray,
    ability: np.ndarray,
    service_years: np.ndarray,
    n_competencies: int,
) -> np.ndarray:
    """True competency levels: near the post's standard, shifted by ability and experience.

    Competencies outside the post's standard start low (1–2): people know their own field.
    """
    n = len(ability)
    base = 1.3 + 0.25 * ability[:, None] + rng.normal(0.0, 0.35, (n, n_competencies))
    in_standard = required > 0
    seasoned = np.minimum(service_years, 25.0)[:, None] / 25.0
    near = required - 0.55 + 0.45 * ability[:, None] + 0.5 * seasoned
    near = near + rng.normal(0.0, 0.5, (n, n_competencies))
    levels = np.where(in_standard, near, base)
    return np.clip(levels, 1.0, 5.0).astype(np.float32)


@cache
def grade_caps() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Rank lookups: entry rank and regular cap by education; ceiling rank per family."""
    ranks = reference.grade_rank()
    edu = reference.load("education_levels")
    entry = {str(e): ranks[g] for e, g in zip(edu["education"], edu["entry_grade"], strict=True)}
    cap = {
        str(e): ranks[g] for e, g in zip(edu["education"], edu["regular_grade_cap"], strict=True)
    }
    families = reference.load("position_families").dropna(subset=["max_grade"])
    # One grade beyond the family's range, so a holder can reach the next level's minimum.
    family_max = {
        str(f): min(ranks[g] + 1, 17)
        for f, g in zip(families["family"], families["max_grade"], strict=True)
        if f != "pelaksana"
    }
    return entry, cap, family_max


def pns_grade_names() -> list[str]:
    grades = reference.load("grades")
    return list(
        grades.loc[grades["scheme"] == "pns"].sort_values("rank", key=lambda s: s.astype(int))[
            "grade"
        ]
    )


def to_frame(people: People, ids: np.ndarray) -> pd.DataFrame:
    """Hidden traits per person, for ``truth/people.parquet``."""
    return pd.DataFrame(
        {
            "employee_id": ids,
            **{
                k: people[k]
                for k in ("ability", "learning", "responsiveness", "habit", "integrity", "network")
            },
        }
    )
