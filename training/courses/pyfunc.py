"""The MLflow pyfunc of the training recommender: the whole inference path in one model.

The fitted `TrainingRecommender` is a joblib artifact (MLflow's default skops format refuses
gradient-boosting models), loaded in `load_context`. Records come from the database named by
``model_config["database_url"]`` (or the settings) and are read once per `as_of`; the service,
tests and batch jobs can hand records over with `use_records`. The first request of a date
scores everyone active on it (about a minute at province scale); later ones read a row.

Input: a DataFrame with ``employee_id`` and optionally ``k`` (default 10, at most 50), ``kinds``
(comma-separated course kinds) and ``as_of`` (ISO date, default today); or the same as a list of
dicts. Output: one row per recommended course (`training.courses.inference.OUTPUT_COLUMNS`),
reasons as a JSON list; a DataFrame for a DataFrame, a list of dicts for a list (the service's
form).
"""

from __future__ import annotations

import logging
from typing import Any

import joblib
import pandas as pd
from mlflow.pyfunc import PythonModel

from features import reference
from features.asof.records import Records
from training.contract import (
    MAX_K,
    input_rows,
    read_metadata,
    refuse_before_cutoff,
    request_date,
    whole_number,
)
from training.courses.inference import OUTPUT_COLUMNS, RecommendationEngine, Request
from training.courses.recommender import TrainingRecommender

log = logging.getLogger(__name__)


#: Course kinds a request may filter on (the catalogue's vocabulary).
COURSE_KINDS_ALL = tuple(sorted(reference.vocabulary("course_kind")))


#: How many dates' engines a loaded model keeps (today's, and perhaps one historical).
ENGINE_CACHE = 2


class TrainingRecsModel(PythonModel):
    """Recommendations with reasons for each requested employee."""

    def load_context(self, context: Any) -> None:
        self.metadata, self.cutoff = read_metadata(context)
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
        self,
        context: Any,
        # a DataFrame, or a list of dicts (the service's form); hinted DataFrame only, since
        # MLflow checks the hint of `predict` and warns about unions
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame | list[dict[str, Any]]:
        """A DataFrame of requests gets a DataFrame; a list of request dicts gets a list of
        row dicts (the service's form: no DataFrame to build per answer)."""
        answers = []
        for i, (request, as_of) in enumerate(_requests(model_input)):
            refuse_before_cutoff(as_of, self.cutoff, i)
            answers += self.engine(as_of).recommend_rows(request)
        if isinstance(model_input, pd.DataFrame):
            return pd.DataFrame(answers, columns=OUTPUT_COLUMNS)
        return answers

    def engine(self, as_of: pd.Timestamp) -> RecommendationEngine:
        """The engine of one date (built on first use, a few seconds at province scale)."""
        if as_of not in self._engines:
            if len(self._engines) >= ENGINE_CACHE:
                self._engines.pop(next(iter(self._engines)))
            self._engines[as_of] = RecommendationEngine(self.recommender, self.records(), as_of)
        return self._engines[as_of]

    def records(self) -> Records:
        if self._records is None:
            from features.store.database import create_db_engine
            from features.store.reads import load_records
            from features.store.settings import get_settings

            url = self.database_url or get_settings().database_url
            self._records = load_records(create_db_engine(url))
        return self._records


def _requests(
    requests: pd.DataFrame | list[dict[str, Any]],
) -> list[tuple[Request, pd.Timestamp]]:
    """Validate and normalise the input rows (clear errors name the row and column)."""
    rows = input_rows(requests, "employee_id")
    today = pd.Timestamp.now().normalize()
    out = []
    for i, row in enumerate(rows):
        employee = row.get("employee_id")
        if not isinstance(employee, str) or not employee.strip():
            raise ValueError(f"row {i}: employee_id must be a non-empty string")
        k = whole_number(row.get("k"), i)
        if not 1 <= k <= MAX_K:
            raise ValueError(f"row {i}: k must be between 1 and {MAX_K}, got {k}")
        kinds = _kinds(row.get("kinds"), i)
        out.append((Request(employee.strip(), k, kinds), request_date(row.get("as_of"), i, today)))
    return out


def _kinds(value: object, row: int) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    if not isinstance(value, str):
        raise ValueError(f"row {row}: kinds must be a comma-separated string, got {value!r}")
    kinds = tuple(x.strip() for x in value.split(",") if x.strip())
    unknown = sorted(set(kinds) - set(COURSE_KINDS_ALL))
    if unknown:
        raise ValueError(
            f"row {row}: unknown course kinds {unknown}; known: {', '.join(COURSE_KINDS_ALL)}"
        )
    return kinds
