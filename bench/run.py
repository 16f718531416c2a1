"""`make bench`: generation and ingestion at province scale, national generation rate.

Writes docs/benchmarks.md with the machine, the command and the figures. Benchmarks are not
tests; run them on a quiet machine and compare figures from the same run only.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.database import create_db_engine  # noqa: E402
from features.ingest import ingest_folder  # noqa: E402
from features.synth import GeneratorConfig  # noqa: E402
from features.synth.calibration import compare  # noqa: E402

NATIONAL_SAMPLE_REGIONS = 4


def _child(code: str) -> tuple[float, float, str]:
    """Run `code` in a fresh Python; return seconds, peak memory (MiB) and its last line."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="jenjang-bench-"))
    province = work / "province"
    gen_s, gen_peak, _ = _child(
        "from pathlib import Path; from features.synth import GeneratorConfig, generate_dataset;"
        f"generate_dataset(GeneratorConfig.for_scale('province', seed=42), Path({str(province)!r}))"
    )
    calibration = compare(province)
    ingest_s, ingest_peak, rows = _child(
        "from pathlib import Path; from features.database import create_db_engine;"
        "from features.ingest import ingest_folder;"
        f"r = ingest_folder(Path({str(province)!r}), create_db_engine('sqlite:///{work}/b.db'));"
        "print(r.total('inserted'))"
    )
    reingest_start = time.perf_counter()
    again = ingest_folder(province, create_db_engine(f"sqlite:///{work}/b.db"))
    reingest_s = time.perf_counter() - reingest_start
    national = GeneratorConfig.for_scale("national", seed=1)
    sample = replace(
        national,
        regions=national.regions[:NATIONAL_SAMPLE_REGIONS],
        employees=sum(national.region_sizes()[:NATIONAL_SAMPLE_REGIONS]),
    )
    nat_s, nat_peak, _ = _child(
        "from pathlib import Path; from dataclasses import replace;"
        "from features.synth import GeneratorConfig, generate_dataset;"
        "n = GeneratorConfig.for_scale('national', seed=1);"
        f"c = replace(n, regions=n.regions[:{NATIONAL_SAMPLE_REGIONS}], employees={sample.employees});"
        f"generate_dataset(c, Path({str(work / 'national')!r}))"
    )
    rate = sample.employees / nat_s
    _write(
        gen_s,
        gen_peak,
        ingest_s,
        ingest_peak,
        int(rows),
        reingest_s,
        again.total("unchanged"),
        sample.employees,
        nat_s,
        nat_peak,
        rate,
        calibration,
    )


def _write(
    gen_s,
    gen_peak,
    ingest_s,
    ingest_peak,
    rows,
    reingest_s,
    unchanged,
    nat_people,  # type: ignore[no-untyped-def]
    nat_s,
    nat_peak,
    rate,
    calibration,
) -> None:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`python bench/run.py`) on {dt.date.today():%Y-%m-%d}; "
        f"machine: {machine}. Peak memory is the largest child process's maximum RSS so far.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| province generation (31,898 ASN, 2016–2025, seed 42) | {gen_s:.1f} s, peak {gen_peak:,.0f} MiB |",
        f"| province ingestion into SQLite ({rows:,} rows, first load) | {ingest_s:.1f} s, peak {ingest_peak:,.0f} MiB |",
        f"| re-ingesting the same files (all {unchanged:,} rows unchanged) | {reingest_s:.1f} s |",
        f"| national generation, {NATIONAL_SAMPLE_REGIONS} of 552 regions ({nat_people:,} ASN) | {nat_s:.1f} s, peak {nat_peak:,.0f} MiB |",
        f"| national generation rate | {rate:,.0f} ASN/s → about {5_588_245 / rate / 60:,.0f} min for 5.6 million |",
        "",
        "## Calibration of the province dataset",
        "",
        "| statistic | target | tolerance | measured | ok |",
        "|---|---|---|---|---|",
    ]
    for row in calibration.itertuples():
        lines.append(
            f"| {row.statistic} | {row.target:.3f} | ±{row.tolerance:.3f} | "
            f"{row.measured:.3f} | {'yes' if row.ok else 'NO'} |"
        )
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
