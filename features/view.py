"""Everyone active on one date, described once: features, estimated levels, eligibility facts.

Built once per date (per snapshot in the service) and shared by everything that ranks people
for posts: career paths, candidates, plans, succession, the placement model's training rounds.
Ranking a vacancy is then a slice and a few array operations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.asof.frame import build_feature_frame
from features.asof.positions import standard_matrix
from features.asof.post_pairs import People, Post, candidate_features
from features.asof.records import Records, active_at
from features.asof.transformers import LevelImputer, LevelSums
from features.rules.eligibility import RuleResult, eligibility_facts, evaluate
from features.rules.professions import post_requirements

log = logging.getLogger(__name__)


#: Families whose posts are filled by placement (promosi) rather than by a functional step-up.
STRUCTURAL_FAMILIES = ("jpt_utama", "jpt_madya", "jpt_pratama", "administrator", "pengawas")


def post_of(records: Records, position_id: str, standards: pd.DataFrame | None = None) -> Post:
    """A position as a `Post`: family, field, agency and standard."""
    positions = records["positions"].set_index("position_id")
    if position_id not in positions.index:
        raise KeyError(f"unknown position {position_id!r}")
    row = positions.loc[position_id]
    agency = records["units"].set_index("unit_id")["agency_id"].get(str(row["unit_id"]))
    standards = standard_matrix(records) if standards is None else standards
    if position_id in standards.index:
        required = standards.loc[position_id].to_numpy(dtype=float)
    else:
        required = np.zeros(standards.shape[1])
    field_name = row["field"] if isinstance(row["field"], str) else None
    return Post(position_id, str(row["family"]), field_name, agency, required)


def vacancy_post(records: Records, position_id: str, standards: pd.DataFrame) -> Post:
    """The `Post` of a vacancy to rank candidates for: a structural post (the families filled by
    placement), else a clear error. A post without a competency standard is ranked on the
    record alone, with a warning."""
    post = post_of(records, position_id, standards)
    if post.family not in STRUCTURAL_FAMILIES:
        raise ValueError(
            f"{position_id} is a {post.family} post: candidates are ranked for posts filled by "
            f"placement ({', '.join(STRUCTURAL_FAMILIES)}); functional step-ups follow their own "
            "ladder"
        )
    if not (post.required > 0).any():
        log.warning("position %s has no competency standard: fit is not measured", position_id)
    return post


@dataclass
class View:
    """Everyone active on `as_of`, described once: features, levels, eligibility facts."""

    as_of: pd.Timestamp
    frame: pd.DataFrame  # employee feature frame, index employee_id
    levels: np.ndarray  # people × competencies, unmeasured ones estimated
    facts: pd.DataFrame  # eligibility facts, same index as frame
    standards: pd.DataFrame
    #: position_id → the requirement id of a profession-bound post (`features.rules.professions`)
    professions: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    _eligibility: dict[str, RuleResult] = field(default_factory=dict, repr=False)
    _post_eligibility: dict[tuple[str, str], RuleResult] = field(default_factory=dict, repr=False)
    _people: People | None = field(default=None, repr=False)
    _standard_rows: dict[str, int] | None = field(default=None, repr=False)
    _standard_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def standard(self, position_id: str) -> np.ndarray:
        """The post's required level per competency (0 = not in its standard, and for a post
        without one): a row of one array, for answers that need it per request."""
        if self._standard_rows is None:
            self._standard_values = self.standards.to_numpy(dtype=float)
            self._standard_rows = {str(p): i for i, p in enumerate(self.standards.index)}
        row = self._standard_rows.get(position_id)
        if row is None:
            return np.zeros(self.standards.shape[1])
        return self._standard_values[row]

    @property
    def people(self) -> People:
        """The frame as arrays, built once (candidate features select rows of it)."""
        if self._people is None:
            self._people = People.from_frame(self.frame, self.levels)
        return self._people

    def pairs(self, post: Post, people: pd.Index | None = None) -> pd.DataFrame:
        """Candidate features of `people` (default: everyone) for `post`."""
        if people is None:
            return candidate_features(self.people, post)
        rows = self.frame.index.get_indexer(people)
        if (rows < 0).any():
            missing = list(people[rows < 0][:3])
            raise KeyError(f"not active with a known position on {self.as_of.date()}: {missing}")
        return self.pairs_at(post, rows)

    def pairs_at(self, post: Post, rows: np.ndarray) -> pd.DataFrame:
        """Candidate features of the people at positions `rows` of the view for `post`."""
        return candidate_features(self.people.take(rows), post)

    def eligibility(self, family: str) -> RuleResult:
        """Every rule of `family` for everyone in the view (computed once per family)."""
        if family not in self._eligibility:
            self._eligibility[family] = evaluate(self.facts, family, self.as_of)
        return self._eligibility[family]

    def profession_of(self, position_id: str) -> str | None:
        """The requirement id of a profession-bound post (None: open to every profession)."""
        found = self.professions.get(position_id)
        return str(found) if isinstance(found, str) and found else None

    def post_eligibility(self, position_id: str, family: str) -> RuleResult:
        """Every rule of one post for everyone in the view: its family's rules and, for a post
        bound to a profession (a hospital director, a school head), that profession. Computed
        once per family and profession."""
        profession = self.profession_of(position_id)
        if profession is None:
            return self.eligibility(family)
        key = (family, profession)
        if key not in self._post_eligibility:
            self._post_eligibility[key] = evaluate(self.facts, family, self.as_of, profession)
        return self._post_eligibility[key]


def build_view(
    records: Records,
    as_of: pd.Timestamp,
    birth_dates: pd.Series,
    level_sums: LevelSums | None = None,
) -> View:
    """Describe everyone active with a known position on `as_of`. Birth dates only feed the
    legal age limit of eligibility (`features.store.personal.load_birth_dates`), never a feature;
    they are required, since without them every JPT candidate would silently fail it.
    `level_sums`: the measured levels of everyone when `records` hold only a part (a region of
    a country), so that unmeasured levels are estimated from the country's means."""
    people = active_at(records, as_of)[["employee_id"]].assign(as_of=as_of)
    frame = build_feature_frame(people, records)
    frame = frame[frame["family"].notna()].set_index("employee_id", drop=False)
    frame.index.name = None
    imputer = LevelImputer()
    imputer = imputer.fit(frame) if level_sums is None else imputer.fit_sums(level_sums)
    levels = imputer.fill(frame)
    facts = eligibility_facts(records, as_of, birth_dates).reindex(frame.index)
    return View(as_of, frame, levels, facts, standard_matrix(records), post_requirements(records))


def candidate_rows(
    view: View, post: Post, include_ineligible: bool = False, among: np.ndarray | None = None
) -> np.ndarray:
    """Positions in `view` of the people who may be proposed for `post`: eligible (unless
    `include_ineligible`; a profession-bound post's profession is one of the rules), never the
    post's own holder, and only those `among` marks (a mask over the view, e.g. the agencies a
    planner may see). Serving, plans, training pools and the evaluation all draw candidates
    through here."""
    keep = view.frame["position_id"].to_numpy() != post.position_id
    if among is not None:
        keep &= among
    if not include_ineligible:
        result = view.post_eligibility(post.position_id, post.family)
        keep &= result.eligible.to_numpy(dtype=bool)
    return np.flatnonzero(keep)
