"""Steps of the dataset: synthetic generation and ingestion into the database.

Figures: generation of the province (time and memory), the national generator's rate on a few of
its regions (one region is one chunk, so the peak stays that of a region), and the first load and
the idempotent re-load of a dataset into SQLite.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bench.harness import run_step


def generate(
    scale: str, seed: int, regions: int | None, out: str, employees: int | None = None
) -> int:
    """Generate a dataset of `scale` (only its first `regions` if given) into `out`; returns
    the number of ASN generated. `employees` overrides the head count (small trial runs)."""
    from features.synth import GeneratorConfig, generate_dataset

    config = GeneratorConfig.for_scale(scale, employees=employees, seed=seed)
    if regions is not None:
        sizes = config.region_sizes()[:regions]
        config = replace(config, regions=config.regions[:regions], employees=sum(sizes))
    result = sum(config.region_sizes())
    generate_dataset(config, Path(out))
    return result


def ingest(folder: str, url: str) -> dict[str, int]:
    """Ingest the dataset in `folder` into the database at `url`; rows inserted and unchanged."""
    from features.ingest.upsert import ingest_folder
    from features.store.database import create_db_engine

    report = ingest_folder(Path(folder), create_db_engine(url))
    return {"inserted": report.total("inserted"), "unchanged": report.total("unchanged")}


def eligibility(folder: str) -> dict[str, object]:
    """Eligibility on the dataset in `folder` (`bench.eligibility`): the facts of everyone on
    its extraction date, then every rule of each structural family (median of 5 runs)."""
    from dataclasses import asdict

    from bench.eligibility import measure as measure_eligibility

    return asdict(measure_eligibility(Path(folder), runs=5))


if __name__ == "__main__":
    run_step(generate, ingest, eligibility)
