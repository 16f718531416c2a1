"""What every model's training run shares: timing its stages, the hidden truth, provenance
tags, MLflow metric names, and logging a fitted model as a registered models-from-code pyfunc.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import joblib
import mlflow
import pandas as pd
import sqlalchemy as sa
from mlflow.models import ModelSignature

from features.asof.frame import FEATURE_SET_VERSION
from features.asof.records import Records
from training.split import TemporalSplit
from training.truth import Truth

log = logging.getLogger(__name__)


PIP_REQUIREMENTS = [
    "mlflow>=3.0",
    "scikit-learn>=1.6",
    "pandas>=2.2",
    "numpy>=2.0",
    "joblib>=1.4",
    "jenjang",
]


class PromotionRefused(RuntimeError):
    """The challenger is worse than the champion beyond the tolerance (not forced)."""

    def __init__(self, message: str, evidence: dict[str, Any]) -> None:
        super().__init__(message)
        self.evidence = evidence


class Stopwatch:
    """Seconds per stage of a run (reported by `make bench`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._last
        self._last = now


def load_truth(folder: Path | None) -> Truth | None:
    """The dataset's hidden truth; a folder without one is an error, not a silent skip."""
    return None if folder is None else Truth.load(Path(folder))


def metric_name(name: str) -> str:
    """MLflow metric names cannot hold '@': ndcg@10 → ndcg_at_10."""
    return name.replace("@", "_at_")


def provenance(split: TemporalSplit, records: Records) -> dict[str, str]:
    return {
        "git_commit": git_commit(),
        "feature_set_version": FEATURE_SET_VERSION,
        "data_snapshot": records.snapshot_id,
        "training_cutoff": split.cutoff.date().isoformat(),
        "test_year": str(split.test_year),
    }


def git_commit() -> str:
    """The commit of the working tree (with ``-dirty`` if it has changes), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def without_password(url: str) -> str:
    return sa.make_url(url).set(password=None).render_as_string(hide_password=False)


def register_pyfunc(
    fitted: object,
    artifact: str,
    entry: Path,
    model_signature: ModelSignature,
    input_example: pd.DataFrame,
    model_name: str,
    tags: dict[str, str],
    database_url: str,
) -> str:
    """Log `fitted` as the joblib artifact `artifact` of a models-from-code pyfunc (`entry`),
    with the provenance `tags` as its metadata, register it as `model_name` and tag the new
    version; returns the version."""
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / f"{artifact}.joblib"
        joblib.dump(fitted, model_path, compress=3)
        metadata_path = Path(folder) / "metadata.json"
        metadata_path.write_text(json.dumps(tags | {"model_name": model_name}))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(entry),
            artifacts={artifact: str(model_path), "metadata": str(metadata_path)},
            signature=model_signature,
            input_example=input_example,
            # the service passes its own database; the default (without any password) lets MLflow
            # validate the input example against the training database
            model_config={"database_url": without_password(database_url)},
            pip_requirements=PIP_REQUIREMENTS,
            registered_model_name=model_name,
        )
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
    return version
