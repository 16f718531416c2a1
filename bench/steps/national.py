"""Steps of national scale (issue 20): region-parallel generation and the Spark batch job.

Figures: generation of the first N national regions on worker processes (time, the parent's
peak and the largest worker's), and `jenjang batch score --engine spark` over them on
``local[1]`` or ``local[2]`` (time, and the peak of the whole process tree: driver, Spark's JVM
and its Python workers, sampled twice a second).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bench.harness import ROOT, run_step


def generate(regions: int, workers: int, out: str, seed: int = 1) -> dict[str, Any]:
    """Generate the first `regions` national regions into `out` on `workers` processes."""
    from features.synth import GeneratorConfig
    from features.synth.partitioned import generate_partitioned

    config = GeneratorConfig.for_scale("national", seed=seed).first_regions(regions)
    generate_partitioned(config, Path(out), workers)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"asn": sum(config.region_sizes()), "worker_peak_mib": children}


def batch_score(data: str, out: str, master: str, tracking: str, artifacts: str) -> dict[str, Any]:
    """Run ``jenjang batch score`` as a user does, with the registry at `tracking`; its own
    report, and the peak memory of its process tree."""
    command = [
        str(Path(sys.executable).with_name("jenjang")),
        "batch",
        "score",
        "--data",
        data,
        "--out",
        out,
        "--master",
        master,
        "--as-of",
        "2026-06-30",
    ]
    env = {"JENJANG_TRACKING_URI": tracking, "JENJANG_ARTIFACT_ROOT": artifacts}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = _TreePeak(process.pid)
    peak.start()
    stdout, stderr = process.communicate()
    peak.stop()
    if process.returncode != 0:
        raise SystemExit(f"jenjang batch score failed:\n{stderr[-3000:]}")
    return {"tree_peak_mib": peak.mib, "report": stdout.strip().splitlines()[-1]}


class _TreePeak(threading.Thread):
    """The largest summed RSS of a process and all its descendants, sampled every 0.5 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.mib, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self._done.wait(0.5):
            try:
                tree = [root, *root.children(recursive=True)]
                rss = 0
                for process in tree:
                    try:
                        rss += process.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
            except psutil.NoSuchProcess:
                return
            self.mib = max(self.mib, rss / 2**20)

    def stop(self) -> None:
        self._done.set()
        self.join()


def champion(url: str, tracking: str, artifacts: str, truth: str) -> str:
    """Train the training recommender on the province (default settings, as the demo does) and
    promote it: the model the national job scores with. Its version."""
    from training.courses.kind import TrainConfig, TrainingRecs
    from training.promotion import promote
    from training.registry import RegistrySettings
    from training.run import train

    settings = RegistrySettings(database_url=url, tracking_uri=tracking, artifact_root=artifacts)
    run = train(TrainingRecs(TrainConfig(truth_dir=Path(truth))), settings)
    promote(settings, reason="national benchmark")
    return str(run.version)


if __name__ == "__main__":
    run_step(generate, batch_score, champion)
