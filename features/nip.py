"""The NIP (Nomor Induk Pegawai): 18 digits that encode birth date, TMT CPNS and sex.

Layout: ``YYYYMMDD`` birth date, ``YYYYMM`` TMT CPNS, one sex digit (1 male, 2 female) and a
3-digit serial. Because it reveals age, sex and cohort, nothing derived from it is ever a model
feature; it is only validated here and used to find a person in an export.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from features.sources import ROW

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


def nip_problems(employees: pd.DataFrame) -> Iterator[tuple[str, int, str, str]]:
    """Problems of well-formed NIPs against the record: ``(severity, row, column, message)``.

    Birth date and sex must agree with the NIP (errors). The TMT part disagreeing with the hire
    date is a warning: exports often carry TMT PNS instead of TMT CPNS.
    """
    nip = employees["nip"].astype("string")
    formed = nip.str.fullmatch(r"\d{18}").fillna(False).astype(bool)
    frame = employees.loc[formed]
    digits = nip[formed]
    born = pd.to_datetime(digits.str[:8], format="%Y%m%d", errors="coerce")
    for row in frame.loc[born.isna(), ROW]:
        yield ("error", int(row), "nip", "the first 8 digits are not a valid birth date")
    wrong_birth = born.notna() & frame["birth_date"].notna() & (born != frame["birth_date"])
    for row in frame.loc[wrong_birth, ROW]:
        yield ("error", int(row), "nip", "birth date in the NIP differs from birth_date")
    sex = digits.str[14].map(SEX_DIGIT)
    for row in frame.loc[sex.isna(), ROW]:
        yield ("error", int(row), "nip", "digit 15 must be 1 (male) or 2 (female)")
    wrong_sex = sex.notna() & frame["sex"].notna() & (sex != frame["sex"])
    for row in frame.loc[wrong_sex, ROW]:
        yield ("error", int(row), "nip", "sex in the NIP differs from sex")
    tmt = digits.str[8:14]
    hired = frame["hire_date"].dt.strftime("%Y%m")
    wrong_tmt = hired.notna() & (tmt != hired)
    if wrong_tmt.any():
        rows = ", ".join(str(int(r)) for r in frame.loc[wrong_tmt, ROW].head(5))
        yield (
            "warning",
            -1,
            "nip",
            f"TMT in the NIP differs from hire_date ({int(wrong_tmt.sum())} rows, e.g. {rows})",
        )
