"""Steps of national scale (issue 20): region-parallel generation, the Spark jobs, the search.

Figures: generation of the first N national regions on worker processes (time, the parent's
peak and the largest worker's); `jenjang batch score` and `jenjang batch index` over them on
``local[1]`` or ``local[2]`` (time, and the peak of the whole process tree: driver, Spark's JVM
and its Python workers, sampled twice a second); vacancy search over the index (latency of a
post's top 10 and the searching process's peak); training on a stratified national sample
(stages, held-out quality).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
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


#: The day the national jobs score and index (the generated data's extraction).
AS_OF = "2026-06-30"


def batch_score(data: str, out: str, master: str, tracking: str, artifacts: str) -> dict[str, Any]:
    """Run ``jenjang batch score`` as a user does, with the registry at `tracking`; its own
    report, and the peak memory of its process tree."""
    return _jenjang(
        ["batch", "score", "--data", data, "--out", out, "--master", master], tracking, artifacts
    )


def batch_index(data: str, out: str, master: str, tracking: str, artifacts: str) -> dict[str, Any]:
    """Run ``jenjang batch index`` as a user does; as `batch_score`."""
    return _jenjang(
        ["batch", "index", "--data", data, "--out", out, "--master", master], tracking, artifacts
    )


def search(
    index: str, tracking: str, artifacts: str, posts: int = 60, seed: int = 0
) -> dict[str, Any]:
    """Vacancy search over the index under `index`: `posts` structural posts drawn at random,
    each searched once the family is read ("warm"); the first search of each family, which
    reads it from the index, is timed apart ("cold"). Latencies in ms."""
    import numpy as np

    from training.national.vacancies import VacancyIndex, placement_ranker
    from training.registry import RegistrySettings

    opened = time.perf_counter()
    found = VacancyIndex.latest(Path(index))
    open_ms = 1000 * (time.perf_counter() - opened)
    settings = RegistrySettings(tracking_uri=tracking, artifact_root=artifacts)
    _, ranker = placement_ranker(settings, found.as_of)
    chosen = np.random.default_rng(seed).choice(found.posts.index, posts, replace=False)
    cold: list[float] = []
    warm: list[float] = []
    pools: dict[str, int] = {}
    for position_id in chosen:
        family = found.post(str(position_id)).family
        if family not in pools:
            start = time.perf_counter()
            found.search(str(position_id), ranker, k=10)
            cold.append(1000 * (time.perf_counter() - start))
            pools[family] = len(found.pool(family))
        start = time.perf_counter()
        found.search(str(position_id), ranker, k=10)
        warm.append(1000 * (time.perf_counter() - start))
    return {
        "open_ms": open_ms,
        "cold_max_ms": float(np.max(cold)),
        "p50_ms": float(np.percentile(warm, 50)),
        "p99_ms": float(np.percentile(warm, 99)),
        "pools": pools,
        "posts": posts,
        "people": len(found.eligible),
        "held_mib": found.eligible.nbytes() / 2**20,
    }


def country_index(index: str, out: str, asn: int, people: int) -> dict[str, Any]:
    """A vacancy index of at least `people` ASN made of copies of the one under `index` (built
    from `asn` ASN): each
    copy's regions, people, posts held and agencies renamed (``R000~3``), so each is a separate
    population of the same make-up. Searching it costs what searching the country's would:
    the work grows with the family's eligible, not with who they are. Generating and indexing
    the whole country takes about an hour here; this takes a minute."""
    import json
    import math
    import shutil

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from training.national.vacancies import ORDER_STRIDE, VacancyIndex

    source = VacancyIndex.latest(Path(index))
    manifest = json.loads((source.folder / "_manifest.json").read_text())
    copies = math.ceil(people / asn)
    target = Path(out) / source.folder.relative_to(Path(index))
    target = target.with_name(f"{target.name}-x{copies}")
    shutil.rmtree(target, ignore_errors=True)
    (target / "people").mkdir(parents=True)
    shutil.copytree(source.folder / "posts", target / "posts")
    renamed = ("employee_id", "agency_id", "position_id", "region")
    files = sorted((source.folder / "people").glob("*.parquet"))
    step = ORDER_STRIDE * 10_000
    for copy in range(copies):
        for n, file in enumerate(files):
            table = pq.read_table(file)
            for name in renamed:
                column = table.column(name)
                suffixed = (
                    column if copy == 0 else pc.binary_join_element_wise(column, f"~{copy}", "")
                )
                table = table.set_column(table.schema.get_field_index(name), name, suffixed)
            order = pc.add(table.column("order"), pa.scalar(copy * step, pa.int64()))
            table = table.set_column(table.schema.get_field_index("order"), "order", order)
            pq.write_table(table, target / "people" / f"part-{copy:03d}-{n:05d}.parquet")
    manifest["subjects"] *= copies
    manifest["rows"] *= copies
    (target / "_manifest.json").write_text(json.dumps(manifest, indent=1))
    return {"copies": copies, "asn": asn * copies, "people": manifest["subjects"]}


def _jenjang(arguments: list[str], tracking: str, artifacts: str) -> dict[str, Any]:
    """Run a ``jenjang`` command with the registry at `tracking`: its last line and the peak
    memory of its process tree."""
    command = [str(Path(sys.executable).with_name("jenjang")), *arguments, "--as-of", AS_OF]
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
        raise SystemExit(f"jenjang {' '.join(arguments[:2])} failed:\n{stderr[-3000:]}")
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


def champion(url: str, tracking: str, artifacts: str, truth: str) -> dict[str, str]:
    """Train both models on the province (default settings, as the demo does) and promote
    them: the models the national jobs score and rank with. Their versions."""
    from training.contract import PLACEMENT_SUCCESS
    from training.courses.kind import TrainConfig, TrainingRecs
    from training.placement.kind import PlacementConfig, PlacementSuccess
    from training.promotion import promote
    from training.registry import RegistrySettings
    from training.run import train

    settings = RegistrySettings(database_url=url, tracking_uri=tracking, artifact_root=artifacts)
    recs = train(TrainingRecs(TrainConfig(truth_dir=Path(truth))), settings)
    promote(settings, reason="national benchmark")
    placements = train(PlacementSuccess(PlacementConfig(truth_dir=Path(truth))), settings)
    promote(settings, PLACEMENT_SUCCESS, reason="national benchmark")
    return {"training-recs": str(recs.version), "placement-success": str(placements.version)}


def train_sample(
    data: str,
    size: int | None,
    url: str,
    tracking: str,
    artifacts: str,
    seed: int = 0,
    regions: list[str] | None = None,
) -> dict[str, Any]:
    """`jenjang batch train` of the training recommender (default settings): a stratified
    sample of `size` (None: everyone of `regions`, the province's way), evaluated on the
    held-out regions. Seconds per stage, the sample, the held-out metrics and the peak of the
    process with its region readers (sampled twice a second)."""
    from training.courses.kind import TrainConfig, TrainingRecs
    from training.national.sample_training import Design, train_national
    from training.registry import RegistrySettings

    settings = RegistrySettings(database_url=url, tracking_uri=tracking, artifact_root=artifacts)
    peak = _TreePeak(os.getpid())  # this process and its region readers, summed
    peak.start()
    result = train_national(
        TrainingRecs(TrainConfig()),
        settings,
        Path(data),
        Design(size, seed),
        training_regions=regions,
        workers=2,
    )
    peak.stop()
    return {
        "people": result.sample.size,
        "population": result.sample.population,
        "regions": len(result.sample.regions),
        "held_out_regions": len(result.held_out.regions),
        "held_out_people": result.held_out.size,
        "stages": result.run.seconds,
        "held_out": result.held_out_metrics,
        "tree_peak_mib": peak.mib,
    }


if __name__ == "__main__":
    run_step(generate, batch_score, batch_index, country_index, search, champion, train_sample)
