"""The MLflow pyfunc of the placement-success model: ranked candidates for positions, and
plans that fill several posts at once.

The fitted `SuccessModel` is a joblib artifact. The model answers from the `Data` handed to it
(`use_data`: the service's snapshot, tests, batch jobs) or read from the database named by
``model_config["database_url"]``; everyone active on a date is described once per `as_of`
(`Data.view`, shared with whoever handed the data over) and each request is then a ranking of
that view. Birth dates are read for the legal age limit of eligibility only.

Input: a DataFrame with ``position_id`` and optionally ``k`` (default 10, at most 50), ``as_of``
(a date, default today), ``include_ineligible`` (default false) and ``agencies`` (comma-separated
agency ids: candidates only from these); or the same as a list of dicts. Output: one row per
candidate (`training.placement.model.RANKING_TYPES`) with the rules they fail and the reasons
for their rank. `plan` (not through MLflow's predict: its answer is not one row per request)
fills several vacancies at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from features.planning.plans import Plan, greedy_plan, placement_plan
from features.planning.ranking import rank_candidates, vacancy_matrix
from features.view import STRUCTURAL_FAMILIES, vacancy_post
from training.contract import (
    ServedModel,
    comma_list,
    flag,
    list_length,
    refuse_before_cutoff,
    request_date,
    subject,
)
from training.placement.model import RANKING_TYPES

#: Posts ranked per chunk of `precompute` (one Parquet part each).
POSTS_PER_CHUNK = 100


@dataclass(frozen=True)
class Ranking:
    """One request: the post, how many, and among whom."""

    position_id: str
    k: int
    include_ineligible: bool
    agencies: tuple[str, ...] | None  # None: everyone


class PlacementModel(ServedModel):
    """Ranked, eligible candidates with their fit and failed rules for each requested post."""

    artifact = "success_model"
    key = "position_id"
    columns = list(RANKING_TYPES)
    types = RANKING_TYPES
    structured = ("failed_rules", "reasons")
    #: Candidates kept per post by `jenjang score`: enough for a planner scoped to some
    #: agencies to find theirs among them, more often than not.
    depth = 50

    def parse(
        self, row: dict[str, Any], i: int, today: pd.Timestamp
    ) -> tuple[Ranking, pd.Timestamp]:
        request = Ranking(
            subject(row, self.key, i),
            list_length(row.get("k"), i),
            flag(row.get("include_ineligible"), "include_ineligible", i),
            comma_list(row.get("agencies"), "agencies", i),
        )
        return request, request_date(row.get("as_of"), i, today)

    def respond(self, request: Ranking, as_of: pd.Timestamp, i: int) -> list[dict[str, Any]]:
        data = self.data()
        view = data.view(as_of)
        try:
            post = vacancy_post(data.records, request.position_id, view.standards)
        except KeyError:
            raise ValueError(f"row {i}: unknown position_id {request.position_id!r}") from None
        except ValueError as error:
            raise ValueError(f"row {i}: {error}") from None
        among = None
        if request.agencies is not None:
            among = view.frame["agency_id"].isin(request.agencies).to_numpy()
        ranked = rank_candidates(
            view, post, self.fitted, request.k, request.include_ineligible, among
        )
        return ranked.to_dict("records")  # type: ignore[return-value]

    def precompute(self, as_of: pd.Timestamp, depth: int) -> Iterator[list[dict[str, Any]]]:
        """The first `depth` eligible candidates of every structural post, from everyone,
        `POSTS_PER_CHUNK` posts at a time (`jenjang score`): the rows `respond` gives."""
        refuse_before_cutoff(as_of, self.cutoff, 0)
        posts = self._rankable()
        for start in range(0, len(posts), POSTS_PER_CHUNK):
            yield [
                row
                for post in posts[start : start + POSTS_PER_CHUNK]
                for row in self.respond(Ranking(post, depth, False, None), as_of, 0)
            ]

    def subjects(self, as_of: pd.Timestamp) -> int:
        """How many posts `precompute` ranks candidates for."""
        return len(self._rankable())

    def _rankable(self) -> list[str]:
        positions = self.data().records["positions"]
        rankable = positions[positions["family"].isin(STRUCTURAL_FAMILIES)]
        return sorted(rankable["position_id"].astype(str))

    def plan(
        self, position_ids: list[str], as_of: pd.Timestamp, agencies: tuple[str, ...] | None
    ) -> tuple[Plan, Plan]:
        """The best plan for several vacancies (candidates only from `agencies` when given)
        and, for comparison, filling them one by one. An unknown post, or one not filled by
        placement, is a ValueError naming it."""
        data = self.data()
        view = data.view(as_of)
        try:
            posts = [vacancy_post(data.records, p, view.standards) for p in position_ids]
        except KeyError as error:
            raise ValueError(str(error.args[0])) from None
        matrix = vacancy_matrix(view, posts, self.fitted)
        if agencies is not None:
            agency = view.frame["agency_id"].reindex(matrix.candidates).to_numpy()
            matrix.eligible[:, ~pd.Series(agency).isin(agencies).to_numpy()] = False
        args = (matrix.scores, matrix.eligible, matrix.vacancies, matrix.candidates)
        return placement_plan(*args), greedy_plan(*args)
