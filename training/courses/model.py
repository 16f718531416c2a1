"""The learned training recommender: what will help, among what the person is likely to take up.

Three fitted parts, each a scikit-learn estimator trained only on records known before the
cutoff:

1. `training.courses.effects` — the share of its nominal gain each course really delivers (ridge
   regression on re-assessments);
2. `training.courses.levels.LevelEstimator` — everyone's current competency levels (gradient
   boosting on past assessments), so people never assessed get estimates better than a family mean;
3. an uptake model — gradient boosting on the employee × course pair features, the probability
   that the person would start the course this cycle (what people actually find relevant).

The list a person sees is built in two parts. Its first `helpful_slots` (5) courses are those
with the highest expected gain — closing the current post's gaps, plus the next step's with a
smaller weight — averaged over the uncertainty of the person's estimated levels; they are shown
most-likely-wanted first. The rest of the list is what the person is most likely to take up.
An owed leadership training always comes first (a legal duty). `gain_rank_weight` (default 1.0)
can blend uptake into the choice of the helpful set, ``w × rank(gain) + (1 − w) × rank(uptake)``:
docs/training-recommender.md shows the trade-off between NDCG and true gain it sets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from features.asof.course_pairs import (
    PAIR_CATEGORICAL,
    PAIR_NUMERIC,
    Catalogue,
    owed_matrix,
    pair_features,
    pair_matrix,
)
from features.asof.frame import block
from features.asof.records import Records
from features.asof.transformers import PairEncoder
from training.courses.batch import CHUNK_PEOPLE, Batch, build_batch
from training.courses.effects import CourseEffects, fit_course_effects
from training.courses.gains import expected_fit_gain
from training.courses.levels import LevelEstimator
from training.metrics import EXCLUDED, top_k
from training.split import TemporalSplit, cycle_start, labels, spine

log = logging.getLogger(__name__)

OWED_BONUS = 10.0


@dataclass
class RecommenderConfig:
    """Hyper-parameters of the learned recommender (logged with every run)."""

    people_per_cycle: int = 6000
    negative_share: float = 0.1
    next_step_weight: float = 0.3
    gain_rank_weight: float = 1.0
    helpful_slots: int = 5
    #: The first stage: courses per person the uptake model scores (0: all; `first_stage`).
    candidates: int = 60
    uptake_max_iter: int = 200
    level_max_iter: int = 200
    random_state: int = 0


@dataclass
class Components:
    """The parts of a score, kept for explanations and evaluation."""

    levels: np.ndarray  # estimated levels, people × competencies
    gain_current: np.ndarray  # people × courses
    gain_next: np.ndarray
    uptake: np.ndarray
    owed: np.ndarray
    #: row ranks already computed (`helpfulness`), by what they rank: list settings evaluated
    #: on the same parts share them
    ranks: dict[tuple[str, float, int], np.ndarray] = field(
        default_factory=dict, repr=False, compare=False
    )


def astuple_shallow(parts: Components) -> tuple[np.ndarray, ...]:
    """The arrays of `parts` in field order (dataclasses.astuple would deep-copy them)."""
    return (parts.levels, parts.gain_current, parts.gain_next, parts.uptake, parts.owed)


@dataclass
class TrainingRecommender:
    """Fitted parts of the learned recommender; `scores(batch)` ranks a batch's candidates."""

    config: RecommenderConfig = field(default_factory=RecommenderConfig)
    name: str = "learned"

    def fit(self, records: Records, split: TemporalSplit) -> TrainingRecommender:
        self.effects_, self.levels_ = self._fit_levels(records, split.cutoff)
        log.info("course effects from %d re-assessed competencies", self.effects_.rows)
        self.uptake_ = self._fit_uptake(records, split)
        self.cutoff_ = split.cutoff
        return self

    def _fit_levels(
        self, records: Records, cutoff: pd.Timestamp
    ) -> tuple[CourseEffects, LevelEstimator]:
        """Course effects and the level estimator from assessments known before `cutoff`."""
        catalogue = Catalogue.from_records(records)
        effects = fit_course_effects(records, catalogue, cutoff)
        levels = LevelEstimator(
            max_iter=self.config.level_max_iter, random_state=self.config.random_state
        ).fit(records, catalogue, effects, cutoff)
        return effects, levels

    def _levels(
        self, batch: Batch, fitted: tuple[CourseEffects, LevelEstimator] | None = None
    ) -> np.ndarray:
        if fitted is None:
            return self.current_levels(batch.frame, batch.records, batch.catalogue)
        effects, levels = fitted
        return levels.estimate(batch.frame, batch.records, batch.catalogue, effects)

    def current_levels(
        self, frame: pd.DataFrame, records: Records, catalogue: Catalogue
    ) -> np.ndarray:
        """The people of `frame` (people × competencies): their current levels as the fitted
        level estimator gives them on the frame's date. The one level of a person and date:
        the gains and reasons read it, and the service shows it (profile, chart, career paths).
        """
        return self.levels_.estimate(frame, records, catalogue, self.effects_)

    @staticmethod
    def _pairs(
        batch: Batch,
        levels: np.ndarray,
        rows: np.ndarray | None = None,
        cols: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Pair features computed on the estimated levels (not the family-mean imputation), of
        the pairs (`rows[i]`, `cols[i]`), or of every person × course when not given."""
        measured = block(batch.frame, "level")
        required = block(batch.frame, "required")
        frame = batch.frame.assign(
            levels_imputed=(np.isnan(measured) & (required > 0)).sum(axis=1).astype(float)
        )
        if rows is None or cols is None:
            n, k = batch.allowed.shape
            rows, cols = np.divmod(np.arange(n * k), k)
        return pair_features(frame, batch.catalogue, batch.uptake, rows, cols, levels)

    def _fit_uptake(self, records: Records, split: TemporalSplit) -> Pipeline:
        rng = np.random.default_rng(self.config.random_state)
        features, targets, weights = [], [], []
        for year in split.train_years:
            people = spine(records, year)
            if len(people) > self.config.people_per_cycle:
                people = people.sample(self.config.people_per_cycle, random_state=year)
            batch = build_batch(records, people)
            # levels as they could be estimated on that date: parts fitted on later
            # assessments would leak the cycle's own measurements into its features
            levels = self._levels(batch, self._fit_levels(records, cycle_start(year)))
            taken = pair_matrix(
                batch.employee_ids,
                batch.catalogue.ids,
                labels(records, year, known_before=split.cutoff),
            )
            keep = batch.allowed & (taken | (rng.random(taken.shape) < self.config.negative_share))
            for start in range(0, len(batch.frame), CHUNK_PEOPLE):
                rows = slice(start, start + CHUNK_PEOPLE)
                pairs = self._pairs(batch.subset(rows), levels[rows])
                features.append(pairs[keep[rows].ravel()])
            targets.append(taken[keep])
            weights.append(np.where(taken[keep], 1.0, 1.0 / self.config.negative_share))
        model = Pipeline(
            [
                ("pairs", PairEncoder()),
                (
                    "uptake",
                    HistGradientBoostingClassifier(
                        max_iter=self.config.uptake_max_iter,
                        learning_rate=0.1,
                        categorical_features=PairEncoder.categorical_indices(),
                        random_state=self.config.random_state,
                    ),
                ),
            ]
        )
        model.fit(
            pd.concat(features, ignore_index=True)[PAIR_NUMERIC + PAIR_CATEGORICAL],
            np.concatenate(targets),
            uptake__sample_weight=np.concatenate(weights),
        )
        return model

    def components(self, batch: Batch, levels: np.ndarray | None = None) -> Components:
        """Estimated levels, expected gains (current post, next step), uptake, owed training.

        `levels` may be given when already estimated (a serving engine estimates everyone's
        once). Otherwise the last batch's components are kept, so evaluating several list
        settings on one batch scores it once (the cache is never saved with the model).
        """
        if levels is not None:
            return self._components(batch, levels)
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] is batch:
            return cached[1]
        parts = self._components(batch)
        self._cache = (batch, parts)
        return parts

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state.pop("_cache", None)
        return state

    def estimate_levels(self, batch: Batch) -> np.ndarray:
        """Everyone's estimated current levels (people × competencies)."""
        return self._levels(batch)

    def _components(self, batch: Batch, levels: np.ndarray | None = None) -> Components:
        """Components of a whole batch, `CHUNK_PEOPLE` people at a time: pair features are
        people × catalogue rows, so a chunk bounds memory however large the batch."""
        parts = []
        for start in range(0, len(batch.frame), CHUNK_PEOPLE):
            rows = slice(start, start + CHUNK_PEOPLE)
            chunk = batch.subset(rows)
            parts.append(self._chunk_components(chunk, None if levels is None else levels[rows]))
        if not parts:
            return self._chunk_components(batch, levels)
        levels_, current, following, uptake, owed = (
            np.concatenate(values) for values in zip(*map(astuple_shallow, parts), strict=True)
        )
        return Components(levels_, current, following, uptake, owed)

    def _chunk_components(self, batch: Batch, levels: np.ndarray | None = None) -> Components:
        share = self.effects_.for_catalogue(batch.catalogue)
        levels = self._levels(batch) if levels is None else levels
        required = block(batch.frame, "required")
        following = block(batch.frame, "next_required")
        sigma = self.levels_.uncertainty(batch.frame)
        gain_current = expected_fit_gain(levels, required, batch.catalogue, share, sigma)
        gain_next = expected_fit_gain(levels, following, batch.catalogue, share, sigma)
        gain = gain_current + self.config.next_step_weight * gain_next
        rows, cols = np.nonzero(first_stage(batch, gain, self.config))
        pairs = self._pairs(batch, levels, rows, cols)[PAIR_NUMERIC + PAIR_CATEGORICAL]
        uptake = np.zeros(batch.allowed.shape)
        if len(rows):
            uptake[rows, cols] = self.uptake_.predict_proba(pairs)[:, 1]
        owed = owed_matrix(batch.frame, batch.catalogue).astype(float)
        return Components(levels, gain_current, gain_next, uptake, owed)

    def scores(self, batch: Batch, parts: Components | None = None) -> np.ndarray:
        parts = parts or self.components(batch)
        return combine(parts, batch.allowed, self.config)


def first_stage(batch: Batch, gain: np.ndarray, config: RecommenderConfig) -> np.ndarray:
    """The pairs the uptake model scores (people × courses): the `candidates` courses most
    taken lately in the person's position family, the `2 × helpful_slots` of highest expected
    gain, and an owed leadership course, among those allowed. The uptake model costs most of a
    score; the rest of a person's candidates rank after these (their uptake counts as 0).

    `candidates` ≤ 0 or ≥ the catalogue scores every pair. Evaluation reports how many of the
    full ranking's top 10 the first stage keeps (``first_stage_recall_at_10``).
    """
    allowed = batch.allowed
    n, k = allowed.shape
    if config.candidates <= 0 or config.candidates >= k:
        return allowed.copy()
    keep = np.zeros_like(allowed)
    person = np.arange(n)[:, None]
    popular = top_k(family_uptake(batch), allowed, config.candidates)
    helpful = top_k(gain, allowed, 2 * config.helpful_slots)
    for chosen in (popular, helpful):
        keep[np.broadcast_to(person, chosen.shape)[chosen >= 0], chosen[chosen >= 0]] = True
    return (keep | owed_matrix(batch.frame, batch.catalogue)) & allowed


def family_uptake(batch: Batch) -> np.ndarray:
    """People × courses: the share of the person's position family who took each course in
    the last 12 months (ties broken by the share of everyone)."""
    families = batch.frame["family"].fillna("").to_numpy()
    out = np.broadcast_to(1e-3 * batch.uptake.overall, (len(families), len(batch.catalogue.ids)))
    out = out.copy()
    for family, shares in batch.uptake.by_family.items():
        out[families == family] += shares
    return out


def combine(parts: Components, allowed: np.ndarray, config: RecommenderConfig) -> np.ndarray:
    """List order as a score (higher first): the helpful set first, then likely uptake."""
    blend = helpfulness(parts, allowed, config)
    helpful = top_k(blend, allowed, config.helpful_slots)
    # uptake scaled to 0–1 within each person's row, so a person's scores do not depend on
    # who else is in the batch (one person's answer equals their row of everyone's)
    low = parts.uptake.min(axis=1, keepdims=True)
    span = parts.uptake.max(axis=1, keepdims=True) - low
    score = (parts.uptake - low) / np.where(span > 0, span, 1.0)
    score = score + OWED_BONUS * parts.owed
    rows = np.repeat(np.arange(len(score))[:, None], helpful.shape[1], axis=1)
    listed = helpful >= 0
    score[rows[listed], helpful[listed]] += 2 * OWED_BONUS
    return np.where(allowed, score, EXCLUDED)


def helpfulness(parts: Components, allowed: np.ndarray, config: RecommenderConfig) -> np.ndarray:
    """Blend of expected gain and uptake by their ranks among each person's candidates."""
    w = config.gain_rank_weight
    out = OWED_BONUS * parts.owed
    if w != 0:
        key = ("gain", config.next_step_weight, id(allowed))
        if key not in parts.ranks:
            gain = parts.gain_current + config.next_step_weight * parts.gain_next
            # a tiny uptake term breaks ties between courses of equal (often zero) gain
            parts.ranks[key] = _row_ranks(gain + 1e-9 * parts.uptake, allowed)
        out = out + w * parts.ranks[key]
    if w != 1:
        key = ("uptake", 0.0, id(allowed))
        if key not in parts.ranks:
            parts.ranks[key] = _row_ranks(parts.uptake, allowed)
        out = out + (1 - w) * parts.ranks[key]
    return out


def _row_ranks(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Rank of each allowed value within its row, scaled to 0–1 (disallowed get 0; a missing
    value ranks lowest)."""
    masked = np.where(allowed, np.nan_to_num(values, nan=-np.inf), -np.inf)
    order = np.argsort(np.argsort(masked, axis=1, kind="stable"), axis=1, kind="stable")
    count = allowed.sum(axis=1, keepdims=True)
    # disallowed sort first: shift so the lowest allowed is 0 and the highest is 1
    shifted = order - (allowed.shape[1] - count)
    return np.where(allowed, shifted / np.maximum(count - 1, 1), 0.0)
