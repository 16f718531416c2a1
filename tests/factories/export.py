"""A tiny hand-built export with known contents, written as CSV like an HR system would."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

AGENCIES = pd.DataFrame(
    {
        "agency_id": ["KOTA-DINKES"],
        "name": ["Dinas Kesehatan Kota Gorontalo"],
        "region": ["Kota Gorontalo"],
        "region_type": ["kota"],
        "field": ["kesehatan"],
    }
)
UNITS = pd.DataFrame(
    {
        "unit_id": ["U1", "U2"],
        "agency_id": ["KOTA-DINKES", "KOTA-DINKES"],
        "name": ["Puskesmas Kota Selatan", "Bidang Pelayanan Kesehatan"],
        "unit_type": ["puskesmas", "bidang"],
    }
)
POSITIONS = pd.DataFrame(
    {
        "position_id": ["P1", "P2"],
        "unit_id": ["U1", "U2"],
        "title": ["Perawat Ahli Pertama", "Kepala Bidang Pelayanan Kesehatan"],
        "family": ["jf_ahli_pertama", "administrator"],
        "field": ["kesehatan", "kesehatan"],
        "occupation": ["perawat_ahli", None],
        "capacity": [4, 1],
    }
)
EMPLOYEES = pd.DataFrame(
    {
        "employee_id": ["E1", "E2"],
        "nip": ["199001152015032001", "198507202010011002"],
        "name": ["Sitti Hasan", "Rizal Katili"],
        "sex": ["F", "M"],
        "birth_date": ["1990-01-15", "1985-07-20"],
        "employment_type": ["PNS", "PNS"],
        "education": ["S1", "S2"],
        "hire_date": ["2015-03-01", "2010-01-01"],
        "exit_date": [None, None],
        "exit_reason": [None, None],
        "recorded_at": ["2015-03-20 09:00:00", "2010-01-15 10:00:00"],
    }
)
POSITION_HISTORY = pd.DataFrame(
    {
        "employee_id": ["E1", "E2"],
        "position_id": ["P1", "P2"],
        "start_date": ["2015-03-01", "2019-02-01"],
        "end_date": [None, None],
        "reason": ["pengangkatan", "promosi"],
        "decree_number": [None, "821.2/BKD/012/2019"],
        "recorded_at": ["2015-03-20 09:00:00", "2019-02-10 09:00:00"],
    }
)
EVALUATIONS = pd.DataFrame(
    {
        "employee_id": ["E1", "E1", "E2"],
        "year": [2021, 2022, 2022],
        "period": "annual",
        "scheme": ["numeric_2011", "predikat_2022", "predikat_2022"],
        "score": [84.5, None, None],
        "work_result": [None, "sesuai", "di_atas"],
        "work_behaviour": [None, "sesuai", "di_atas"],
        "rating": ["baik", "baik", "sangat_baik"],
        "unit_id": ["U1", "U1", "U2"],
        "period_start": ["2021-01-01", "2022-01-01", "2022-01-01"],
        "period_end": ["2021-12-31", "2022-12-31", "2022-12-31"],
        "recorded_at": ["2022-02-10 09:00:00", "2023-01-30 09:00:00", "2023-02-03 09:00:00"],
    }
)
TRAINING = pd.DataFrame(
    {
        "employee_id": ["E1", "E2"],
        "title": [
            "PELATIHAN KEPEMIMPINAN ADMINISTRATOR (PKA) ANGKATAN II",
            "Diklat Kursus Bahasa Klingon",
        ],
        "course_id": [None, None],
        "jp": [880, 12],
        "start_date": ["2019-05-01", "2020-03-02"],
        "end_date": ["2019-09-30", "2020-03-04"],
        "provider": ["BPSDM Provinsi Gorontalo", None],
        "certificate_number": ["123/2019", None],
        "recorded_at": ["2019-10-20 09:00:00", "2020-03-20 09:00:00"],
    }
)

TABLES = {
    "agencies": AGENCIES,
    "units": UNITS,
    "positions": POSITIONS,
    "employees": EMPLOYEES,
    "position_history": POSITION_HISTORY,
    "evaluations": EVALUATIONS,
    "training_records": TRAINING,
}


def write_export(folder: Path, **changes: pd.DataFrame) -> Path:
    """Write the tiny export to `folder` as CSV, with some tables replaced by `changes`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in {**TABLES, **changes}.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder
