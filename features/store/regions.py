"""A dataset partitioned by region: its layout, and one region read at a time as `Records`.

The national layout (`jenjang data generate --scale national`, or an export arranged the same
way) is hive-style Parquet, one folder per table and one per region inside it, with the
catalogues, which are national, as single files::

    DATA/employees/region=R000/part-0.parquet … DATA/courses.parquet

Spark, DuckDB and pyarrow read a table's folder as one dataset with a ``region`` column; a batch
job reads one region's files directly (`region_records`), so a worker holds one region, never
the country. A region's records are complete for the people in it: their positions, units,
histories and trainings are all in the same region.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from features.asof.records import Records, from_frames

#: The file of one region's rows of a table.
PART = "part-0.parquet"
#: Written last by the generator: which regions a dataset holds, in their order.
MANIFEST = Path("truth") / "manifest.json"


def partition(folder: Path, table: str, region: str) -> Path:
    """Where region `region`'s rows of `table` are (or go) under `folder`."""
    return Path(folder) / table / f"region={region}" / PART


def is_partitioned(folder: Path) -> bool:
    """Whether `folder` holds a dataset partitioned by region (an employees folder of regions)."""
    return (Path(folder) / "employees").is_dir()


def regions_of(folder: Path) -> list[str]:
    """The region codes of a partitioned dataset: in the generator's order when its manifest
    says it, else sorted as found under ``employees/``."""
    folder = Path(folder)
    if not is_partitioned(folder):
        raise ValueError(
            f"{folder} is not a dataset partitioned by region (no employees/region=<code>/ "
            "folders); generate one with `jenjang data generate --scale national`"
        )
    manifest = folder / MANIFEST
    if manifest.is_file():
        written = json.loads(manifest.read_text())
        if not written.get("complete"):
            raise ValueError(
                f"{folder} holds an incomplete dataset ({MANIFEST} says so): its generation "
                "was interrupted; generate it again"
            )
        if written.get("config", {}).get("regions"):
            return [str(r["code"]) for r in written["config"]["regions"]]
    found = sorted(p.name.removeprefix("region=") for p in (folder / "employees").glob("region=*"))
    if not found:
        raise ValueError(f"{folder}/employees holds no region=<code> folders")
    return found


def _table(folder: Path, name: str, region: str, columns: list[str] | None) -> pd.DataFrame:
    """One table of one region (a national catalogue is the same file for every region). A
    missing file is an error naming it: a region scored without its trainings, say, would be
    scored wrong without a word."""
    national = folder / f"{name}.parquet"
    path = national if national.is_file() else partition(folder, name, region)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: region {region} has no {name} table (write an empty file "
            "when the region has no rows)"
        )
    return pd.read_parquet(path, columns=columns)


def region_records(
    folder: Path, region: str, tables: tuple[str, ...], snapshot_id: str
) -> tuple[Records, pd.Series]:
    """Region `region`'s records (typed, personal columns dropped) and its birth dates (index
    employee_id; the legal age limit of eligibility only, never a feature)."""
    folder = Path(folder)
    frames = {name: _table(folder, name, region, None) for name in tables}
    births = _table(folder, "employees", region, ["employee_id", "birth_date"])
    birth_dates = pd.to_datetime(births.set_index("employee_id")["birth_date"])
    return from_frames(frames, snapshot_id), birth_dates


def folder_snapshot_id(folder: Path) -> str:
    """A short id of a partitioned dataset's contents: every data file's path and size, so a
    new export (another size, another region) gives another id and the answers computed from
    the old one are never taken for the new one's."""
    folder = Path(folder)
    files = sorted(
        (str(p.relative_to(folder)), p.stat().st_size)
        for p in folder.rglob("*.parquet")
        if p.relative_to(folder).parts[0] != "truth"
    )
    digest = hashlib.sha256(json.dumps(files).encode()).hexdigest()[:10]
    return f"pq-{digest}"
