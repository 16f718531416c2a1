"""Hand-built people of one agency, for the eligibility and placement tests (as of 2024-01-01).

Each person has what the rules read: education, a post and since when, a grade and since when,
the SKP of 2021 and 2022, and perhaps a medium penalty. Posts: PL (pelaksana), PG (pengawas),
AD (administrator), all in the field kesehatan.
"""

from __future__ import annotations

import pandas as pd

from features import reference
from features.asof.records import Records, from_frames

AS_OF = pd.Timestamp("2024-01-01")

#: id: (education, post start, grade, grade since, ratings 2021/2022, penalty date)
PEOPLE = {
    "FOUR_YEARS": ("S1", "2020-01-01", "III/b", "2019-01-01", ("baik", "baik"), None),
    "THREE_YEARS": ("S1", "2020-06-01", "III/b", "2019-01-01", ("baik", "baik"), None),
    "BUTUH_PERBAIKAN": (
        "S1",
        "2015-01-01",
        "III/b",
        "2019-01-01",
        ("baik", "butuh_perbaikan"),
        None,
    ),
    "PENALTY_23M": ("S1", "2015-01-01", "III/b", "2019-01-01", ("baik", "baik"), "2022-02-01"),
    "PENALTY_25M": ("S1", "2015-01-01", "III/b", "2019-01-01", ("baik", "baik"), "2021-12-01"),
    "LOW_GRADE": ("S1", "2015-01-01", "III/a", "2022-01-01", ("baik", "baik"), None),
    "SMA": ("SMA", "2015-01-01", "III/b", "2019-01-01", ("baik", "baik"), None),
}

POSITIONS = pd.DataFrame(
    {
        "position_id": ["PL", "PG", "AD"],
        "unit_id": "U1",
        "title": ["Staf", "Kepala Seksi", "Kepala Bidang"],
        "family": ["pelaksana", "pengawas", "administrator"],
        "field": "kesehatan",
        "occupation": None,
        "capacity": [9, 1, 1],
    }
)


def records(
    people: dict[str, tuple] | None = None,
    held: dict[str, str] | None = None,
    **extra: pd.DataFrame,
) -> tuple[Records, pd.Series]:
    """Records of `people` (default `PEOPLE`), each in post PL unless `held` names another,
    with `extra` rows appended to any table; and everyone's birth date (1 January 1980)."""
    people = PEOPLE if people is None else people
    held = held or {}
    ids = list(people)
    frames = {
        "employees": pd.DataFrame(
            {
                "employee_id": ids,
                "employment_type": "PNS",
                "education": [p[0] for p in people.values()],
                "hire_date": "2010-01-01",
                "recorded_at": "2010-01-05",
            }
        ),
        "units": pd.DataFrame(
            {"unit_id": ["U1"], "agency_id": ["A1"], "name": ["U"], "unit_type": ["bidang"]}
        ),
        "positions": POSITIONS,
        "position_history": pd.DataFrame(
            {
                "employee_id": ids,
                "position_id": [held.get(i, "PL") for i in ids],
                "start_date": [p[1] for p in people.values()],
                "reason": "pengangkatan",
                "recorded_at": [p[1] for p in people.values()],
            }
        ),
        "grade_history": pd.DataFrame(
            {
                "employee_id": ids,
                "grade": [p[2] for p in people.values()],
                "start_date": [p[3] for p in people.values()],
                "recorded_at": [p[3] for p in people.values()],
            }
        ),
        "evaluations": pd.DataFrame(
            [
                {
                    "employee_id": i,
                    "year": year,
                    "period": "annual",
                    "scheme": "predikat_2022",
                    "rating": rating,
                    "unit_id": "U1",
                    "recorded_at": f"{year + 1}-02-01",
                }
                for i, p in people.items()
                for year, rating in zip((2021, 2022), p[4], strict=True)
            ]
        ),
        "disciplinary_records": pd.DataFrame(
            [
                {
                    "employee_id": i,
                    "severity": "sedang",
                    "decided_on": p[5],
                    "start_date": p[5],
                    "recorded_at": p[5],
                }
                for i, p in people.items()
                if p[5]
            ]
        ),
        "courses": reference.load("courses"),
    }
    for name, more in extra.items():
        frames[name] = pd.concat([frames[name], more], ignore_index=True)
    births = pd.Series(pd.Timestamp("1980-01-01"), index=ids)
    return from_frames(frames), births
