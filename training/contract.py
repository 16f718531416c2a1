"""The pyfunc contract every model keeps, and the one the service talks to.

- **Names**: the registered models the service answers with (each kind takes its name here).
- **Metadata**: a version refuses to load on another feature set, and to answer for a date
  before its training cutoff (it has seen what followed).
- **Data**: a model answers from `Data`: the records of one database state, birth dates (the
  legal age limit of eligibility only) and everyone active on a date described once
  (`features.view.View`), shared by whoever hands it over (the service's snapshot, a batch job).
- **Requests**: a DataFrame or a list of dicts, one request a row, checked field by field with
  errors that name the row and the field; dates stay dates.
- **Answers**: `ServedModel.answer` gives rows with structured reasons (lists of dicts), the
  service's interface; `predict` (MLflow's) gives the same rows with those lists as JSON text, as
  the signature's string columns require.
"""

from __future__ import annotations

import json
import logging
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import joblib
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from features.asof.course_pairs import UptakeCounts
from features.asof.frame import FEATURE_SET_VERSION
from features.asof.records import Records
from features.asof.transformers import LevelSums
from features.planning.plans import Plan
from features.view import View, build_view

log = logging.getLogger(__name__)

#: The registered models the service answers with (each kind takes its name from here).
TRAINING_RECS = "training-recs"
PLACEMENT_SUCCESS = "placement-success"
#: This contract's version: the pyfunc base and the modules fitted models are pickled from.
#: Versions registered before the layout of docs/architecture.md carry no tag and count as "1";
#: this code cannot load them, and says so by name instead of failing on a missing module.
CONTRACT_VERSION = "2"
#: The longest list a request may ask for, and the length when it does not say.
MAX_K = 50
DEFAULT_K = 10
#: How many dates' prepared state (engines, views) a loaded model or a `Data` keeps: the
#: service's date, and perhaps one historical.
DATES_KEPT = 2

T = TypeVar("T")


class FeatureSetMismatch(RuntimeError):
    """The model was built on a feature set this code does not compute."""


class ContractMismatch(RuntimeError):
    """The model version was built for another pyfunc contract than this code serves."""


def check_contract(tags: dict[str, str], name: str, version: str) -> None:
    """Refuse, by name, a registered version built for another contract (its tags say which)."""
    built_for = tags.get("contract_version", "1")
    if built_for != CONTRACT_VERSION:
        which = f"{name} v{version}" if version else name
        raise ContractMismatch(
            f"{which} was built for pyfunc contract {built_for}; this code serves "
            f"contract {CONTRACT_VERSION}: retrain it (`jenjang train all`) or deploy matching code"
        )


class UnknownEmployee(LookupError):
    """The employee is not active (or not known) at the engine's date."""


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
    check_contract(metadata, metadata.get("model_name", "the model"), "")
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


class Dated(dict[pd.Timestamp, T]):
    """Per-date state built on first use, the oldest dropped beyond `DATES_KEPT`."""

    def get_or_build(self, as_of: pd.Timestamp, build: Callable[[pd.Timestamp], T]) -> T:
        if as_of not in self:
            if len(self) >= DATES_KEPT:
                self.pop(next(iter(self)))
            self[as_of] = build(as_of)
        return self[as_of]


@dataclass(frozen=True)
class Population:
    """What models read of everyone on a date, counted over the whole population: the recent
    uptake of each course (`UptakeCounts`) and the measured levels that estimate unmeasured ones
    (`LevelSums`). Given when the records hold only part of it (a region of a national batch
    job, `training.national`), so a part's answers are the whole's."""

    uptake: UptakeCounts | None = None
    levels: LevelSums | None = None


@dataclass
class Data:
    """What models answer from: records, birth dates, and the views built from them;
    `population` by date when the records are part of a population (`Population`)."""

    records: Records
    birth_dates: pd.Series  # index employee_id; the legal age limit only, never a feature
    views: Dated[View] = field(default_factory=Dated)
    population: dict[pd.Timestamp, Population] = field(default_factory=dict)

    def view(self, as_of: pd.Timestamp) -> View:
        """Everyone active on `as_of`, described once however many models ask."""

        def build(day: pd.Timestamp) -> View:
            whole = self.population.get(day)
            levels = whole.levels if whole is not None else None
            return build_view(self.records, day, self.birth_dates, levels)

        return self.views.get_or_build(as_of, build)

    @classmethod
    def from_database(cls, database_url: str, cache: Path | None = None) -> Data:
        from features.store.database import create_db_engine
        from features.store.personal import load_birth_dates
        from features.store.reads import load_records

        engine = create_db_engine(database_url)
        try:
            return cls(load_records(engine, cache=cache), load_birth_dates(engine))
        finally:
            engine.dispose()


