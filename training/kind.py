"""One interface for every registered model: what it is called, how it is split, fitted,
evaluated and served, and which metrics the promotion gate compares.

`training.run.train` drives any `ModelKind` through the same stages (fit → evaluate → log →
register → challenger) and `training.promotion` compares any two versions of one through
`evaluate`, so a third model is one package with a kind, not a copy of the pipeline.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
import sqlalchemy as sa

from features.asof.records import Records
from features.store.personal import load_protected
from training.split import TemporalSplit

if TYPE_CHECKING:
    from mlflow.models import ModelSignature


@dataclass
class RunData:
    """What a run reads once: the records (no personal columns), and sex and birth date apart
    (the legal age check and the fairness audit only, never a feature)."""

    engine: sa.Engine
    records: Records
    protected: pd.DataFrame  # index employee_id: sex, birth_date

    @classmethod
    def load(cls, engine: sa.Engine, records: Records) -> RunData:
        return cls(engine, records, load_protected(engine))


@dataclass
class Trained:
    """A kind's fitted model with its evaluation, as the run logs and returns them."""

    learned: Any  # logged as the pyfunc's joblib artifact
    report: Any  # the kind's evaluation report (``overall``: rows are models)
    target: dict[str, object]
    example: pd.DataFrame  # the pyfunc's input example
    params: dict[str, object]  # run parameters beyond the shared ones
    metrics: dict[str, float]  # every metric of the run (overall, slices, fairness, feedback)
    write_report: Callable[[Path], object]  # writes the report's files into a folder
    extras: dict[str, Any] = field(default_factory=dict)  # kind-specific results (CLI, bench)


class ModelKind(ABC):
    """A registered model: its name (declared here once, per kind), its artifact, its pyfunc,
    the metrics the gate compares, and how it is split, trained and evaluated."""

    name: ClassVar[str]  # the registered model's name
    artifact: ClassVar[str]  # the joblib artifact's name among the version's artifacts
    gated: ClassVar[tuple[str, ...]]  # metrics the promotion gate compares (higher is better)
    headline: ClassVar[tuple[str, ...]]  # metrics `jenjang models status` shows per version
    pyfunc_entry: ClassVar[Path]  # the models-from-code file MLflow stores
    truth_dir: Path | None = None  # the generated dataset's hidden truth, for evaluation only

    @abstractmethod
    def split(self, records: Records) -> TemporalSplit:
        """The cycles to train on and the held-out cycle to test on."""

    @abstractmethod
    def train(self, data: RunData, split: TemporalSplit, lap: Callable[[str], None]) -> Trained:
        """Fit the model and its baselines on the training cycles, evaluate them all on the
        test cycle; `lap` names each stage for the run's timings."""

    @abstractmethod
    def evaluate(
        self, models: list[Any], data: RunData, test_year: int, people: int | None = None
    ) -> pd.DataFrame:
        """Overall metrics of fitted `models` (rows named by their ``name``) on `test_year`:
        the promotion gate's evidence."""

    @abstractmethod
    def signature(self) -> ModelSignature:
        """The pyfunc's input and output columns."""

    def challenger_reason(self, split: TemporalSplit) -> str:
        """Why the new version became the challenger (recorded with the alias move)."""
        return f"trained on cycles {split.train_years[0]}–{split.train_years[-1]}"
