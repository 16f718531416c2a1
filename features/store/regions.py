"""A dataset partitioned by region: its layout, and one region read at a time as `Records`.

The national layout (`jenjang data generate --scale national`, or an export arranged the same
way) is hive-style Parquet, one folder per table and one per region inside it, with the
catalogues, which are national, as single files::

    DATA/employees/region=R000/part-0.parquet … DATA/courses.parquet

Spark, DuckDB and pyarrow read a table's folder as one dataset with a ``region`` column; a batch
job reads one region's files directly (`region_records`), so a worker holds one region, never
the country. A region's records are complete for the people in it: their positions, units,
histories and trainings are all in the same region. Training records whose course id is empty
(an export's, the generator's) get it from their title, and a row repeated exactly is kept once,
as an ingest does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from features.asof.records import Records, from_frames
from features.reference.course_titles import match_titles
from features.schema import TABLES

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


def region_table(folder: Path, name: str, region: str, columns: list[str] | None) -> pd.DataFrame:
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
    frame = pd.read_parquet(path, columns=columns)
    return frame if columns is not None else once(frame, name, path)


def once(frame: pd.DataFrame, name: str, path: Path) -> pd.DataFrame:
    """`frame` with a row repeated exactly kept once, as an ingest keeps it; two rows with the
    same natural key and different values are an error naming the file, row and key (an
    ingest rejects them too: which one is true is for the data's owner to say)."""
    frame = frame.drop_duplicates()  # the index keeps each row's place in the file
    key = list(TABLES[name].key)
    clash = frame.duplicated(key, keep="first")
    if clash.any():
        row = frame.index[clash.to_numpy()][0]
        values = ", ".join(f"{k}={frame.at[row, k]!s}" for k in key)
        raise ValueError(
            f"{path}, row {row}: same key as an earlier row ({values}) but different values"
        )
    return frame.reset_index(drop=True)


def region_records(
    folder: Path, region: str, tables: tuple[str, ...], snapshot_id: str
) -> tuple[Records, pd.Series]:
    """Region `region`'s records (typed, personal columns dropped) and its birth dates (index
    employee_id; the legal age limit of eligibility only, never a feature)."""
    folder = Path(folder)
    frames = {name: region_table(folder, name, region, None) for name in tables}
    if "training_records" in frames:
        courses = region_table(folder, "courses", region, ["course_id", "title_id"])
        frames["training_records"] = with_course_ids(frames["training_records"], courses)
    births = region_table(folder, "employees", region, ["employee_id", "birth_date"])
    birth_dates = pd.to_datetime(births.set_index("employee_id")["birth_date"])
    return from_frames(frames, snapshot_id), birth_dates


def with_course_ids(trainings: pd.DataFrame, courses: pd.DataFrame) -> pd.DataFrame:
    """`trainings` with the catalogue's course id filled in by title where it is missing, as
    the province's ingest fills it (`features.reference.course_titles`): exports carry the
    certificate's title, and a record without its course would leave the person's history,
    prerequisites and the country's uptake blind to it."""
    missing = trainings["course_id"].isna()
    if not missing.any():
        return trainings
    trainings = trainings.copy()
    trainings.loc[missing, "course_id"] = match_titles(trainings.loc[missing, "title"], courses)
    return trainings


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
