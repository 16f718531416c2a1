"""The generator's hidden ground truth, for evaluation only.

A synthetic dataset keeps in ``truth/`` what no model may see: true competency levels per year,
each person's responsiveness to training, each course's true effectiveness. With them, the
true effect of *any* course on *any* person can be computed with the generator's own mechanism
(`features.synth.mechanisms.course_gain`), so a recommender is scored on what its suggestions
would really do, not only on whether people happened to take them. Nothing in the inference
path imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.asof.course_pairs import Catalogue
from features.asof.positions import competency_codes
from features.synth import mechanisms


@dataclass(frozen=True)
class Truth:
    """True levels by year, responsiveness by person, effectiveness by course."""

    levels: pd.DataFrame  # index (employee_id, year), columns competency codes, level 1–5
    responsiveness: pd.Series
    effectiveness: pd.Series

    @classmethod
    def load(cls, dataset: Path) -> Truth:
        folder = Path(dataset) / "truth"
        if not (folder / "levels.parquet").exists():
            raise FileNotFoundError(
                f"{dataset} has no truth/levels.parquet: true gains need a generated dataset"
            )
        levels = pd.read_parquet(folder / "levels.parquet").set_index(["employee_id", "year"])
        levels = levels[list(competency_codes())].astype(float) / 100.0
        people = pd.read_parquet(folder / "people.parquet").set_index("employee_id")
        courses = pd.read_parquet(folder / "courses.parquet").set_index("course_id")
        return cls(levels, people["responsiveness"], courses["effectiveness"])

    def levels_before(self, employee_ids: np.ndarray, year: int) -> np.ndarray:
        """True levels at the start of `year` (the snapshot at the end of the year before)."""
        index = pd.MultiIndex.from_arrays([employee_ids, np.full(len(employee_ids), year - 1)])
        return self.levels.reindex(index).to_numpy()

    def gains(
        self,
        employee_ids: np.ndarray,
        year: int,
        required: np.ndarray,
        catalogue: Catalogue,
        in_audience: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """True effect of every course on every person taking it in `year` (people × courses).

        ``fit_gain``: the rise in true fit to the standard `required` (people × competencies,
        0 = not required) — does the course help in the post; ``competency_gain``: the summed
        rise in true levels. NaN rows for people without a true-level snapshot. Where
        `in_audience` (people × courses) is False, the person gets the generator's
        `OUT_OF_AUDIENCE_SHARE` of the effect, as a taker outside the course's audience does.
        """
        levels = self.levels_before(employee_ids, year)
        respond = self.responsiveness.reindex(employee_ids).to_numpy()
        effect = self.effectiveness.reindex(catalogue.ids).to_numpy()
        c = catalogue.entry_competency
        before = levels[:, c]
        delta = mechanisms.course_gain(
            before,
            catalogue.entry_min,
            catalogue.entry_max,
            catalogue.entry_gain,
            effect[catalogue.entry_course],
            respond[:, None],
        )
        if in_audience is not None:
            share = np.where(in_audience, 1.0, mechanisms.OUT_OF_AUDIENCE_SHARE)
            delta = delta * share[:, catalogue.entry_course]
        after = np.clip(before + delta, 1.0, 5.0)
        need = required[:, c]
        inside = need > 0
        per_entry = (_fit_part(after, need) - _fit_part(before, need)) * inside
        count = np.maximum((required > 0).sum(axis=1), 1)
        return {
            "fit_gain": (per_entry @ catalogue.membership) / count[:, None],
            "competency_gain": (after - before) @ catalogue.membership,
        }


def _fit_part(level: np.ndarray, required: np.ndarray) -> np.ndarray:
    """One competency's contribution to `mechanisms.true_fit` (before dividing by the count)."""
    shortfall = np.clip(required - level, 0.0, None)
    surplus = np.clip(level - required, 0.0, 1.0)
    return -shortfall + mechanisms.SURPLUS_WEIGHT * surplus


@dataclass(frozen=True)
class PlacementTruth:
    """Every historical vacancy's candidate pool with each candidate's true success probability,
    and what is needed to compute it for anyone else (true levels, ability)."""

    pools: pd.DataFrame  # vacancy, position_id, year, employee_id, true_success_probability, chosen
    placed: pd.DataFrame  # vacancy, employee_id, true_success_probability, success
    levels: pd.DataFrame  # as `Truth.levels`
    ability: pd.Series

    @classmethod
    def load(cls, dataset: Path) -> PlacementTruth:
        folder = Path(dataset) / "truth"
        if not (folder / "placement_candidates.parquet").exists():
            raise FileNotFoundError(
                f"{dataset} has no truth/placement_candidates.parquet: true placement success "
                "needs a generated dataset"
            )
        pools = pd.read_parquet(folder / "placement_candidates.parquet")
        parts = pools["vacancy"].str.rsplit("@", n=1, expand=True)
        pools = pools.assign(position_id=parts[0], year=parts[1].astype(int))
        placed = pd.read_parquet(folder / "placements.parquet")
        levels = Truth.load(dataset).levels
        people = pd.read_parquet(folder / "people.parquet").set_index("employee_id")
        return cls(pools, placed, levels, people["ability"])

    def success_probability(
        self, employee_ids: np.ndarray, year: int, required: np.ndarray
    ) -> np.ndarray:
        """True probability that each person would succeed in a post with standard `required`
        taken up in `year` (the generator's own mechanism, on true levels at the year's start)."""
        index = pd.MultiIndex.from_arrays([employee_ids, np.full(len(employee_ids), year - 1)])
        levels = self.levels.reindex(index).to_numpy()
        need = np.broadcast_to(required, levels.shape)
        fit = mechanisms.true_fit(levels, need, need > 0)
        ability = self.ability.reindex(employee_ids).to_numpy()
        return mechanisms.placement_success_probability(fit, ability)
