"""The MLflow pyfunc of the placement-success model: ranked candidates for positions.

The fitted `SuccessModel` is a joblib artifact. Records come from the database named by
``model_config["database_url"]`` (or the settings); everyone active on a date is described once
per `as_of` (`features.view.View`, a few seconds at province scale) and each request is
then a ranking of that view. Birth dates are read for the legal age limit of eligibility only.

Input: a DataFrame with ``position_id`` and optionally ``k`` (default 10, at most 50), ``as_of``
(ISO date, default today), ``include_ineligible`` (default false) and ``agencies`` (comma-separated
agency ids: candidates only from these); or the same as a list of dicts. Output: one row per
candidate (`training.placement.model.RANKING_TYPES`), failed rules and reasons as JSON lists; a
DataFrame for a DataFrame, a list of dicts for a list.
"""

from __future__ import annotations

from typing import Any

import joblib
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from features.asof.records import Records
from features.planning.ranking import rank_candidates
from features.view import View, build_view, vacancy_post
from training.contract import (
    MAX_K,
    input_rows,
    read_metadata,
    refuse_before_cutoff,
    request_date,
    whole_number,
)
from training.placement.model import SuccessModel

#: How many dates' views a loaded model keeps (today's, and perhaps one historical).
VIEW_CACHE = 2


class PlacementModel(PythonModel):
    """Ranked, eligible candidates with their fit and failed rules for each requested post."""

    def load_context(self, context: Any) -> None:
        self.metadata, self.cutoff = read_metadata(context)
        self.model: SuccessModel = joblib.load(context.artifacts["success_model"])
        config = getattr(context, "model_config", None) or {}
        self.database_url = config.get("database_url")
        self._records: Records | None = None
        self._birth_dates: pd.Series | None = None
        self._views: dict[pd.Timestamp, View] = {}

    def use_records(self, records: Records, birth_dates: pd.Series) -> None:
        """Answer from these records and birth dates (tests, batch jobs) instead of the
        database."""
        self._records, self._birth_dates = records, birth_dates
        self._views.clear()

    def predict(
        self,
        context: Any,
        # a DataFrame, or a list of dicts (the service's form); hinted DataFrame only, since
        # MLflow checks the hint of `predict` and warns about unions
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame | list[dict[str, Any]]:
        """A DataFrame of requests gets a DataFrame; a list of request dicts gets a list of
        row dicts."""
        frames = []
        for i, (position, k, as_of, everyone, agencies) in enumerate(_requests(model_input)):
            refuse_before_cutoff(as_of, self.cutoff, i)
            view = self.view(as_of)
            try:
                post = vacancy_post(self.records(), position, view.standards)
            except KeyError:
                raise ValueError(f"row {i}: unknown position_id {position!r}") from None
            except ValueError as error:
                raise ValueError(f"row {i}: {error}") from None
            among = None if agencies is None else view.frame["agency_id"].isin(agencies).to_numpy()
            frames.append(rank_candidates(view, post, self.model, k, everyone, among))
        answer = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if isinstance(model_input, pd.DataFrame):
            return answer
        return answer.to_dict("records")  # type: ignore[return-value]

    def view(self, as_of: pd.Timestamp) -> View:
        if as_of not in self._views:
            if len(self._views) >= VIEW_CACHE:
                self._views.pop(next(iter(self._views)))
            records = self.records()
            assert self._birth_dates is not None  # loaded with the records
            self._views[as_of] = build_view(records, as_of, self._birth_dates)
        return self._views[as_of]

    def records(self) -> Records:
        if self._records is None:
            from features.store.database import create_db_engine
            from features.store.personal import load_birth_dates
            from features.store.reads import load_records
            from features.store.settings import get_settings

            engine = create_db_engine(self.database_url or get_settings().database_url)
            self._records = load_records(engine)
            self._birth_dates = load_birth_dates(engine)
        return self._records


def _requests(
    requests: pd.DataFrame | list[dict[str, Any]],
) -> list[tuple[str, int, pd.Timestamp, bool, tuple[str, ...] | None]]:
    """Validate and normalise the input rows (clear errors name the row and column)."""
    rows = input_rows(requests, "position_id")
    today = pd.Timestamp.now().normalize()
    out = []
    for i, row in enumerate(rows):
        position = row.get("position_id")
        if not isinstance(position, str) or not position.strip():
            raise ValueError(f"row {i}: position_id must be a non-empty string")
        k = whole_number(row.get("k"), i)
        if not 1 <= k <= MAX_K:
            raise ValueError(f"row {i}: k must be between 1 and {MAX_K}, got {k}")
        everyone = row.get("include_ineligible")
        if everyone is None or (isinstance(everyone, float) and pd.isna(everyone)):
            everyone = False
        if isinstance(everyone, np.bool_):
            everyone = bool(everyone)
        if not isinstance(everyone, bool):
            raise ValueError(f"row {i}: include_ineligible must be true or false, got {everyone!r}")
        date = request_date(row.get("as_of"), i, today)
        out.append((position.strip(), k, date, everyone, _agencies(row.get("agencies"), i)))
    return out


def _agencies(value: object, row: int) -> tuple[str, ...] | None:
    """None (everyone) or the agency ids candidates must come from."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if not isinstance(value, str):
        raise ValueError(f"row {row}: agencies must be a comma-separated string, got {value!r}")
    return tuple(x.strip() for x in value.split(",") if x.strip())
