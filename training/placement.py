"""Placement success: who, among the eligible candidates for a post, is likely to do well in it.

History gives, for each structural post filled by promotion (``promosi`` in the position
history), the person placed and what followed: their SKP for the year of the move. A placement
*succeeded* when that rating is at least `SUCCESS_MIN_RATING` (Baik) — the observable stand-in
for "performance in the position afterwards" (heuristic; the generator's hidden success draw
agrees with it to MCC 0.30 on the province dataset, see docs/placements.md).

Three scorers rank candidates on the same features, all point-in-time (described as known on
1 January of the placement year, when the round opens):

- `SuccessModel` (the product): a regularised logistic regression of success, trained on the
  people placed in the training years. It does not see `same_agency`: closeness to the post is
  how past choices were biased, not merit.
- `FitOnly`: the competency fit to the post's standard, nothing learned.
- `Imitation`: a classifier of *who was chosen* among the eligible, trained on past rounds — it
  learns whatever past decisions rewarded, merit or not.

`View` describes everyone active on one date once (features, estimated levels, eligibility
facts) so that ranking a vacancy is a slice and a few array operations.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from features.candidates import (
    CANDIDATE_FEATURES,
    PROXIMITY_FEATURES,
    SUCCESS_FEATURES,
    People,
    Post,
    candidate_features,
)
from features.eligibility import BAIK, RuleResult, eligibility_facts, evaluate
from features.evaluations import harmonised
from features.frame import build_feature_frame
from features.positions import standard_matrix
from features.records import Records, active_at, known
from features.transformers import LevelImputer
from training import placement_reasons
from training.split import TemporalSplit, cycle_start

log = logging.getLogger(__name__)

#: Families whose posts are filled by placement (promosi) rather than by a functional step-up.
STRUCTURAL_FAMILIES = ("jpt_utama", "jpt_madya", "jpt_pratama", "administrator", "pengawas")
PLACEMENT_REASON = "promosi"
#: A placement succeeded when the SKP of the first year mostly in the new post is at least
#: this ordinal (Baik).
SUCCESS_MIN_RATING = BAIK
#: A move starting in this month or later is judged by the next year's SKP: the year of the
#: move was mostly spent in the old post.
LATE_MOVE_MONTH = 7
#: Candidates not chosen, sampled per past vacancy to train the imitation baseline.
POOL_SAMPLE = 50
#: Cross-validation folds choosing the success model's regularisation.
CV_FOLDS = 5


def placement_events(
    records: Records, years: Iterable[int], known_before: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Promotions into structural posts starting in `years` (one row per filled vacancy)."""
    history = records["position_history"]
    if known_before is not None:
        history = known(history, known_before)
    families = records["positions"].set_index("position_id")["family"]
    events = history[history["reason"] == PLACEMENT_REASON].copy()
    events["family"] = events["position_id"].map(families)
    events["year"] = events["start_date"].dt.year
    events = events[events["family"].isin(STRUCTURAL_FAMILIES) & events["year"].isin(list(years))]
    events["vacancy"] = events["position_id"] + "@" + events["year"].astype(str)
    events = events.drop_duplicates("vacancy", keep="first")
    columns = ["vacancy", "employee_id", "position_id", "family", "start_date", "year"]
    return events[columns].sort_values(["year", "vacancy"]).reset_index(drop=True)


def observed_success(
    records: Records, events: pd.DataFrame, known_before: pd.Timestamp | None = None
) -> pd.Series:
    """1.0 if the placed person's SKP for the first year mostly in the new post (the year of
    the move, or the next for a move from July on) is at least Baik, 0.0 if below, NaN if that
    SKP is not known (yet) — aligned with `events`."""
    as_of = known_before if known_before is not None else pd.Timestamp.max.normalize()
    rated = harmonised(records, as_of).set_index(["employee_id", "year"])["ordinal"]
    judged = events["year"] + (events["start_date"].dt.month >= LATE_MOVE_MONTH).astype(int)
    index = pd.MultiIndex.from_arrays([events["employee_id"], judged])
    rating = rated.reindex(index).to_numpy()
    success = np.where(np.isnan(rating), np.nan, (rating >= SUCCESS_MIN_RATING).astype(float))
    return pd.Series(success, index=events.index, name="success")


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
    _eligibility: dict[str, RuleResult] = field(default_factory=dict, repr=False)
    _people: People | None = field(default=None, repr=False)

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


def build_view(records: Records, as_of: pd.Timestamp, birth_dates: pd.Series) -> View:
    """Describe everyone active with a known position on `as_of`. Birth dates only feed the
    legal age limit of eligibility (`features.personal.load_birth_dates`), never a feature;
    they are required, since without them every JPT candidate would silently fail it."""
    people = active_at(records, as_of)[["employee_id"]].assign(as_of=as_of)
    frame = build_feature_frame(people, records)
    frame = frame[frame["family"].notna()].set_index("employee_id", drop=False)
    frame.index.name = None
    levels = LevelImputer().fit(frame).fill(frame)
    facts = eligibility_facts(records, as_of, birth_dates).reindex(frame.index)
    return View(as_of, frame, levels, facts, standard_matrix(records))


