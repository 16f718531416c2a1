"""Calling the models in service: each through its MLflow pyfunc, on the service's snapshot.

`prepare` runs on every newly loaded model before it serves: it hands the model the snapshot's
records (loaded once for the whole service) and asks one question, so the model's per-date work
(scoring everyone, describing candidates) is done before the first real request and a reload
never makes a caller wait. The answers come back as DataFrames; routes turn them into schemas.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from features.planning.plans import Plan, greedy_plan, placement_plan
from features.planning.ranking import vacancy_matrix
from features.view import vacancy_post
from service.state.model_store import PLACEMENT, TRAINING, Loaded
from service.state.snapshot import Snapshot


class BadRequest(ValueError):
    """The request's input was refused: `message` says what, `loc` where (as FastAPI's own
    validation errors do, so clients read one shape of 422)."""

    def __init__(self, message: str, loc: tuple[str, ...] = ("query",)) -> None:
        super().__init__(message)
        self.loc = loc


def prepare(loaded: Loaded, snapshot: Snapshot) -> None:
    """Give a freshly loaded model the snapshot's data and ask it one real question on the
    snapshot's date: its per-date work (scoring everyone, describing every candidate) is done
    before it serves, and a model that cannot answer for this date (one trained on data after
    it, say) fails here, not on a caller."""
    python_model = loaded.model.unwrap_python_model()
    frame = snapshot.view.frame
    day = snapshot.as_of.date().isoformat()
    question: dict[str, Any] | None = None
    if loaded.name == TRAINING:
        python_model.use_records(snapshot.records)
        if len(frame):
            question = {"employee_id": str(frame.index[0]), "k": 1, "as_of": day}
    elif loaded.name == PLACEMENT:
        python_model.use_records(snapshot.records, snapshot.birth_dates)
        posts = snapshot.positions.index[snapshot.positions["rankable"]]
        if len(frame) and len(posts):
            question = {"position_id": str(posts[0]), "k": 1, "as_of": day}
    if question is not None:  # through MLflow's signature check, once
        loaded.model.predict(pd.DataFrame([question]))


def trainings(
    loaded: Loaded, snapshot: Snapshot, employee_id: str, k: int, kinds: list[str]
) -> list[dict[str, Any]]:
    """The person's top-k courses with scores and reasons (reasons parsed)."""
    request = {"employee_id": employee_id, "k": k, "as_of": snapshot.as_of.date().isoformat()}
    if kinds:
        request["kinds"] = ",".join(kinds)
    return [row | {"reasons": json.loads(row["reasons"])} for row in _predict(loaded, request)]


def candidates(
    loaded: Loaded,
    snapshot: Snapshot,
    position_id: str,
    k: int,
    include_ineligible: bool,
    agencies: tuple[str, ...] | None,
) -> list[dict[str, Any]]:
    """Ranked candidates for a post, only from `agencies` when given (None: everyone)."""
    request: dict[str, Any] = {
        "position_id": position_id,
        "k": k,
        "as_of": snapshot.as_of.date().isoformat(),
        "include_ineligible": include_ineligible,
    }
    if agencies is not None:
        request["agencies"] = ",".join(agencies)
    answer = _predict(loaded, request)
    if agencies is not None:
        # a model logged before the agencies input would ignore it: never show anyone else
        scope = set(agencies)
        answer = [row for row in answer if snapshot.agency_of(row["employee_id"]) in scope]
    return [
        row
        | {
            "rank": rank,
            "failed_rules": json.loads(row["failed_rules"]),
            "reasons": json.loads(row.get("reasons", "[]")),
        }
        for rank, row in enumerate(answer, start=1)
    ]


def plan(
    loaded: Loaded, snapshot: Snapshot, position_ids: list[str], agencies: tuple[str, ...] | None
) -> tuple[Plan, Plan]:
    """The best plan for several vacancies and, for comparison, filling them one by one."""
    scorer = loaded.model.unwrap_python_model().model
    view = snapshot.view
    try:
        posts = [vacancy_post(snapshot.records, p, view.standards) for p in position_ids]
    except (KeyError, ValueError) as error:
        raise BadRequest(str(error.args[0]), ("body", "position_ids")) from None
    matrix = vacancy_matrix(view, posts, scorer)
    if agencies is not None:
        agency = view.frame["agency_id"].reindex(matrix.candidates).to_numpy()
        matrix.eligible[:, ~pd.Series(agency).isin(agencies).to_numpy()] = False
    args = (matrix.scores, matrix.eligible, matrix.vacancies, matrix.candidates)
    return placement_plan(*args), greedy_plan(*args)


def _predict(loaded: Loaded, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's answer to one request as row dicts, through its pyfunc's own `predict`
    (which validates the request and names the field it refuses). MLflow's signature check in
    front of it costs about 1 ms a call and checks nothing the service has not validated: it
    runs once per loaded model, on the warm-up question (`prepare`)."""
    try:
        return loaded.model.unwrap_python_model().predict(None, [request])  # type: ignore[no-any-return]
    except ValueError as error:
        raise BadRequest(str(error).removeprefix("row 0: ")) from None
