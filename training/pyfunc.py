"""The MLflow pyfunc of the training recommender: the whole inference path in one model.

The fitted `TrainingRecommender` is a joblib artifact (MLflow's default skops format refuses
gradient-boosting models), loaded in `load_context`. Records come from the database named by
``model_config["database_url"]`` (or the settings) and are read once per `as_of`; the service,
tests and batch jobs can hand records over with `use_records`. The first request of a date
scores everyone active on it (about a minute at province scale); later ones read a row.

Input: a DataFrame with ``employee_id`` and optionally ``k`` (default 10, at most 50), ``kinds``
(comma-separated course kinds) and ``as_of`` (ISO date, default today); or the same as a list of
dicts. Output: one row per recommended course (`training.inference.OUTPUT_COLUMNS`), reasons as
a JSON list; a DataFrame for a DataFrame, a list of dicts for a list (the service's form).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import joblib
import pandas as pd
from mlflow.pyfunc import PythonModel

from features import reference
from features.frame import FEATURE_SET_VERSION
from features.records import Records
from training.inference import MAX_K, OUTPUT_COLUMNS, RecommendationEngine, Request
from training.recommender import TrainingRecommender

log = logging.getLogger(__name__)

#: Course kinds a request may filter on (the catalogue's vocabulary).
COURSE_KINDS_ALL = tuple(sorted(reference.vocabulary("course_kind")))

#: How many dates' engines a loaded model keeps (today's, and perhaps one historical).
ENGINE_CACHE = 2


class FeatureSetMismatch(RuntimeError):
    """The model was built on a feature set this code does not compute."""


def read_metadata(context: Any) -> tuple[dict[str, Any], pd.Timestamp]:
    """A logged model's metadata and training cutoff; refuses a model built on another
    feature set, or one that cannot say up to when it has seen data."""
    with open(context.artifacts["metadata"]) as handle:
        metadata = json.load(handle)
    version = metadata.get("feature_set_version")
    if version != FEATURE_SET_VERSION:
        raise FeatureSetMismatch(
            f"model built on feature set {version!r}, this code computes "
            f"{FEATURE_SET_VERSION!r}: retrain it or deploy matching code"
        )
    if "training_cutoff" not in metadata:
        raise ValueError("model metadata has no training_cutoff: it cannot guard its dates")
    return metadata, pd.Timestamp(metadata["training_cutoff"])


def refuse_before_cutoff(as_of: pd.Timestamp, cutoff: pd.Timestamp, row: int) -> None:
    """A model must not answer for a date before its training cutoff: it has seen what followed."""
    if as_of < cutoff:
        raise ValueError(
            f"row {row}: as_of {as_of.date()} is before this model's training cutoff "
            f"{cutoff.date()}: it has seen what followed; use a date on or after it"
        )


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
            from features.database import create_db_engine
            from features.records import load_records
            from features.settings import get_settings

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


def input_rows(requests: pd.DataFrame | list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The requests as dicts, whether they came as a DataFrame or a list; each needs `key`."""
    if isinstance(requests, pd.DataFrame):
        if key not in requests.columns:
            raise ValueError(f"input needs the {key!r} column")
        return requests.to_dict("records")  # type: ignore[return-value]
    rows = list(requests)
    if not all(isinstance(row, dict) and key in row for row in rows):
        raise ValueError(f"input needs the {key!r} in every request")
    return rows


def request_date(value: object, row: int, today: pd.Timestamp) -> pd.Timestamp:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return today
    try:
        date = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"row {row}: as_of {value!r} is not a date (YYYY-MM-DD)") from None
    if date.tzinfo is not None:
        date = date.tz_convert("UTC").tz_localize(None)
    return date.normalize()


def whole_number(value: object, row: int) -> int:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return 10
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"row {row}: k must be a whole number, got {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"row {row}: k must be a whole number, got {value!r}")
    return int(number)


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
