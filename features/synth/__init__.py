"""Synthetic ASN datasets with hidden ground truth (see docs/data-generator.md).

`generate_dataset(config, out)` simulates each region in turn (a chunk: bounded memory at
national scale), appends its observable tables to ``out/<table>.parquet|csv`` in the canonical
schema and its truth to ``out/truth/``. Feature and model code never reads ``truth/``; only
evaluation does. The same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from rich.progress import Progress

from features import reference
from features.schema import TABLES
from features.synth import (
    appraisal,
    careers,
    learning,
    mechanisms,
    observe,
    organisation,
    people,
    simulation,
)
from features.synth.config import GeneratorConfig, Region
from features.synth.learning import build_course_book
from features.synth.observe import NipIssuer, Observer
from features.synth.organisation import Catalogues
from features.synth.simulation import simulate_region

__all__ = ["GeneratorConfig", "generate_dataset", "next_cycle_config", "TRUTH_DIR"]

TRUTH_DIR = "truth"
GENERATOR_VERSION = "3"  # bump whenever a mechanism or a constant changes
#: Modules whose upper-case constants define the synthetic world (recorded in the manifest).
MECHANISM_MODULES = (
    organisation,
    mechanisms,
    people,
    learning,
    careers,
    appraisal,
    simulation,
    observe,
)
NOISE_KEY = 1_000_003  # spawn key of the observation noise under each region's seed
CATALOGUE_TABLES = (
    "competencies",
    "courses",
    "course_competencies",
    "course_prerequisites",
    "course_audiences",
)

_ARROW = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("s"),
    "bool": pa.bool_(),
}


def next_cycle_config(folder: Path) -> GeneratorConfig:
    """The configuration that continues the dataset in `folder` by one year.

    The next cycle is a whole new export (as an HR system gives one): the same people and
    mechanisms, every earlier row repeated as it was, plus the new year's facts and what
    changed (placements that ended, people who left). Only a complete dataset of this
    generator version can be continued: another version draws other noise.
    """
    path = folder / TRUTH_DIR / "manifest.json"
    if not path.is_file():
        raise ValueError(f"{folder} holds no Jenjang dataset (no {TRUTH_DIR}/manifest.json)")
    manifest = json.loads(path.read_text())
    if not manifest.get("complete"):
        raise ValueError(f"{folder} holds an incomplete dataset; generate it again")
    version = manifest.get("generator_version")
    if version != GENERATOR_VERSION:
        raise ValueError(
            f"{folder} was made by generator version {version}, this is version "
            f"{GENERATOR_VERSION}; generate it again with the same seed to continue it"
        )
    changed = _changed_constants(manifest.get("mechanism_constants", {}))
    if changed:
        raise ValueError(
            f"the generator's constants changed since {folder} was made "
            f"({', '.join(changed[:5])}); generate it again with the same seed to continue it"
        )
    return GeneratorConfig.from_manifest(manifest["config"]).next_cycle()


def _mechanism_constants() -> dict[str, dict[str, object]]:
    """The upper-case constants of the mechanism modules, as the manifest records them."""
    return {
        module.__name__.rsplit(".", 1)[-1]: {
            k: v for k, v in vars(module).items() if k.isupper() and not k.startswith("_")
        }
        for module in MECHANISM_MODULES
    }


def _changed_constants(recorded: dict[str, dict[str, object]]) -> list[str]:
    """module.CONSTANT names whose value differs from the manifest's (a version bump forgotten
    would otherwise continue a dataset with other mechanisms)."""
    current = json.loads(json.dumps(_mechanism_constants(), default=str))
    names = {(m, k) for part in (current, recorded) for m, values in part.items() for k in values}
    return sorted(
        f"{m}.{k}" for m, k in names if current.get(m, {}).get(k) != recorded.get(m, {}).get(k)
    )


def extraction_date(config: GeneratorConfig) -> dt.date:
    """The day the export is taken: facts recorded later are not in it."""
    return dt.date(config.end_year + 1, 6, 30)


class _Sink:
    """Appends chunks of one table to a Parquet or CSV file."""

    def __init__(self, path: Path, file_format: str, schema: pa.Schema | None = None) -> None:
        self.path, self.file_format, self.schema = path, file_format, schema
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        table = to_arrow(frame, self.schema)
        self.rows += table.num_rows
        if self.file_format == "csv":
            frame = table.to_pandas(date_as_object=True)
            frame.to_csv(self.path, mode="a", header=not self.path.exists(), index=False)
            return
        if self.writer is None:
            self.schema = table.schema
            self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self.writer.write_table(table)

    def close(self) -> None:
        """Finish the file; a table the simulation left empty (the angka kredit, which it does
        not simulate) is still written, with its columns, so every canonical table has a file."""
        if self.writer is not None:
            self.writer.close()
        elif not self.path.exists() and self.schema is not None:
            self.write(pd.DataFrame(columns=self.schema.names))
            if self.writer is not None:
                self.writer.close()


def canonical_schema(name: str) -> pa.Schema:
    return pa.schema([(c.name, _ARROW[c.dtype]) for c in TABLES[name].columns])


def to_arrow(frame: pd.DataFrame, schema: pa.Schema | None) -> pa.Table:
    if schema is None:
        return pa.Table.from_pandas(frame, preserve_index=False)
    arrays = []
    for column in schema:
        values = frame[column.name] if column.name in frame else pd.Series([None] * len(frame))
        if pa.types.is_date32(column.type):
            values = pd.Series(np.asarray(values, dtype="datetime64[D]"))
        arrays.append(pa.array(values, type=column.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def generate_dataset(config: GeneratorConfig, out: Path, progress: bool = False) -> dict[str, int]:
    """Generate the dataset into `out` (emptied first); returns rows written per table."""
    prepare_output(out)
    root = np.random.SeedSequence(config.seed)
    course_seed, *region_seeds = root.spawn(len(config.regions) + 1)
    courses = build_course_book(np.random.default_rng(course_seed))
    catalogues = Catalogues.load()
    suffix = config.file_format
    sinks = {
        name: _Sink(out / f"{name}.{suffix}", suffix, canonical_schema(name))
        for name in TABLES
        if name not in CATALOGUE_TABLES
    }
    truth: dict[str, _Sink] = {}
    issuer = NipIssuer()
    for name in CATALOGUE_TABLES:
        _Sink(out / f"{name}.{suffix}", suffix, canonical_schema(name)).write(reference.load(name))
    with Progress(disable=not progress) as bar:
        task = bar.add_task("simulating regions", total=len(config.regions))
        for number, (region, size, seed) in enumerate(_regions(config, region_seeds)):
            rng = np.random.default_rng(seed)
            world = simulate_region(config, region, size, rng, catalogues, courses)
            observer = Observer(world, number, extraction_date(config), noise_seed(seed), issuer)
            observable, hidden = observer.tables()
            for name, frame in observable.items():
                if len(frame):
                    sinks[name].write(frame)
            for name, frame in hidden.items():
                if name not in truth:
                    truth[name] = _Sink(out / TRUTH_DIR / f"{name}.parquet", "parquet")
                if len(frame):
                    truth[name].write(frame)
            bar.advance(task)
    for sink in [*sinks.values(), *truth.values()]:
        sink.close()
    write_truth_courses(courses, out / TRUTH_DIR)
    write_manifest(config, out, {n: s.rows for n, s in sinks.items()})
    return {n: s.rows for n, s in sinks.items()}


def prepare_output(out: Path) -> None:
    """Empty `out` for a new dataset — only when it is empty or holds an earlier dataset.

    Refusing other folders keeps a mistyped ``--out`` from deleting somebody's files.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / TRUTH_DIR / "manifest.json").is_file():
            raise ValueError(
                f"--out {out} is not empty and holds no earlier Jenjang dataset "
                f"(no {TRUTH_DIR}/manifest.json); choose an empty or new folder"
            )
        shutil.rmtree(out)
    (out / TRUTH_DIR).mkdir(parents=True)
    # Mark the folder as ours at once, so an interrupted run can be regenerated over.
    (out / TRUTH_DIR / "manifest.json").write_text(json.dumps({"complete": False}))