class Scorer(Protocol):
    """Anything that scores candidate pairs (higher = better placement)."""

    name: str

    def score(self, pairs: pd.DataFrame) -> np.ndarray: ...


@dataclass
class Examples:
    """Training rows from past rounds: the placed people with their outcome, and each round's
    eligible pool (sampled) with who was chosen."""

    placed: pd.DataFrame  # candidate features + vacancy, year, success
    pools: pd.DataFrame  # candidate features + vacancy, year, chosen


def training_examples(
    records: Records,
    split: TemporalSplit,
    birth_dates: pd.Series,
    pool_sample: int = POOL_SAMPLE,
    seed: int = 0,
) -> Examples:
    """Past rounds before the test cycle, with outcomes known before it started."""
    rng = np.random.default_rng(seed)
    events = placement_events(records, split.train_years, split.cutoff)
    events["success"] = observed_success(records, events, split.cutoff)
    placed, pools = [], []
    for year in sorted(events["year"].unique()):
        view = build_view(records, cycle_start(int(year)), birth_dates)
        for event in events[events["year"] == year].to_dict("records"):
            person, vacancy = event["employee_id"], event["vacancy"]
            if person not in view.frame.index:
                continue
            post = post_of(records, event["position_id"], view.standards)
            row = view.pairs(post, pd.Index([person]))
            placed.append(row.assign(vacancy=vacancy, year=year, success=event["success"]))
            eligible = view.frame.index[candidate_rows(view, post)]
            if person not in eligible:
                continue  # the imitation pool holds eligible people only, the chosen one too
            others = eligible[eligible != person]
            if len(others) > pool_sample:
                others = pd.Index(rng.choice(others, pool_sample, replace=False))
            people = others.append(pd.Index([person]))
            pool = view.pairs(post, people)
            pools.append(pool.assign(vacancy=vacancy, year=year, chosen=people == person))
    if not placed:
        raise ValueError(
            f"no placements into structural posts in {split.train_years}: nothing to learn from"
        )
    placed_rows = pd.concat(placed)
    return Examples(placed_rows[placed_rows["success"].notna()], pd.concat(pools))


def logistic_pipeline() -> Pipeline:
    """Median imputation with "was missing" flags, scaling, and an L2 logistic regression whose
    penalty is chosen by cross-validated AUC."""
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegressionCV(
            Cs=np.logspace(-3, 1, 9),
            l1_ratios=(0.0,),
            cv=CV_FOLDS,
            scoring="roc_auc",
            max_iter=2000,
            use_legacy_attributes=False,
        ),
    )


def boosting_classifier(seed: int = 0, **options: object) -> HistGradientBoostingClassifier:
    """Small, regularised boosting: a few hundred to a few thousand rows per model."""
    return HistGradientBoostingClassifier(
        max_depth=3,
        learning_rate=0.05,
        max_iter=150,
        min_samples_leaf=30,
        l2_regularization=1.0,
        random_state=seed,
        **options,  # type: ignore[arg-type]
    )


class FitOnly:
    """Baseline: the competency fit to the post's standard, nothing learned."""

    name = "fit_only"
    features: list[str] = ["fit_score"]

    def fit(self, examples: Examples) -> FitOnly:
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return pairs["fit_score"].to_numpy(dtype=float)


class Imitation:
    """Baseline: the probability of being chosen, learned from past rounds' pools."""

    name = "imitation"
    features = CANDIDATE_FEATURES + PROXIMITY_FEATURES

    def __init__(self, seed: int = 0) -> None:
        self.model = boosting_classifier(seed)

    def fit(self, examples: Examples) -> Imitation:
        pools = examples.pools
        self.model.fit(pools[self.features], pools["chosen"].astype(int))
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(pairs[self.features])[:, 1]


