"""The analyst's yearly cycle, timed end to end (issue 7), run by bench/run.py or on its own.

Every step is the `jenjang` command an analyst types, in its own process over the benchmark's
own database and MLflow store: generate a dataset ending in 2025, ingest it as a cycle, train
both models and promote them (the first champions); then generate the next cycle (2026) on top
of it, ingest it, report its drift, retrain both, compare each challenger with its champion on
the newest held-out cycle, and promote through the gate (a refusal is a result, not a failure).
Reported: each step's wall time and peak memory, and the time of the yearly cycle proper
(from the new cycle's ingest to the promotions).

Each command runs as the child of `bench.steps.cycle.command`, itself a fresh process started by
`bench.harness.measure`, which reports the command's own peak memory.

On its own: ``python -m bench.cycle_steps [EMPLOYEES]`` (default: the province) replaces the
cycle's section of docs/benchmarks.md and leaves the other figures alone.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from bench.harness import measure, replace_section
from bench.steps import cycle

JENJANG = str(Path(sys.executable).with_name("jenjang"))
START, END = "<!-- cycle -->", "<!-- /cycle -->"
MODELS = ("training-recs", "placement-success")

#: A step: its label, the `jenjang` command, the exit codes that count as done.
Step = tuple[str, list[str], tuple[int, ...]]


def steps(work: Path, employees: int | None) -> tuple[list[Step], list[Step]]:
    """The steps that set the rehearsal up (the first cycle, trained and promoted, and the
    next cycle's export), and those of the yearly cycle proper, each in order."""
    first, second = str(work / "cycle-2025"), str(work / "cycle-2026")
    size = [] if employees is None else ["--employees", str(employees)]
    ingest_first = ["cycle", "ingest", first, "--year", "2025", "--extracted-on", "2026-06-30"]
    setup: list[Step] = [
        ("generate the dataset ending in 2025", ["data", "generate", *size, "--out", first], (0,)),
        ("ingest it as the 2025 cycle", ingest_first, (0,)),
        ("train both models (first time)", ["train", "all", "--truth", first], (0,)),
        *(
            (f"promote {name} v1", ["models", "promote", name, "--reason", "first"], (0,))
            for name in MODELS
        ),
        (
            "generate the next cycle (2026)",
            ["data", "generate", "--next-cycle-of", first, "--out", second],
            (0,),
        ),
    ]
    yearly: list[Step] = [
        (
            "ingest the 2026 cycle",
            ["cycle", "ingest", second, "--year", "2026", "--extracted-on", "2027-06-30"],
            (0,),
        ),
        ("drift report 2026 against 2025", ["cycle", "drift", "--year", "2026"], (0,)),
        ("retrain both models", ["train", "all", "--truth", second], (0,)),
    ]
    for name in MODELS:
        yearly.append((f"compare {name}", ["models", "compare", name, "--truth", second], (0,)))
        yearly.append(
            (
                f"promote {name} through the gate",
                ["models", "promote", name, "--truth", second, "--reason", "cycle 2026"],
                (0, 1),
            )
        )
    return setup, yearly


def cycle_rows(work: Path, employees: int | None = None) -> list[tuple[str, str]]:
    """Run the cycle in `work`; one (what, figure) row per step and the totals."""
    settings = {
        "JENJANG_DATABASE_URL": f"sqlite:///{work / 'cycle.db'}",
        "JENJANG_TRACKING_URI": f"sqlite:///{work / 'cycle-mlflow.db'}",
        "JENJANG_ARTIFACT_ROOT": str(work / "cycle-artifacts"),
        "COLUMNS": "200",
    }
    rows: list[tuple[str, str]] = []
    yearly_seconds = 0.0
    setup, yearly = steps(work, employees)
    timed = [(False, step) for step in setup] + [(True, step) for step in yearly]
    for in_year, (label, command, accepted) in timed:
        step = measure(cycle.command, argv=[JENJANG, *command], cwd=str(work), settings=settings)
        found = step["result"]
        if found["code"] not in accepted:
            raise SystemExit(f"cycle step failed: {label}\n{found['output']}")
        if in_year:
            yearly_seconds += step["seconds"]
        note = " (refused by the gate)" if found["code"] == 1 else ""
        rows.append(
            (
                f"cycle: {label}{note}",
                f"{step['seconds']:.1f} s, peak {found['peak_mib']:,.0f} MiB",
            )
        )
        print(rows[-1], flush=True)
    rows.append(
        ("cycle: the yearly cycle, ingest to promotions", f"{yearly_seconds / 60:.1f} min in all")
    )
    return rows


def cycle_lines(rows: list[tuple[str, str]], people: str) -> list[str]:
    """The cycle's section of docs/benchmarks.md, between markers so it can be redone alone."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return [
        START,
        "",
        f"## The analyst's yearly cycle ({people})",
        "",
        f"Measured on {dt.date.today():%Y-%m-%d} ({machine}) by bench/cycle_steps.py, with "
        "`make bench` or alone. Each step is the `jenjang` command, in its own process; peak is "
        "that process's max RSS.",
        "",
        "| step | figure |",
        "|---|---|",
        *(f"| {what.removeprefix('cycle: ')} | {figure} |" for what, figure in rows),
        "",
        END,
    ]


def main() -> None:
    employees = int(sys.argv[1]) if len(sys.argv) > 1 else None
    work = Path(tempfile.mkdtemp(prefix="jenjang-cycle-"))
    try:
        rows = cycle_rows(work, employees)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a province dataset and two databases
    people = "province, 31,898 ASN" if employees is None else f"{employees:,} ASN"
    lines = cycle_lines(rows, people)
    replace_section(START, END, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