#: Data a process has already loaded, by database URL, and whether it must still be the
#: database's snapshot (`sharing_data`).
_SHARED: dict[str, tuple[Data, bool]] = {}


@contextmanager
def sharing_data(database_url: str, data: Data, of_database: bool = True) -> Iterator[None]:
    """While inside, a model loaded in this process that reads `database_url` answers from
    `data` (records already in memory): as long as the database still holds that snapshot,
    or, when the records are not the database's (`of_database` false: a national sample),
    always. A training run shares its records while MLflow checks the new model's input
    example, which would otherwise load the whole database again (or, for a sample, a database
    without it)."""
    _SHARED[database_url] = (data, of_database)
    try:
        yield
    finally:
        _SHARED.pop(database_url, None)


def shared_data(database_url: str) -> Data | None:
    """The data shared for `database_url`, if the database still holds its snapshot (or it
    was shared as not the database's)."""
    data, of_database = _SHARED.get(database_url, (None, True))
    if data is None or not of_database:
        return data
    from features.store.database import create_db_engine
    from features.store.reads import database_snapshot_id

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            current = database_snapshot_id(connection)
    finally:
        engine.dispose()
    return data if current == data.records.snapshot_id else None


class ServedModel(PythonModel):
    """The base of every model's pyfunc: metadata, the fitted artifact, the data it answers
    from, per-date state, and the request loop. A model says how a row is parsed (`parse`)
    and answered (`respond`)."""

    artifact: ClassVar[str]  # the joblib artifact of the fitted model
    key: ClassVar[str]  # the column every request names (employee_id, position_id)
    columns: ClassVar[list[str]]  # the answer's columns, in the signature's order
    structured: ClassVar[tuple[str, ...]]  # columns holding lists (JSON text in `predict`)

    def load_context(self, context: Any) -> None:
        self.metadata, self.cutoff = read_metadata(context)
        self.fitted = joblib.load(context.artifacts[self.artifact])
        config = getattr(context, "model_config", None) or {}
        self.database_url: str | None = config.get("database_url")
        self._data: Data | None = None
        self.dated: Dated[Any] = Dated()

    def use_data(self, data: Data) -> None:
        """Answer from `data` (the service's snapshot, tests, batch jobs), not the database."""
        self._data = data
        self.dated.clear()

    def data(self) -> Data:
        if self._data is None:
            from features.store.settings import get_settings

            url = self.database_url or get_settings().database_url
            self._data = shared_data(url) or Data.from_database(url)
        return self._data

    def requests(
        self, requests: pd.DataFrame | list[dict[str, Any]]
    ) -> list[tuple[Any, pd.Timestamp]]:
        """Every request parsed with its date, all checked before any is answered."""
        today = pd.Timestamp.now().normalize()
        rows = input_rows(requests, self.key)
        return [self.parse(row, i, today) for i, row in enumerate(rows)]

    def answer(self, requests: pd.DataFrame | list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every request's answer rows, reasons and rule lists as Python lists."""
        rows = []
        for i, (request, as_of) in enumerate(self.requests(requests)):
            refuse_before_cutoff(as_of, self.cutoff, i)
            rows += self.respond(request, as_of, i)
        return rows

    def predict(
        self,
        context: Any,
        # a DataFrame, or a list of dicts; hinted DataFrame only, since MLflow checks the hint
        # of `predict` and warns about unions
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame | list[dict[str, Any]]:
        """MLflow's interface: a DataFrame of requests gets a DataFrame, a list of dicts a list
        of row dicts; structured columns as JSON text (the signature's strings)."""
        rows = [
            row | {c: json.dumps(row[c], ensure_ascii=False) for c in self.structured if c in row}
            for row in self.answer(model_input)
        ]
        if isinstance(model_input, pd.DataFrame):
            return pd.DataFrame(rows, columns=self.columns)
        return rows

    @abstractmethod
    def parse(self, row: dict[str, Any], i: int, today: pd.Timestamp) -> tuple[Any, pd.Timestamp]:
        """The request of row `i` and its date (errors name the row and the field)."""

    @abstractmethod
    def respond(self, request: Any, as_of: pd.Timestamp, i: int) -> list[dict[str, Any]]:
        """The answer rows of one request."""


@runtime_checkable
class Planner(Protocol):
    """A served model that also fills several vacancies at once (the placement model): its
    answer is a plan, not one row per request, so it is not asked through `predict`."""

    def plan(
        self, position_ids: list[str], as_of: pd.Timestamp, agencies: tuple[str, ...] | None
    ) -> tuple[Plan, Plan]: ...


@runtime_checkable
class Precomputing(Protocol):
    """A served model whose answers of a day can be computed for every subject at once (the
    training recommender): `jenjang score` writes them (`training.answers`), the service looks
    them up. `precompute` yields chunks of answer rows, each subject's rows together and in
    rank order, the first `depth` of each list (`depth`: the model's default); `types`: each
    column's MLflow type, the stored schema."""

    depth: int
    types: dict[str, str]

    def precompute(self, as_of: pd.Timestamp, depth: int) -> Iterator[list[dict[str, Any]]]: ...

    def subjects(self, as_of: pd.Timestamp) -> int: ...


@runtime_checkable
class LevelEstimating(Protocol):
    """A served model that estimates people's current competency levels (the training
    recommender): `levels` gives people × competencies (`competency_codes` order) on a date,
    NaN for someone it cannot place. Its reasons quote these levels, and the service shows the
    same ones on profiles, charts and career paths: one level per person and date."""

    def levels(self, employee_ids: Sequence[str], as_of: pd.Timestamp) -> np.ndarray: ...


def served(model: Any) -> ServedModel:
    """The Jenjang model inside a loaded MLflow pyfunc (`mlflow.pyfunc.PyFuncModel`): the
    service's interface to it, past MLflow's per-call signature check (about 1 ms a call, which
    the service runs once per loaded model on its warm-up question)."""
    inner = model.unwrap_python_model()
    if not isinstance(inner, ServedModel):
        raise TypeError(f"{type(inner).__name__} is not a Jenjang model: it has no `answer`")
    return inner


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


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def subject(row: dict[str, Any], key: str, i: int) -> str:
    """The id a request is about: a non-empty string."""
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"row {i}: {key} must be a non-empty string")
    return value.strip()


def list_length(value: object, i: int) -> int:
    """``k``: a whole number from 1 to `MAX_K` (`DEFAULT_K` when not given)."""
    if _missing(value):
        return DEFAULT_K
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"row {i}: k must be a whole number, got {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"row {i}: k must be a whole number, got {value!r}")
    if not 1 <= number <= MAX_K:
        raise ValueError(f"row {i}: k must be between 1 and {MAX_K}, got {int(number)}")
    return int(number)


def request_date(value: object, i: int, today: pd.Timestamp) -> pd.Timestamp:
    """``as_of``: a date (a Timestamp, a date or an ISO string), today when not given."""
    if _missing(value):
        return today
    try:
        date = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"row {i}: as_of {value!r} is not a date (YYYY-MM-DD)") from None
    if date.tzinfo is not None:
        date = date.tz_convert("UTC").tz_localize(None)
    return date.normalize()


def comma_list(value: object, name: str, i: int) -> tuple[str, ...] | None:
    """A comma-separated list of ids or codes (None when not given)."""
    if _missing(value):
        return None
    if not isinstance(value, str):
        raise ValueError(f"row {i}: {name} must be a comma-separated string, got {value!r}")
    return tuple(x.strip() for x in value.split(",") if x.strip())


def flag(value: object, name: str, i: int) -> bool:
    """A true/false option (false when not given)."""
    if _missing(value):
        return False
    if hasattr(value, "item") and isinstance(value.item(), bool):  # numpy's bool
        return bool(value.item())
    if not isinstance(value, bool):
        raise ValueError(f"row {i}: {name} must be true or false, got {value!r}")
    return value
