"""Competency fit of people to a position's standard, level by level (PermenPANRB 38/2017).

Fit = − mean shortfall below the standard + `fit_surplus_weight` × mean surplus above it (each
competency's surplus counted up to `fit_surplus_cap` levels) + `fit_field_match_weight` when
the person's current post is in the position's field. A shortfall weighs more than a surplus:
being one level short of a required competency is not made good by being one level above on
another. The weights are heuristic constants (`regulation_constants.csv`), not regulation.
Vectorised over people for one position (ranking a whole province for a vacancy), with a
per-competency breakdown that the API and the pages show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import reference
from features.asof.positions import competency_codes


@dataclass(frozen=True)
class Fit:
    """Fit of people (rows) to one standard, with its parts per competency."""

    score: np.ndarray  # people
    shortfall: np.ndarray  # people × competencies (0 outside the standard)
    surplus: np.ndarray  # people × competencies, capped
    field_match: np.ndarray  # people, 0/1


def competency_fit(
    levels: np.ndarray,
    required: np.ndarray,
    person_fields: np.ndarray | None = None,
    position_field: str | np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> Fit:
    """Fit of people with `levels` (people × competencies) to the standard `required`
    (competencies, or people × competencies for one standard per row — one person against many
    posts; 0 = not in the standard). `position_field` is the post's field (or one per row).
    `weights` (competencies) weigh the standard's competencies when a standard says how
    important each is; equal weights otherwise."""
    surplus_weight = float(reference.constant("fit_surplus_weight"))
    cap = float(reference.constant("fit_surplus_cap"))
    field_weight = float(reference.constant("fit_field_match_weight"))
    inside = (required > 0).astype(float)
    weight = inside if weights is None else inside * weights
    total = np.maximum(weight.sum(axis=-1), 1e-12)
    shortfall = np.clip(required - levels, 0.0, None) * (inside > 0)
    surplus = np.clip(levels - required, 0.0, cap) * (inside > 0)
    match = np.zeros(len(levels))
    if person_fields is not None and position_field is not None:
        fields = np.asarray(position_field, dtype=object)
        match = ((np.asarray(person_fields, dtype=object) == fields) & (fields != "")).astype(float)
    score = (
        -(shortfall * weight).sum(axis=-1) / total
        + surplus_weight * (surplus * weight).sum(axis=-1) / total
        + field_weight * match
    )
    return Fit(score, shortfall, surplus, match)


def breakdown(fit: Fit, person: int, levels: np.ndarray, required: np.ndarray) -> pd.DataFrame:
    """One person's fit competency by competency (only the standard's competencies)."""
    codes = np.array(competency_codes())
    names = reference.load("competencies").set_index("code")
    inside = np.flatnonzero(required > 0)
    return pd.DataFrame(
        {
            "competency_code": codes[inside],
            "name_id": names.loc[codes[inside], "name_id"].to_numpy(),
            "name_en": names.loc[codes[inside], "name_en"].to_numpy(),
            "required_level": required[inside],
            "level": levels[person, inside],
            "shortfall": fit.shortfall[person, inside],
            "surplus": fit.surplus[person, inside],
        }
    )
