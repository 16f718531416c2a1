"""The pyfunc contract every model keeps: its metadata (feature set, training cutoff), the
parsing of requests given as a DataFrame or a list of dicts, and the date rules.

The service talks to models through this contract and the registry only.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd

from features.asof.frame import FEATURE_SET_VERSION

log = logging.getLogger(__name__)


#: The registered models the service answers with (each kind takes its name from here).
TRAINING_RECS = "training-recs"
PLACEMENT_SUCCESS = "placement-success"
#: The longest list a request may ask for.
MAX_K = 50


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


class UnknownEmployee(LookupError):
    """The employee is not active (or not known) at the engine's date."""