class SuccessModel:
    """The product: the probability that a placement succeeds, learned from past placements.

    A regularised logistic regression on a few features that say how the person stands against
    the post (fit, shortfall, surplus, field, size of the step) and how they perform (ratings,
    potential). Chosen on the validation round (the cycle before the test cycle) over gradient
    boosting and wider feature sets: a thousand placements with one failure in twelve is little
    data, and the linear model's coefficients are readable (docs/placements.md).
    """

    name = "learned"
    features = SUCCESS_FEATURES

    def __init__(self) -> None:
        self.model = logistic_pipeline()

    def fit(self, examples: Examples) -> SuccessModel:
        placed = examples.placed
        labels = placed["success"].astype(int)
        if labels.nunique() < 2 or labels.value_counts().min() < CV_FOLDS:
            raise ValueError(
                f"{len(placed)} past placements with {int((labels == 0).sum())} failures: "
                "too few of each outcome to learn success from"
            )
        self.model.fit(placed[self.features], labels)
        return self

    def score(self, pairs: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(pairs[self.features])[:, 1]

    def reasons(self, pairs: pd.DataFrame) -> list[str]:
        """Each candidate's largest contributions to the score, in words (JSON list per row)."""
        parts = placement_reasons.contributions(self.model, self.features, pairs)
        return placement_reasons.reasons(parts, pairs)

    def coefficients(self) -> pd.Series:
        """Standardised coefficients per feature (the "not assessed" indicator included)."""
        names = self.model[:-1].get_feature_names_out(self.features)
        return pd.Series(self.model[-1].coef_[0], index=names).sort_values()


#: Columns and MLflow types of a ranked candidate list (the pyfunc's output, the API's answer).
RANKING_TYPES = {
    "position_id": "string",
    "rank": "long",
    "employee_id": "string",
    "score": "double",
    "fit_score": "double",
    "eligible": "boolean",
    "failed_rules": "string",
    "eligible_from": "string",
    "talent_box": "double",
    "rating_last": "double",
    "reasons": "string",
}


def candidate_rows(
    view: View, post: Post, include_ineligible: bool = False, among: np.ndarray | None = None
) -> np.ndarray:
    """Positions in `view` of the people who may be proposed for `post`: eligible (unless
    `include_ineligible`), never the post's own holder, and only those `among` marks (a mask
    over the view, e.g. the agencies a planner may see). Serving, plans, training pools and the
    evaluation all draw candidates through here."""
    keep = view.frame["position_id"].to_numpy() != post.position_id
    if among is not None:
        keep &= among
    if not include_ineligible:
        keep &= view.eligibility(post.family).eligible.to_numpy(dtype=bool)
    return np.flatnonzero(keep)


def rank_candidates(
    view: View,
    post: Post,
    scorer: Scorer,
    k: int = 10,
    include_ineligible: bool = False,
    among: np.ndarray | None = None,
) -> pd.DataFrame:
    """The `k` best candidates for `post` among everyone in `view` (or those `among` marks):
    eligible ones only unless `include_ineligible`, the holder of the post left out. Failed
    rules are a JSON list of ids; reasons (a JSON list) come from scorers that can give them."""
    result = view.eligibility(post.family)
    rows = candidate_rows(view, post, include_ineligible, among)  # features for these only
    pairs = view.pairs_at(post, rows)
    scores = scorer.score(pairs) if len(rows) else np.array([])
    order = np.argsort(-scores, kind="stable")[:k]
    top, best = rows[order], scores[order]
    failed = result.failed.iloc[top]
    names = np.array(failed.columns, dtype=object)
    eligible_from = result.eligible_from.iloc[top]
    return pd.DataFrame(
        {
            "position_id": post.position_id,
            "rank": np.arange(1, len(top) + 1),
            "employee_id": view.frame.index[top].to_numpy(dtype=object),
            "score": best,
            "fit_score": pairs["fit_score"].to_numpy()[order],
            "eligible": result.eligible.to_numpy(dtype=bool)[top],
            "failed_rules": [json.dumps(list(names[row])) for row in failed.to_numpy(dtype=bool)],
            "eligible_from": [
                "" if pd.isna(date) else pd.Timestamp(date).date().isoformat()
                for date in eligible_from
            ],
            "talent_box": view.frame["talent_box"].to_numpy(dtype=float)[top],
            "rating_last": view.frame["rating_last"].to_numpy(dtype=float)[top],
            "reasons": _reasons(scorer, pairs.iloc[order]),
        }
    )


def _reasons(scorer: Scorer, pairs: pd.DataFrame) -> list[str]:
    explain = getattr(scorer, "reasons", None)
    return explain(pairs) if explain is not None and len(pairs) else ["[]"] * len(pairs)


@dataclass(frozen=True)
class VacancyMatrix:
    """Scores of every candidate for every vacancy, and who may be placed where."""

    scores: np.ndarray  # vacancies × candidates
    eligible: np.ndarray  # vacancies × candidates, bool
    vacancies: list[str]
    candidates: list[str]


def vacancy_matrix(view: View, posts: list[Post], scorer: Scorer) -> VacancyMatrix:
    """The input of a placement plan (`training.plans`): candidates are everyone eligible for at
    least one of the posts; a post's own holder is never a candidate for it."""
    eligible_rows = np.zeros(len(view.frame), dtype=bool)
    for family in {post.family for post in posts}:
        eligible_rows |= view.eligibility(family).eligible.to_numpy(dtype=bool)
    rows = np.flatnonzero(eligible_rows)
    scores = np.zeros((len(posts), len(rows)))
    allowed = np.zeros((len(posts), len(rows)), dtype=bool)
    for i, post in enumerate(posts):
        if len(rows):
            scores[i] = scorer.score(view.pairs_at(post, rows))
        allowed[i] = np.isin(rows, candidate_rows(view, post))
    return VacancyMatrix(
        scores,
        allowed,
        [post.position_id for post in posts],
        [str(x) for x in view.frame.index[rows]],
    )
