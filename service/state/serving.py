"""Calling the models in service through their pyfunc contract (`training.contract`), on the
service's snapshot.

`prepare` runs on every newly loaded model before it serves: it hands the model the snapshot's
data (records loaded once for the whole service, everyone active described once) and asks one
question through MLflow's `predict`, so the model's per-date work (scoring everyone) is done
before the first real request and a reload never makes a caller wait. Requests then go to the
model's `answer`, whose rows carry their reasons and failed rules as lists; routes turn them
into schemas. A person's current competency levels come from one place, `levels`: the training
recommender's estimate, which its reasons quote, shown by the profile, its chart and the paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.planning.plans import Plan
from service.state.model_store import Loaded
from service.state.snapshot import Snapshot
from training.contract import (
    PLACEMENT_SUCCESS,
    TRAINING_RECS,
    LevelEstimating,
    Planner,
    served,
)


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
    served(loaded.model).use_data(snapshot.data)
    frame = snapshot.view.frame
    day = snapshot.as_of.date().isoformat()
    question: dict[str, Any] | None = None
    if loaded.name == TRAINING_RECS and len(frame):
        question = {"employee_id": str(frame.index[0]), "k": 1, "as_of": day}
    elif loaded.name == PLACEMENT_SUCCESS:
        posts = snapshot.positions.index[snapshot.positions["rankable"]]
        if len(frame) and len(posts):
            question = {"position_id": str(posts[0]), "k": 1, "as_of": day}
    if question is not None:  # through MLflow's signature check, once
        loaded.model.predict(pd.DataFrame([question]))


@dataclass(frozen=True)
class Levels:
    """One person's current level per competency on the snapshot's date (`competency_codes`
    order) and whose estimate it is: the training recommender in service (`model`), whose
    reasons quote the same levels, or, without it, the view's (`model` None: the last measured
    level, else the mean of the same kind of post)."""

    values: np.ndarray
    model: Loaded | None


def levels(loaded: Loaded | None, snapshot: Snapshot, employee_id: str) -> Levels:
    """The one level estimate of a person that the profile, its chart and the career paths
    show: the training recommender's (`LevelEstimating`), the levels its reasons quote, kept
    by the model per person once estimated; the view's when no such model serves or it cannot
    place the person."""
    if loaded is not None:
        model = served(loaded.model)
        if isinstance(model, LevelEstimating):
            values = model.levels([employee_id], snapshot.as_of)[0]
            if not np.isnan(values).any():
                return Levels(values, loaded)
    return Levels(snapshot.view.levels[snapshot.row(employee_id)], None)


def trainings(
    loaded: Loaded, snapshot: Snapshot, employee_id: str, k: int, kinds: list[str]
) -> list[dict[str, Any]]:
    """The person's top-k courses with scores and reasons: the day's precomputed answer when
    there is one (`training.answers`), else the model's."""
    stored = stored_trainings(loaded, employee_id, k, kinds)
    if stored is not None:
        return stored
    request: dict[str, Any] = {"employee_id": employee_id, "k": k, "as_of": snapshot.as_of}
    if kinds:
        request["kinds"] = ",".join(kinds)
    return _answer(loaded, request)


def stored_trainings(
    loaded: Loaded, employee_id: str, k: int, kinds: list[str]
) -> list[dict[str, Any]] | None:
    """The person's top-k courses from the day's precomputed set, or None when the set cannot
    say (no set, a person not in it, a filter on kinds): a lookup, cheap enough for the event
    loop."""
    if loaded.answers is None or kinds:
        return None
    return loaded.answers.lookup(employee_id, k)


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
        "as_of": snapshot.as_of,
        "include_ineligible": include_ineligible,
    }
    if agencies is not None:
        request["agencies"] = ",".join(agencies)
    answer = None if include_ineligible else _stored(loaded, snapshot, position_id, k, agencies)
    if answer is None:
        answer = _answer(loaded, request)
    if agencies is not None:
        # a model logged before the agencies input would ignore it: never show anyone else
        scope = set(agencies)
        answer = [row for row in answer if snapshot.agency_of(row["employee_id"]) in scope]
    return [row | {"rank": rank} for rank, row in enumerate(answer, start=1)]


def _stored(
    loaded: Loaded,
    snapshot: Snapshot,
    position_id: str,
    k: int,
    agencies: tuple[str, ...] | None,
) -> list[dict[str, Any]] | None:
    """The post's precomputed eligible candidates (only from `agencies` when given), or None
    when the day's set cannot say: no set, no such post in it, or too few of the agencies'
    people among a list that may go on."""
    if loaded.answers is None:
        return None
    if agencies is None:
        return loaded.answers.lookup(position_id, k)
    stored = loaded.answers.lookup(position_id, loaded.answers.depth)
    if stored is None:
        return None
    scope = set(agencies)
    mine = [row for row in stored if snapshot.agency_of(row["employee_id"]) in scope]
    complete = len(stored) < loaded.answers.depth  # every eligible candidate is in it
    return mine[:k] if len(mine) >= k or complete else None


def plan(
    loaded: Loaded, snapshot: Snapshot, position_ids: list[str], agencies: tuple[str, ...] | None
) -> tuple[Plan, Plan]:
    """The best plan for several vacancies and, for comparison, filling them one by one."""
    model = served(loaded.model)
    if not isinstance(model, Planner):
        raise TypeError(f"{loaded.name} v{loaded.version} cannot plan placements")
    try:
        return model.plan(position_ids, snapshot.as_of, agencies)
    except ValueError as error:
        raise BadRequest(str(error), ("body", "position_ids")) from None


def _answer(loaded: Loaded, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's answer to one request (it validates the request and names the field it
    refuses)."""
    try:
        return served(loaded.model).answer([request])
    except ValueError as error:
        raise BadRequest(str(error).removeprefix("row 0: ")) from None
