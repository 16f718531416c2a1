"""The step of the analyst's yearly cycle (issue 7): one `jenjang` command, as the analyst types it.

The command runs as this process's child, in the cycle's own folder and with its own settings;
its peak memory is that child's max RSS (``RUSAGE_CHILDREN``), reported in the result beside its
exit code and the tail of its output (a refusal of the promotion gate is a result, not a failure:
the caller decides which codes count as done).
"""

from __future__ import annotations

import os
import resource
import subprocess
from typing import Any

from bench.harness import run_step


def command(argv: list[str], cwd: str, settings: dict[str, str]) -> dict[str, Any]:
    """Run `argv` in `cwd` with these environment variables added; its exit code, peak memory
    in MiB and the last 4,000 characters of its output."""
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd=cwd, env=os.environ | settings, check=False
    )
    return {
        "code": done.returncode,
        "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "output": (done.stdout + done.stderr)[-4000:],
    }


if __name__ == "__main__":
    run_step(command)
