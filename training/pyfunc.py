"""The MLflow pyfunc of the training recommender: the whole inference path in one model.

The fitted `TrainingRecommender` is a joblib artifact (MLflow's default skops format refuses
gradient-boosting models), loaded in `load_context`. Records come from the database named by
``model_config["database_url"]`` (or the settings) and are read once per `as_of`; tests and batch
jobs can hand records over with `use_records`. The service calls `predict` and nothing else.

Input: a DataFrame with ``employee_id`` and optionally ``k`` (default 10, at most 50), ``kinds``
(comma-separated course kinds) and ``as_of`` (ISO date, default today). Output: one row per
recommended course (`training.inference.OUTPUT_COLUMNS`), reasons as a JSON list.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import joblib
import pandas as pd
from mlflow.pyfunc import PythonModel

from features.frame import FEATURE_SET_VERSION
from features.records import Records
from training.inference import RecommendationEngine, Request
from training.recommender import TrainingRecommender

log = logging.getLogger(__name__)

#: How many dates' engines a loaded model keeps (today's, and perhaps one historical).
ENGINE_CACHE = 2


class FeatureSetMismatch(RuntimeError):
    """The model was built on a feature set this code does not compute."""


class TrainingRecsModel(PythonModel):
    """Recommendations with reasons for each requested employee."""

    def load_context(self, context: Any) -> None:
        with open(context.artifacts["metadata"]) as handle:
            self.metadata = json.load(handle)
        version = self.metadata.get("feature_set_version")
        if version != FEATURE_SET_VERSION:
            raise FeatureSetMismatch(
                f"model built on feature set {version!r}, this code computes "
                f"{FEATURE_SET_VERSION!r}: retrain it or deploy matching code"
            )
        self.recommender: TrainingRecommender = joblib.load(context.artifacts["recommender"])
        config = getattr(context, "model_config", None) or {}
        self.database_url = config.get("database_url")
        self._records: Records | None = None
        self._engines: dict[pd.Timestamp, RecommendationEngine] = {}

    def use_records(self, records: Records) -> None:
        """Answer from these records (tests, batch jobs, a fresh ingest) instead of the database."""
        self._records = records
        self._engines.clear()

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        frames = []
        for request, as_of in _requests(model_input):
            frames.append(self.engine(as_of).recommend(request))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def engine(self, as_of: pd.Timestamp) -> RecommendationEngine:
        """The engine of one date (built on first use, a few seconds at province scale)."""
        if as_of not in self._engines:
            if len(self._engines) >= ENGINE_CACHE:
                self._engines.pop(next(iter(self._engines)))
            self._engines[as_of] = RecommendationEngine(self.recommender, self.records(), as_of)
        return self._engines[as_of]

    def records(self) -> Records:
        if self._records is None:
            from features.database import create_db_engine
            from features.records import load_records
            from features.settings import get_settings

            url = self.database_url or get_settings().database_url
            self._records = load_records(create_db_engine(url))
        return self._records


def _requests(frame: pd.DataFrame) -> list[tuple[Request, pd.Timestamp]]:
    """Validate and normalise the input rows (clear errors name the row and column)."""
    if "employee_id" not in frame.columns:
        raise ValueError("input needs an 'employee_id' column")
    today = pd.Timestamp.now().normalize()
    out = []
    for i, row in enumerate(frame.to_dict("records")):
        employee = row.get("employee_id")
        if not isinstance(employee, str) or not employee.strip():
            raise ValueError(f"row {i}: employee_id must be a non-empty string")
        k = row.get("k")
        k = 10 if k is None or pd.isna(k) else int(k)
        if not 1 <= k <= 50:
            raise ValueError(f"row {i}: k must be between 1 and 50, got {k}")
        kinds = row.get("kinds")
        kinds = (
            ()
            if kinds is None or pd.isna(kinds)
            else tuple(x.strip() for x in str(kinds).split(",") if x.strip())
        )
        raw = row.get("as_of")
        try:
            as_of = today if raw is None or pd.isna(raw) else pd.Timestamp(raw).normalize()
        except ValueError as error:
            raise ValueError(f"row {i}: as_of {raw!r} is not a date") from error
        out.append((Request(employee.strip(), k, kinds), as_of))
    return out
