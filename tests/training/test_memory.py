"""Training runs in bounded memory: scoring is chunked and no people × courses frame of pairs
is built whole, so a run's peak stays near what the records and one chunk need.

The run is a fresh process training the recommender with the default settings on the small
dataset, evaluation and MLflow included. Its peak is the kernel's high-water mark of that
process's own memory (``VmHWM``), not ``ru_maxrss``: Linux carries the parent's peak across
fork and exec into a child's ``ru_maxrss``, so that figure was the test session's own peak,
which grows with the suite (1,644 MiB in one CI run while the training itself needed 485).
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from features.asof.records import Records
from training.courses import batch as batches
from training.courses.batch import Batch, build_batch
from training.courses.model import TrainingRecommender
from training.split import TemporalSplit, spine

#: The peak the whole run must stay under (MiB). Measured at 485 MiB on 2026-12-05, most of it
#: the libraries themselves (MLflow, scikit-learn, pandas, pyarrow). The 1,105 MiB written here
#: before was the test session's peak, read through ``ru_maxrss`` (see above).
BOUND_MIB = 800

SCRIPT = """
import sys
from pathlib import Path
from training.courses.kind import TrainConfig, TrainingRecs
from training.registry import RegistrySettings
from training.run import train

database, folder, truth = sys.argv[1:4]
settings = RegistrySettings(
    database_url=database,
    tracking_uri=f"sqlite:///{folder}/mlflow.db",
    artifact_root=f"{folder}/artifacts",
    records_cache=f"{folder}/cache",
)
train(TrainingRecs(TrainConfig(truth_dir=Path(truth))), settings)
status = Path("/proc/self/status").read_text()
print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
"""


@pytest.mark.slow
def test_training_stays_within_its_memory_bound(
    small_database: str, small_dataset: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, small_database, str(tmp_path), str(small_dataset)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    peak_mib = int(done.stdout.split()[-1])
    assert peak_mib < BOUND_MIB, f"training peaked at {peak_mib} MiB (bound {BOUND_MIB} MiB)"


def _scoring_peak(recommender: TrainingRecommender, batch: Batch) -> int:
    """Bytes allocated at the peak of scoring `batch` (numpy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        recommender._components(batch)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_scoring_memory_follows_the_chunk_not_the_batch(
    tiny_recommender: TrainingRecommender,
    small_records: Records,
    split: TemporalSplit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same people scored in chunks of 40 need a fraction of the memory of one chunk of
    everyone: what a chunk holds (pairs, their features, the uptake model's input) does not grow
    with the batch, only the people × courses results do."""
    batch = build_batch(small_records, spine(small_records, split.test_year))
    assert len(batch.frame) > 300
    monkeypatch.setattr(batches, "CHUNK_PEOPLE", len(batch.frame))
    monkeypatch.setattr("training.courses.model.CHUNK_PEOPLE", len(batch.frame))
    whole = _scoring_peak(tiny_recommender, batch)
    monkeypatch.setattr(batches, "CHUNK_PEOPLE", 40)
    monkeypatch.setattr("training.courses.model.CHUNK_PEOPLE", 40)
    chunked = _scoring_peak(tiny_recommender, batch)
    results = 5 * batch.allowed.size * np.dtype(float).itemsize  # the components themselves
    assert chunked < results + (whole - results) / 3, (chunked, whole, results)
