"""scikit-learn transformers of the feature pipeline.

`LevelImputer` fills the competency levels nobody measured with what people in the same
position family measured (learned in `fit`) and says how many it filled; the baselines use it,
the learned recommender its own level estimator (`training.courses.levels`). `PairEncoder` is the
transformer in front of every learned model on employee × course pairs; its output names are
the locked feature list
(`features/asof/feature_names.txt`, checked by a test; change it and bump FEATURE_SET_VERSION).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from features import reference
from features.asof.course_pairs import PAIR_CATEGORICAL, PAIR_NUMERIC
from features.asof.frame import block, level_columns

FEATURE_NAMES_FILE = Path(__file__).with_name("feature_names.txt")

#: Observations a family needs before its own mean replaces the overall mean.
MIN_FAMILY_OBSERVATIONS = 20


@dataclass(frozen=True)
class LevelSums:
    """What `LevelImputer` learns from: sums and counts of measured levels per competency,
    overall and per (family, inside the person's standard or not). The sums of disjoint parts
    of the population (the regions of a country) add up to the sums of the whole."""

    total: np.ndarray
    count: np.ndarray
    family: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]]

    def __add__(self, other: LevelSums) -> LevelSums:
        none = (np.zeros_like(self.total), np.zeros_like(self.count))
        keys = sorted(self.family.keys() | other.family.keys())
        return LevelSums(
            self.total + other.total,
            self.count + other.count,
            {
                key: tuple(  # type: ignore[misc]
                    a + b
                    for a, b in zip(
                        self.family.get(key, none), other.family.get(key, none), strict=True
                    )
                )
                for key in keys
            },
        )


def level_sums(X: pd.DataFrame) -> LevelSums:
    """The measured levels of a feature frame, summed and counted (`LevelSums`)."""
    levels = block(X, "level")
    inside = block(X, "required") > 0
    families = X["family"].fillna("").to_numpy()
    family = {}
    for name in np.unique(families):
        rows = families == name
        for flag in (True, False):
            values = np.where(inside[rows] == flag, levels[rows], np.nan)
            family[(str(name), flag)] = (
                np.nansum(values, axis=0),
                (~np.isnan(values)).sum(axis=0),
            )
    return LevelSums(np.nansum(levels, axis=0), (~np.isnan(levels)).sum(axis=0), family)


class LevelImputer(TransformerMixin, BaseEstimator):
    """Fill missing ``level__*`` columns with the family's mean measured level.

    For a competency outside a person's standard the family mean of people for whom it is also
    outside the standard is used; inside, the mean of people for whom it is inside. Families or
    competencies with too few measurements fall back to the overall mean. Adds
    ``levels_imputed`` (how many of the person's standard competencies were estimated).
    """

    def __init__(self, min_observations: int = MIN_FAMILY_OBSERVATIONS) -> None:
        self.min_observations = min_observations

    def fit(self, X: pd.DataFrame, y: object = None) -> LevelImputer:
        self.fit_sums(level_sums(X))
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        return self

    def fit_sums(self, sums: LevelSums) -> LevelImputer:
        """Learn the means from sums already taken (`level_sums`, perhaps added up over the
        regions of a country: the means are then the country's)."""
        self.overall_ = np.where(sums.count > 0, sums.total / np.maximum(sums.count, 1), 1.0)
        self.means_: dict[tuple[str, bool], np.ndarray] = {}
        for key, (total, counts) in sums.family.items():
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = total / counts
            self.means_[key] = np.where(counts >= self.min_observations, mean, self.overall_)
        return self

    def fill(self, X: pd.DataFrame) -> np.ndarray:
        """The ``level__*`` block of `X` with missing levels estimated (people × competencies)."""
        check_is_fitted(self, "means_")
        levels = block(X, "level")
        inside = block(X, "required") > 0
        families = X["family"].fillna("").to_numpy()
        estimate = np.tile(self.overall_, (len(X), 1))
        for family in np.unique(families):
            rows = families == family
            for flag in (True, False):
                mean = self.means_.get((family, flag))
                if mean is not None:
                    estimate[rows] = np.where(inside[rows] == flag, mean, estimate[rows])
        return np.where(np.isnan(levels), estimate, levels)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        columns = level_columns("level")
        filled = self.fill(X)
        missing = X[columns].isna().to_numpy()
        inside = block(X, "required") > 0
        out = X.drop(columns=columns)
        estimated = pd.DataFrame(filled, columns=columns, index=X.index)
        out = pd.concat([out, estimated], axis=1)[list(X.columns)]
        out["levels_imputed"] = (missing & inside).sum(axis=1).astype(float)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        return np.append(self.feature_names_in_, "levels_imputed")


@cache
def categories() -> dict[str, list[str]]:
    """The fixed vocabularies of the categorical pair features (from the reference data)."""
    courses = reference.load("courses")
    return {
        "family": sorted(reference.load("position_families")["family"]),
        "course_kind": sorted(courses["kind"].unique()),
        "delivery": sorted(courses["delivery"].unique()),
    }


class PairEncoder(TransformerMixin, BaseEstimator):
    """Pair features as a float matrix: numeric ones as they are, categorical ones as codes.

    The codes index fixed vocabularies from the reference data (`categories()`), unknown values
    become NaN, so a gradient-boosting model can treat the last columns as categorical
    (`categorical_indices`). Cheap enough to run per request.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> PairEncoder:
        missing = [c for c in PAIR_NUMERIC + PAIR_CATEGORICAL if c not in X.columns]
        if missing:
            raise ValueError(f"pair features missing: {missing}")
        self.feature_names_in_ = np.array(PAIR_NUMERIC + PAIR_CATEGORICAL, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        numeric = X[PAIR_NUMERIC].to_numpy(dtype=float)
        codes = [_codes(X[name].to_numpy(), categories()[name]) for name in PAIR_CATEGORICAL]
        return np.column_stack([numeric, *codes])

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(PAIR_NUMERIC + PAIR_CATEGORICAL, dtype=object)

    @staticmethod
    def categorical_indices() -> list[int]:
        return list(range(len(PAIR_NUMERIC), len(PAIR_NUMERIC) + len(PAIR_CATEGORICAL)))


def _codes(values: np.ndarray, vocabulary: list[str]) -> np.ndarray:
    """Each value's position in `vocabulary` (NaN when unknown), vectorised: a Python loop
    over millions of pairs took seconds."""
    codes = pd.Categorical(values, categories=vocabulary).codes.astype(float)
    codes[codes < 0] = np.nan
    return codes


@cache
def locked_feature_names(section: str = "pairs") -> tuple[str, ...]:
    """A section of the checked-in model input names (``features/asof/feature_names.txt``):
    ``pairs``, ``employee`` or ``levels``."""
    names: dict[str, list[str]] = {}
    current = None
    for line in FEATURE_NAMES_FILE.read_text().splitlines():
        if line.startswith("["):
            current = line[1 : line.index("]")]
            names[current] = []
        elif line and not line.startswith("#") and current is not None:
            names[current].append(line.strip())
    if section not in names:
        raise KeyError(f"feature_names.txt has no section [{section}]")
    return tuple(names[section])
