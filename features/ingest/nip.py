"""The NIP (Nomor Induk Pegawai): 18 digits that encode birth date, TMT CPNS and sex.

Layout: ``YYYYMMDD`` birth date, ``YYYYMM`` TMT CPNS, one sex digit (1 male, 2 female) and a
3-digit serial. Because it reveals age, sex and cohort, nothing derived from it is ever a model
feature; it is only validated here and used to find a person in an export.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from features.ingest.sources import ROW

SEX_DIGIT = {"1": "M", "2": "F"}


def make_nip(
    birth_date: pd.Series, hire_date: pd.Series, sex: pd.Series, serial: pd.Series
) -> pd.Series:
    """Compose NIPs from their parts (used by the synthetic generator)."""
    sex_digit = sex.map({"M": "1", "F": "2"})
    return (
        birth_date.dt.strftime("%Y%m%d")
        + hire_date.dt.strftime("%Y%m")
        + sex_digit
        + serial.astype(int).map("{:03d}".format)
    )


def _well_formed(employees: pd.DataFrame) -> pd.Series:
    return employees["nip"].astype("string").str.fullmatch(r"\d{18}").fillna(False).astype(bool)


def nip_problems(employees: pd.DataFrame) -> Iterator[tuple[int, str]]:
    """Well-formed NIPs that contradict their record: ``(row, message)``, all errors.

    Birth date and sex must agree with the NIP. (The format itself is checked by the column
    schema; the TMT part is only compared by `tmt_differs`.)
    """
    formed = _well_formed(employees)
    frame = employees.loc[formed]
    digits = frame["nip"].astype("string")
    born = pd.to_datetime(digits.str[:8], format="%Y%m%d", errors="coerce")
    for row in frame.loc[born.isna(), ROW]:
        yield int(row), "the first 8 digits are not a valid birth date"
    wrong_birth = born.notna() & frame["birth_date"].notna() & (born != frame["birth_date"])
    for row in frame.loc[wrong_birth, ROW]:
        yield int(row), "birth date in the NIP differs from birth_date"
    sex = digits.str[14].map(SEX_DIGIT)
    for row in frame.loc[sex.isna(), ROW]:
        yield int(row), "digit 15 must be 1 (male) or 2 (female)"
    wrong_sex = sex.notna() & frame["sex"].notna() & (sex != frame["sex"])
    for row in frame.loc[wrong_sex, ROW]:
        yield int(row), "sex in the NIP differs from sex"


def tmt_differs(employees: pd.DataFrame) -> pd.Series:
    """Rows whose NIP's TMT (YYYYMM) differs from hire_date.

    Only a warning: exports often carry TMT PNS where the NIP has TMT CPNS.
    """
    formed = _well_formed(employees)
    hired = employees["hire_date"].dt.strftime("%Y%m")
    tmt = employees["nip"].astype("string").str[8:14]
    return (formed & hired.notna() & (tmt != hired)).fillna(False).astype(bool)
