"""Hand-built HR records with known features at AS_OF = 2024-01-01 (values worked out below).

E1: pengawas (P1, Kepala Seksi, kesehatan) since 2022-03-01, before that pelaksana (P2).
    Assessed 2020-06-01 (potential 72, tinggi): M.01 = 1, M.04 = 1, T.KES.01 = 2. A later
    assessment (2023-12-20) is recorded only on 2024-02-01: after AS_OF, it must not count.
    SKP 2021 score 92 (old scheme, no category: ordinal 5), 2022 predikat Baik (4); the 2023
    predikat is recorded after AS_OF. Trainings: 20 JP ended 2023-06-10, 30 JP ended 2022-09-01,
    and one recorded after AS_OF. Has not taken PKP (owed, overdue: 1.84 years in the post).
E2: pelaksana (P2) since 2015; SKP 2021 score 70 (Cukup, 3), 2022 Butuh Perbaikan (3); never
    trained; a medium penalty on 2023-05-01.
E3: PPPK pelaksana since 2021; SKP 2022 Sangat Baik (5); never assessed.
"""

from __future__ import annotations

import pandas as pd

from features import reference
from features.asof.records import Records, from_frames

AS_OF = pd.Timestamp("2024-01-01")
GENERAL = ["M.01", "M.02", "M.03", "M.04", "M.05", "M.06", "M.07", "M.08", "SK.01"]


def tables() -> dict[str, pd.DataFrame]:
    standards = pd.DataFrame(
        [("P1", c, 2) for c in GENERAL] + [("P1", "T.KES.01", 3)] + [("P2", c, 1) for c in GENERAL],
        columns=["position_id", "competency_code", "required_level"],
    )
    return {
        "agencies": pd.DataFrame(
            {
                "agency_id": ["A1"],
                "name": ["Dinas Kesehatan"],
                "region": ["Kota Gorontalo"],
                "region_type": ["kota"],
                "field": ["kesehatan"],
            }
        ),
        "units": pd.DataFrame(
            {
                "unit_id": ["U1"],
                "agency_id": ["A1"],
                "name": ["Bidang Pelayanan"],
                "unit_type": ["bidang"],
            }
        ),
        "positions": pd.DataFrame(
            {
                "position_id": ["P1", "P2"],
                "unit_id": ["U1", "U1"],
                "title": ["Kepala Seksi Pelayanan", "Pengadministrasi Umum"],
                "family": ["pengawas", "pelaksana"],
                "field": ["kesehatan", "kesehatan"],
                "occupation": [None, "pengadministrasi"],
                "capacity": [1, 5],
            }
        ),
        "position_standards": standards,
        "employees": pd.DataFrame(
            {
                "employee_id": ["E1", "E2", "E3"],
                "employment_type": ["PNS", "PNS", "PPPK"],
                "education": ["S1", "SMA", "S1"],
                "hire_date": ["2010-03-01", "2015-03-01", "2021-04-01"],
                "exit_date": [None, None, None],
                "exit_reason": [None, None, None],
                "recorded_at": ["2010-03-10", "2015-03-10", "2021-04-10"],
            }
        ),
        "position_history": pd.DataFrame(
            {
                "employee_id": ["E1", "E1", "E2", "E3"],
                "position_id": ["P2", "P1", "P2", "P2"],
                "start_date": ["2012-01-01", "2022-03-01", "2015-03-01", "2021-04-01"],
                "end_date": ["2022-02-28", None, None, None],
                "reason": ["pengangkatan", "promosi", "pengangkatan", "pengangkatan"],
                "recorded_at": ["2012-01-05", "2022-03-10", "2015-03-10", "2021-04-10"],
            }
        ),
        "grade_history": pd.DataFrame(
            {
                "employee_id": ["E1", "E2"],
                "grade": ["III/c", "II/b"],
                "start_date": ["2020-04-01", "2019-04-01"],
                "recorded_at": ["2020-03-20", "2019-03-20"],
            }
        ),
        "assessments": pd.DataFrame(
            {
                "assessment_id": ["A1", "A2"],
                "employee_id": ["E1", "E1"],
                "assessed_on": ["2020-06-01", "2023-12-20"],
                "method": ["uji_kompetensi"] * 2,
                "potential_score": [72.0, 80.0],
                "potential_tier": ["tinggi", "tinggi"],
                "recorded_at": ["2020-07-01", "2024-02-01"],
            }
        ),
        "assessment_levels": pd.DataFrame(
            {
                "assessment_id": ["A1", "A1", "A1", "A2"],
                "competency_code": ["M.01", "M.04", "T.KES.01", "M.01"],
                "level": [1, 1, 2, 3],
            }
        ),
        "evaluations": pd.DataFrame(
            {
                "employee_id": ["E1", "E1", "E2", "E2", "E3", "E1"],
                "year": [2021, 2022, 2021, 2022, 2022, 2023],
                "period": "annual",
                "scheme": [
                    "numeric_2011",
                    "predikat_2022",
                    "numeric_2011",
                    "predikat_2022",
                    "predikat_2022",
                    "predikat_2022",
                ],
                "score": [92.0, None, 70.0, None, None, None],
                "rating": [None, "baik", None, "butuh_perbaikan", "sangat_baik", "sangat_baik"],
                "unit_id": "U1",
                "recorded_at": [
                    "2022-02-01",
                    "2023-02-01",
                    "2022-02-01",
                    "2023-02-01",
                    "2023-02-01",
                    "2024-01-20",
                ],
            }
        ),
        "unit_evaluations": pd.DataFrame(
            {"unit_id": ["U1"], "year": [2022], "rating": ["baik"], "recorded_at": ["2023-01-15"]}
        ),
        "disciplinary_records": pd.DataFrame(
            {
                "employee_id": ["E2"],
                "severity": ["sedang"],
                "decided_on": ["2023-05-01"],
                "start_date": ["2023-05-01"],
                "end_date": ["2023-11-01"],
                "recorded_at": ["2023-05-10"],
            }
        ),
        "training_records": pd.DataFrame(
            {
                "employee_id": ["E1", "E1", "E1"],
                "title": ["a", "b", "c"],
                "course_id": ["C014", "C010", "C028"],
                "jp": [20, 30, 8],
                "start_date": ["2023-06-08", "2022-08-25", "2023-12-10"],
                "end_date": ["2023-06-10", "2022-09-01", "2023-12-15"],
                "recorded_at": ["2023-07-01", "2022-09-20", "2024-01-10"],
            }
        ),
        "courses": reference.load("courses"),
        "course_competencies": reference.load("course_competencies"),
        "course_prerequisites": reference.load("course_prerequisites"),
    }


def records(**changes: pd.DataFrame) -> Records:
    """The records above, with some tables replaced or extended."""
    return from_frames({**tables(), **changes})


def spine(*ids: str, as_of: pd.Timestamp = AS_OF) -> pd.DataFrame:
    return pd.DataFrame({"employee_id": list(ids or ("E1", "E2", "E3")), "as_of": as_of})
