"""How close a generated dataset is to the real marginals it is calibrated on.

Targets are in ``calibration_targets.csv`` beside this module, each with its source and the
tolerance we hold the generator to. `measure(folder)` computes the same statistics from the
*observable* tables of a dataset (active ASN at the end of the last year), so the check reads
what a user would see, not the simulation's internals.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from features import reference


def targets() -> pd.DataFrame:
    return pd.read_csv(Path(__file__).with_name("calibration_targets.csv"))


def _read(folder: Path, name: str) -> pd.DataFrame:
    for suffix in ("parquet", "csv"):
        path = folder / f"{name}.{suffix}"
        if path.exists():
            return pd.read_parquet(path) if suffix == "parquet" else pd.read_csv(path)
    raise FileNotFoundError(f"{folder} has no {name} table")


def active_on(folder: Path, on: dt.date) -> pd.DataFrame:
    """Employees active on `on`, with their post's family and their grade then."""
    employees = _read(folder, "employees")
    on_ts = pd.Timestamp(on)
    exit_date = pd.to_datetime(employees["exit_date"])
    active = employees[
        (pd.to_datetime(employees["hire_date"]) <= on_ts) & (exit_date.isna() | (exit_date > on_ts))
    ]
    history = _read(folder, "position_history")
    history = history[pd.to_datetime(history["start_date"]) <= on_ts]
    current = history.sort_values("start_date").groupby("employee_id").tail(1)
    families = _read(folder, "positions").set_index("position_id")["family"]
    current = current.assign(family=current["position_id"].map(families))
    grades = _read(folder, "grade_history")
    grades = grades[pd.to_datetime(grades["start_date"]) <= on_ts]
    grade = grades.sort_values("start_date").groupby("employee_id")["grade"].last()
    return active.merge(current[["employee_id", "family"]], on="employee_id", how="left").assign(
        grade=lambda f: f["employee_id"].map(grade)
    )


def end_year(folder: Path) -> int:
    """The last simulated year, from the dataset's manifest."""
    manifest = json.loads((folder / "truth" / "manifest.json").read_text())
    return int(manifest["config"]["end_year"])


def measure(folder: Path) -> dict[str, float]:
    """The calibrated statistics of a dataset (shares of active ASN at its last year's end)."""
    stats: dict[str, float] = {}
    final = active_on(folder, dt.date(end_year(folder), 12, 31))
    stats["active_asn"] = float(len(final))
    stats["share_women"] = float((final["sex"] == "F").mean())
    graduate = final["education"].isin(["D4", "S1", "S2", "S3"])
    stats["share_s1_or_higher"] = float(graduate.mean())
    stats["share_pppk"] = float((final["employment_type"] == "PPPK").mean())
    kinds = reference.load("position_families").set_index("family")["kind"]
    kind = final["family"].map(kinds)
    stats["share_structural"] = float(kind.isin(["jpt", "administrator", "pengawas"]).mean())
    stats["share_functional"] = float(kind.str.startswith("fungsional").mean())
    stats["share_pelaksana"] = float((kind == "pelaksana").mean())
    earlier = active_on(folder, dt.date(2019, 12, 31))
    pns = earlier[earlier["employment_type"] == "PNS"]
    group = pns["grade"].str.split("/").str[0]
    for g in ("I", "II", "III", "IV"):
        stats[f"share_golongan_{g}_2019"] = float((group == g).mean())
    return stats


def compare(folder: Path) -> pd.DataFrame:
    """Each target beside the measured value and whether it is within tolerance."""
    measured = measure(folder)
    table = targets()
    table["measured"] = table["statistic"].map(measured)
    table["ok"] = (table["measured"] - table["target"]).abs() <= table["tolerance"]
    return table
