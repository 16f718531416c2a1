"""The MLflow pyfunc of the training recommender: the whole inference path in one model.

The fitted `TrainingRecommender` is a joblib artifact (MLflow's default skops format refuses
gradient-boosting models). The model answers from the `Data` handed to it (`use_data`: the
service's snapshot, tests, batch jobs) or read from the database named by
``model_config["database_url"]``. The first request of a date gathers what every answer of
that date shares (seconds, on the date's shared `View`); each person is then scored when first
asked. `precompute` gives everyone's answers at once, for `jenjang score`.

Input: a DataFrame with ``employee_id`` and optionally ``k`` (default 10, at most 50), ``kinds``
(comma-separated course kinds) and ``as_of`` (a date, default today); or the same as a list of
dicts. Output: one row per recommended course (`training.courses.inference.OUTPUT_COLUMNS`),
with its reasons.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from features import reference
from training.contract import (
    ServedModel,
    comma_list,
    list_length,
    refuse_before_cutoff,
    request_date,
    subject,
)
from training.courses.inference import (
    OUTPUT_COLUMNS,
    OUTPUT_TYPES,
    RecommendationEngine,
    Request,
)

#: Course kinds a request may filter on (the catalogue's vocabulary).
COURSE_KINDS_ALL = tuple(sorted(reference.vocabulary("course_kind")))


class TrainingRecsModel(ServedModel):
    """Recommendations with reasons for each requested employee."""

    artifact = "recommender"
    key = "employee_id"
    columns = OUTPUT_COLUMNS
    types = OUTPUT_TYPES
    structured = ("reasons",)
    #: Courses kept per person by `jenjang score` (the pages and the API ask for 10 unless
    #: told otherwise; a longer list is scored on demand).
    depth = 10

    def engine(self, as_of: pd.Timestamp) -> RecommendationEngine:
        """The engine of one date (built on first use, a few seconds at province scale)."""
        data = self.data()

        def build(day: pd.Timestamp) -> RecommendationEngine:
            whole = data.population.get(day)
            counts = whole.uptake if whole is not None else None
            uptake = counts.shares() if counts is not None else None
            frame = data.view(day).frame
            return RecommendationEngine(self.fitted, data.records, day, frame=frame, uptake=uptake)

        return self.dated.get_or_build(as_of, build)  # type: ignore[no-any-return]

    def parse(
        self, row: dict[str, Any], i: int, today: pd.Timestamp
    ) -> tuple[Request, pd.Timestamp]:
        kinds = comma_list(row.get("kinds"), "kinds", i) or ()
        unknown = sorted(set(kinds) - set(COURSE_KINDS_ALL))
        if unknown:
            raise ValueError(
                f"row {i}: unknown course kinds {unknown}; known: {', '.join(COURSE_KINDS_ALL)}"
            )
        request = Request(subject(row, self.key, i), list_length(row.get("k"), i), kinds)
        return request, request_date(row.get("as_of"), i, today)

    def respond(self, request: Request, as_of: pd.Timestamp, i: int) -> list[dict[str, Any]]:
        return self.engine(as_of).recommend_rows(request)

    def precompute(self, as_of: pd.Timestamp, depth: int) -> Iterator[list[dict[str, Any]]]:
        """Everyone's first `depth` courses with reasons, chunk by chunk (`jenjang score`):
        the very rows `respond` gives, computed for everyone at once."""
        refuse_before_cutoff(as_of, self.cutoff, 0)
        return self.engine(as_of).answers(depth)

    def levels(self, employee_ids: Sequence[str], as_of: pd.Timestamp) -> np.ndarray:
        """People × competencies (`competency_codes` order): each person's current levels on
        `as_of` as this model estimates them, the levels its reasons quote (`LevelEstimating`);
        a row of NaN for someone not active with a known position."""
        refuse_before_cutoff(as_of, self.cutoff, 0)
        return self.engine(as_of).levels(employee_ids)

    def subjects(self, as_of: pd.Timestamp) -> int:
        """How many people `precompute` answers for on `as_of`."""
        return len(self.engine(as_of).frame)
