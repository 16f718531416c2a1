"""Eligibility at province size, timed: the facts of everyone on one date (gathered once per
date), then every rule of each structural family for everyone (vectorised).

    python -m bench.eligibility [--data DIR] [--runs N]

`DIR` is a generated dataset (default: the demo's, generated when missing). The code path is
the one the service and the planners use (`eligibility_facts`, `evaluate`), on the tables read
straight from the dataset's files. Prints a Markdown table with the machine's cores; quote
ratios only between runs of the same machine and moment.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

FAMILIES = ("pengawas", "administrator", "jpt_pratama", "jpt_madya", "jpt_utama")
DEFAULT_DATA = Path("data/generated/province-seed42")


def _dataset(folder: Path) -> Path:
    if not (folder / "employees.parquet").exists():
        from features.synth import generate_dataset
        from features.synth.config import GeneratorConfig

        print(f"generating the province dataset into {folder} …", flush=True)
        generate_dataset(GeneratorConfig.for_scale("province", seed=42), folder)
    return folder


@dataclass
class Timing:
    people: int
    as_of: str
    facts_seconds: float
    rules_seconds: dict[str, float]
    eligible: dict[str, int]


def measure(folder: Path, runs: int) -> Timing:
    """Median seconds of the facts and of each family's rules over `runs` runs."""
    from features.asof.records import from_frames
    from features.rules.eligibility import eligibility_facts, evaluate
    from features.schema import TABLES

    frames = {p.stem: pd.read_parquet(p) for p in folder.glob("*.parquet") if p.stem in TABLES}
    births = frames["employees"].set_index("employee_id")["birth_date"]
    records = from_frames(frames)
    manifest = json.loads((folder / "truth" / "manifest.json").read_text())
    as_of = pd.Timestamp(manifest["extraction_date"])
    facts_times, facts = [], None
    for _ in range(runs):
        began = time.perf_counter()
        facts = eligibility_facts(records, as_of, births)
        facts_times.append(time.perf_counter() - began)
    assert facts is not None
    rule_times: dict[str, float] = {}
    eligible: dict[str, int] = {}
    for family in FAMILIES:
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            result = evaluate(facts, family, as_of)
            times.append(time.perf_counter() - began)
        rule_times[family] = statistics.median(times)
        eligible[family] = int(result.eligible.sum())
    return Timing(
        len(facts), as_of.date().isoformat(), statistics.median(facts_times), rule_times, eligible
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    found = measure(_dataset(args.data), args.runs)
    print(json.dumps(asdict(found)))
    print(f"\n{os.cpu_count()} cores; {found.people:,} people active on {found.as_of}\n")
    print("| step | median of runs | eligible |")
    print("|---|---|---|")
    print(f"| facts of everyone (once per date) | {found.facts_seconds * 1000:,.0f} ms | |")
    for family, seconds in found.rules_seconds.items():
        print(f"| every rule of {family} | {seconds * 1000:,.1f} ms | {found.eligible[family]:,} |")


if __name__ == "__main__":
    main()
