"""How a benchmark step is measured: in a fresh Python process of its own.

The parent (`measure`) runs ``python -m <the step's module> <step> '<JSON arguments>'`` from the
repository's root; the child (`run_step`, called at the bottom of every module of `bench.steps`)
times the step, reads the process's peak memory (max RSS) and prints one JSON line: ``seconds``,
``peak_mib`` and the step's ``result``. A step never runs in the parent, so steps inherit neither
each other's memory nor their warm caches and imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec

ROOT = Path(__file__).resolve().parents[1]

P = ParamSpec("P")


def measure(step: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
    """Run `step` (a function of a `bench.steps` module) with these keyword arguments in a fresh
    interpreter; its wall time, peak memory and result."""
    if args:
        raise TypeError("pass a step's arguments by name: they travel as a JSON object")
    command = [sys.executable, "-m", step.__module__, step.__name__, json.dumps(kwargs)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def own_peak_mib() -> float:
    """This process's peak resident memory in MiB: the kernel's high-water mark of its own
    address space (``VmHWM``). Not ``ru_maxrss``, which on Linux carries the parent's peak
    across fork and exec, so a step started by a large process would report that one's."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def run_step(*steps: Callable[..., Any]) -> None:
    """The child's side, for ``python -m bench.steps.<module> <step> ['<JSON arguments>']``:
    run the named step with those arguments, then print its wall time, the process's peak
    memory in MiB and the step's result as one JSON line (the last line of the output)."""
    by_name = {step.__name__: step for step in steps}
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in by_name:
        module = getattr(sys.modules["__main__"].__spec__, "name", "<module>")
        names = ",".join(by_name)
        raise SystemExit(f"usage: python -m {module} {{{names}}} ['<JSON arguments>']")
    step = by_name[sys.argv[1]]
    arguments = json.loads(sys.argv[2]) if len(sys.argv) == 3 else {}
    start = time.perf_counter()
    result = step(**arguments)
    seconds = time.perf_counter() - start
    peak_mib = own_peak_mib()
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, "result": result}))


def replace_section(start: str, end: str, lines: list[str]) -> None:
    """Write `lines` (which begin with `start` and end with `end`) into docs/benchmarks.md in
    place of its previous section between those markers, or at its end: one part of the
    benchmarks can be redone alone and leave the other figures as they are."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + "\n".join(lines) + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text)
