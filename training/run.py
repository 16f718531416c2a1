"""One training run for every model kind: fit and evaluate (the kind's own), then log the run
to MLflow (params, metrics, the report, data snapshot, git commit, feature set version),
register a models-from-code pyfunc version and point ``challenger`` at it.

`train` is what `jenjang train`, the tests, the notebooks and the benchmarks call; the champion
never moves here (`training.promotion` does that, through its gate).
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import mlflow
import pandas as pd
import sqlalchemy as sa

from features.asof.frame import FEATURE_SET_VERSION
from features.asof.records import Records
from features.store.database import create_db_engine, migrate
from features.store.reads import load_records
from training import environment, registry
from training.contract import CONTRACT_VERSION, Data, sharing_data
from training.kind import ModelKind, RunData, Trained
from training.registry import RegistrySettings
from training.split import TemporalSplit
from training.truth import Truth

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """A registered challenger: its run, version, split, the kind's report and target check,
    seconds per stage, and what the kind adds (`Trained.extras`)."""

    run_id: str
    version: str
    split: TemporalSplit
    report: Any
    target: dict[str, object]
    seconds: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Addendum:
    """What a run logs beyond the kind's own: parameters (a national sample's design, say) and
    metrics computed from the fitted model (its quality on regions it never saw)."""

    params: dict[str, object] = field(default_factory=dict)
    metrics: Callable[[Trained, TemporalSplit], dict[str, float]] | None = None
    #: Whether the run's records are the database's (a national sample's are not).
    records_of_database: bool = True


def train(kind: ModelKind, settings: RegistrySettings, on_lap: OnLap | None = None) -> TrainResult:
    """Fit, evaluate, log, register and set ``challenger`` on the database's records; returns
    the run and its report. `on_lap` is told each stage as it ends (loading, fitting,
    evaluating, logging)."""
    clock = Stopwatch(on_lap)
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    records = load_records(engine, cache=settings.records_cache_folder())
    clock.lap("load_records")
    return fit_and_register(kind, settings, RunData.load(engine, records), clock)


def fit_and_register(
    kind: ModelKind,
    settings: RegistrySettings,
    data: RunData,
    clock: Stopwatch,
    addendum: Addendum | None = None,
) -> TrainResult:
    """The run on records already read (a database's, or a national sample's): fit and
    evaluate, log with the `addendum`, register and set ``challenger``."""
    records = data.records
    split = kind.split(records)
    log.info("%s: training on %s, testing on %d", kind.name, split.train_years, split.test_year)
    trained = kind.train(data, split, clock.lap)
    addendum = addendum or Addendum()
    if addendum.metrics is not None:
        trained.metrics |= addendum.metrics(trained, split)
        clock.lap("evaluate_held_out")
    client = registry.configure(settings)
    try:
        with mlflow.start_run(run_name=f"{kind.name}-{split.test_year}") as run:
            _log_run(kind, trained, split, records)
            if addendum.params:
                mlflow.log_params(addendum.params)
            version = register_pyfunc(
                trained.learned,
                kind,
                trained.example,
                provenance(split, records),
                settings.database_url,
                Data(records, data.protected["birth_date"]),
                addendum.records_of_database,
            )
    except OSError as error:  # a full disk, say: MLflow registers only complete artifacts
        raise RegistrationFailed(
            f"{kind.name}: writing the run's files failed ({error}); no version was registered "
            "and the challenger did not move"
        ) from error
    registry.move_alias(
        client,
        data.engine,
        registry.AliasMove(
            kind.name,
            registry.CHALLENGER,
            version,
            registry.alias_version(client, kind.name, registry.CHALLENGER),
            registry.current_user(),
            kind.challenger_reason(split),
        ),
    )
    clock.lap("log_and_register")
    return TrainResult(
        run.info.run_id,
        version,
        split,
        trained.report,
        trained.target,
        clock.seconds,
        trained.extras,
    )


class RegistrationFailed(RuntimeError):
    """A run's files (report, model artifacts) could not be written: nothing was registered."""


def _log_run(kind: ModelKind, trained: Trained, split: TemporalSplit, records: Records) -> None:
    """The run's parameters, provenance tags, metrics and report files."""
    mlflow.log_params(
        {
            "train_years": ",".join(map(str, split.train_years)),
            "test_year": split.test_year,
            **trained.params,
            "feature_set_version": FEATURE_SET_VERSION,
            "data_snapshot": records.snapshot_id,
            "truth": str(kind.truth_dir) if kind.truth_dir else "none",
        }
    )
    mlflow.set_tags(provenance(split, records))
    mlflow.log_metrics(trained.metrics)
    with tempfile.TemporaryDirectory() as folder:
        trained.write_report(Path(folder))
        mlflow.log_artifacts(folder, artifact_path="evaluation")


#: Told each finished stage of a run and its seconds (the CLI shows them as they come).
OnLap = Callable[[str, float], None]


class Stopwatch:
    """Seconds per stage of a run (reported by `make bench`), each told to `on_lap`."""

    def __init__(self, on_lap: OnLap | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.on_lap = on_lap
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._last
        self._last = now
        if self.on_lap is not None:
            self.on_lap(name, self.seconds[name])


def load_truth(folder: Path | None) -> Truth | None:
    """The dataset's hidden truth; a folder without one is an error, not a silent skip."""
    return None if folder is None else Truth.load(Path(folder))


def provenance(split: TemporalSplit, records: Records) -> dict[str, str]:
    return {
        "git_commit": git_commit(),
        "feature_set_version": FEATURE_SET_VERSION,
        "contract_version": CONTRACT_VERSION,
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
    kind: ModelKind,
    input_example: pd.DataFrame,
    tags: dict[str, str],
    database_url: str,
    data: Data | None = None,
    data_of_database: bool = True,
) -> str:
    """Log `fitted` as the kind's joblib artifact of its models-from-code pyfunc, with the
    provenance `tags` as its metadata, and register it under the kind's name; returns the
    version.

    MLflow registers the version only once every artifact is written, and creates it with
    the provenance `tags` in one step: a version is never seen without them (the service
    refuses one without its contract version), even if the process dies right after.

    MLflow checks the logged model by loading it back and asking it the input example; with
    `data` (the run's records), that model answers from them instead of reading the whole
    database again; `data_of_database` false says they are not the database's (a national
    sample), so the check must not fall back on it.
    """
    artifact, model_name = kind.artifact, kind.name
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / f"{artifact}.joblib"
        joblib.dump(fitted, model_path, compress=3)
        metadata_path = Path(folder) / "metadata.json"
        metadata_path.write_text(json.dumps(tags | {"model_name": model_name}))
        # the service passes its own database; the default (without any password) lets MLflow
        # validate the input example against the training database
        config = {"database_url": without_password(database_url)}
        shared = (
            sharing_data(config["database_url"], data, data_of_database) if data else nullcontext()
        )
        with shared:  # MLflow's check of the input example loads the model: no second read
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(kind.pyfunc_entry),
                artifacts={artifact: str(model_path), "metadata": str(metadata_path)},
                signature=kind.signature(),
                input_example=input_example,
                model_config=config,
                # our packages travel inside the version, and its requirements name only
                # installable distributions: it loads without `jenjang` (training.environment)
                code_paths=environment.code_paths(),
                pip_requirements=environment.pip_requirements(),
                registered_model_name=model_name,
                tags=tags,  # the logged model's and the new version's, set as it is created
            )
    return str(info.registered_model_version)