def noise_seed(region: np.random.SeedSequence) -> np.random.SeedSequence:
    """The observer's seed: a child of the region's that the simulation never draws from."""
    return np.random.SeedSequence(region.entropy, spawn_key=(*region.spawn_key, NOISE_KEY))


def _regions(
    config: GeneratorConfig, seeds: list[np.random.SeedSequence]
) -> Iterator[tuple[Region, int, np.random.SeedSequence]]:
    yield from zip(config.regions, config.region_sizes(), seeds, strict=True)


def write_truth_courses(courses, folder: Path) -> None:  # type: ignore[no-untyped-def]
    pd.DataFrame(
        {
            "course_id": courses.courses["course_id"],
            "effectiveness": courses.effectiveness,
            "popularity": courses.popularity,
        }
    ).to_parquet(folder / "courses.parquet", index=False)


def write_manifest(
    config: GeneratorConfig, out: Path, rows: dict[str, int], layout: str = "files"
) -> None:
    """Mark the dataset complete, with what made it. `layout`: one file per table ("files") or
    a folder per table partitioned by region ("partitioned", `features.synth.partitioned`)."""
    constants = _mechanism_constants()
    manifest = {
        "complete": True,
        "layout": layout,
        "generator_version": GENERATOR_VERSION,
        "config": {**asdict(config), "regions": [asdict(r) for r in config.regions]},
        "extraction_date": extraction_date(config).isoformat(),
        "rows": rows,
        "mechanism_constants": constants,
        "truth_files": sorted(p.name for p in (out / TRUTH_DIR).iterdir()),
    }
    (out / TRUTH_DIR / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
