"""Estimated current competency levels, learned from assessments.

A measured level is a snapshot: noisy (an assessment is not exact), possibly years old, and
missing for everyone never assessed on that competency. The level estimator learns, from every
assessment known before the training cutoff, what a competency measured at a date looks like
given what was known on 1 January of that year: the previous measurement and its age, the
post's standard, time in the post, grade, education, performance, and the courses taken since
the previous measurement (their banded nominal gains, weighted by each course's estimated
delivered share). It then estimates everyone's levels today, assessed or not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from features.asof.course_pairs import BAND_SLACK, Catalogue
from features.asof.frame import block, build_feature_frame
from features.asof.positions import DAYS_PER_YEAR, competency_codes, general_mask
from features.asof.records import Records, known
from features.asof.transformers import LevelImputer
from training.courses.effects import CourseEffects

LEVEL_FEATURES = [
    "measured",
    "years_since_assessment",
    "family_mean",
    "required",
    "next_required",
    "in_standard",
    "general",
    "field_match",
    "course_gain_since",
    "grade_rank",
    "years_in_position",
    "education_rank",
    "rating_mean_2y",
    "rating_vs_unit_2y",
    "potential_score",
    "courses_taken",
]

#: People estimated together (their rows are people × competencies).
CHUNK_PEOPLE = 5000

#: Share of the assessment rows held out to measure the estimates' error.
HOLDOUT_SHARE = 0.2

#: Standard error assumed when too few people are held out to measure it (levels).
DEFAULT_SIGMA = 0.5

#: Without an earlier measurement, courses of this many past years count as "since".
UNMEASURED_LOOKBACK_YEARS = 5


class LevelEstimator:
    """Gradient-boosted regression of a measured level on what was known before it."""

    def __init__(self, max_iter: int = 200, random_state: int = 0) -> None:
        self.random_state = random_state
        self.model = HistGradientBoostingRegressor(
            max_iter=max_iter, learning_rate=0.08, random_state=random_state
        )
        self.imputer = LevelImputer()

    def fit(
        self,
        records: Records,
        catalogue: Catalogue,
        effects: CourseEffects,
        cutoff: pd.Timestamp,
    ) -> LevelEstimator:
        """Train on the assessments finished before `cutoff` (one frame per assessment year).

        A fifth of the people are held out: their errors say how uncertain an estimate is, with
        and without an earlier measurement (the recommender averages gains over it).
        """
        frames, targets = self._examples(records, cutoff)
        self.imputer.fit(pd.concat(frames, ignore_index=True))
        rows = np.vstack([self.rows(f, records, catalogue, effects) for f in frames])
        target = np.concatenate(targets)
        people = np.concatenate(
            [np.repeat(f["employee_id"].to_numpy(), len(competency_codes())) for f in frames]
        )
        keep = ~np.isnan(target)
        rows, target, people = rows[keep], target[keep], people[keep]
        # people as integer codes: sorting millions of id strings (np.isin) took half a minute
        codes, unique = pd.factorize(people, sort=True)
        rng = np.random.default_rng(self.random_state)
        held_out = (rng.random(len(unique)) < HOLDOUT_SHARE)[codes]
        if held_out.all() or not held_out.any():
            held_out = np.zeros(len(target), dtype=bool)
        self.model.fit(rows[~held_out], target[~held_out])
        error = self.model.predict(rows[held_out]) - target[held_out]
        was_measured = ~np.isnan(rows[held_out, LEVEL_FEATURES.index("measured")])
        overall = _rmse(error, DEFAULT_SIGMA)
        self.sigma_measured_ = _rmse(error[was_measured], overall)
        self.sigma_unmeasured_ = _rmse(error[~was_measured], overall)
        return self

    @staticmethod
    def _examples(
        records: Records, cutoff: pd.Timestamp
    ) -> tuple[list[pd.DataFrame], list[np.ndarray]]:
        """Per assessment year: the frame on 1 January and the levels measured that year."""
        assessments = known(records["assessments"], cutoff)
        assessments = assessments[assessments["assessed_on"] < cutoff]
        frames, targets = [], []
        for year in sorted(assessments["assessed_on"].dt.year.unique()):
            done = assessments[assessments["assessed_on"].dt.year == year]
            levels = records["assessment_levels"].merge(
                done[["assessment_id", "employee_id", "assessed_on"]], on="assessment_id"
            )
            latest = levels.sort_values(["assessed_on", "assessment_id"], kind="stable")
            latest = latest.drop_duplicates(["employee_id", "competency_code"], keep="last")
            wide = latest.pivot(index="employee_id", columns="competency_code", values="level")
            wide = wide.reindex(columns=list(competency_codes())).astype(float)
            as_of = pd.Timestamp(year=int(year), month=1, day=1)
            spine = pd.DataFrame({"employee_id": wide.index, "as_of": as_of})
            frame = build_feature_frame(spine, records)
            frames.append(frame[frame["family"].notna()].reset_index(drop=True))
            targets.append(wide.reindex(frames[-1]["employee_id"]).to_numpy().ravel())
        return frames, targets

    def uncertainty(self, frame: pd.DataFrame) -> np.ndarray:
        """Standard error of each estimate (people × competencies), from the held-out rows."""
        measured = ~np.isnan(block(frame, "level"))
        return np.where(measured, self.sigma_measured_, self.sigma_unmeasured_)

    def rows(
        self,
        frame: pd.DataFrame,
        records: Records,
        catalogue: Catalogue,
        effects: CourseEffects,
    ) -> np.ndarray:
        """One row per (person in `frame`, competency), person-major, columns LEVEL_FEATURES."""
        n, c = len(frame), len(competency_codes())
        measured = block(frame, "level")
        filled = self.imputer.fill(frame)
        required = block(frame, "required")
        following = block(frame, "next_required")
        gains = _course_gain_since(frame, records, catalogue, effects, filled)
        field = frame["field"].fillna("-").to_numpy()
        comp_field = _competency_fields()
        out = {
            "measured": measured.ravel(),
            "family_mean": np.where(np.isnan(measured), filled, np.nan).ravel(),
            "required": required.ravel(),
            "next_required": following.ravel(),
            "in_standard": (required > 0).astype(float).ravel(),
            "general": np.tile(general_mask().astype(float), n),
            "field_match": (comp_field[None, :] == field[:, None]).astype(float).ravel(),
            "course_gain_since": gains.ravel(),
        }
        for name in LEVEL_FEATURES:  # the rest are the person's own, one value per competency row
            if name not in out:
                out[name] = np.repeat(frame[name].to_numpy(dtype=float), c)
        return np.column_stack([out[name] for name in LEVEL_FEATURES])

    def estimate(
        self, frame: pd.DataFrame, records: Records, catalogue: Catalogue, effects: CourseEffects
    ) -> np.ndarray:
        """Estimated levels (people × competencies), clipped to the 1–5 scale; `CHUNK_PEOPLE`
        people at a time, so the rows (people × competencies) stay bounded in memory."""
        parts = [np.empty((0, len(competency_codes())))]
        for start in range(0, len(frame), CHUNK_PEOPLE):
            chunk = frame.iloc[start : start + CHUNK_PEOPLE]
            rows = self.rows(chunk, records, catalogue, effects)
            parts.append(self.model.predict(rows).reshape(len(chunk), len(competency_codes())))
        return np.clip(np.concatenate(parts), 1.0, 5.0)


def _competency_fields() -> np.ndarray:
    from features import reference

    return reference.load("competencies")["field"].fillna("").to_numpy()


def _course_gain_since(
    frame: pd.DataFrame,
    records: Records,
    catalogue: Catalogue,
    effects: CourseEffects,
    levels: np.ndarray,
) -> np.ndarray:
    """Per person and competency: delivered nominal gain of courses taken since the last
    measurement (or the last few years), for learners who were in the course's band."""
    out = np.zeros_like(levels)
    share = effects.for_catalogue(catalogue)
    course_index = pd.Series(np.arange(len(catalogue.ids)), index=catalogue.ids)
    person = pd.Series(np.arange(len(frame)), index=frame["employee_id"].to_numpy())
    person = person[~person.index.duplicated()]
    age = frame["years_since_assessment"].fillna(UNMEASURED_LOOKBACK_YEARS).to_numpy()
    since = pd.to_datetime(frame["as_of"]).to_numpy() - (age * DAYS_PER_YEAR).astype(
        "timedelta64[D]"
    )
    trainings = records["training_records"]
    trainings = trainings[trainings["employee_id"].isin(person.index)].dropna(subset=["course_id"])
    p = person.reindex(trainings["employee_id"]).to_numpy()
    as_of = pd.to_datetime(frame["as_of"]).to_numpy()[p]
    keep = (trainings["recorded_at"].to_numpy() < as_of) & (
        trainings["start_date"].to_numpy() >= since[p]
    )
    p = p[keep]
    take, entry = catalogue.entries_of(course_index[trainings["course_id"][keep]].to_numpy())
    c = catalogue.entry_competency[entry]
    lv = levels[p[take], c]
    band = (lv >= catalogue.entry_min[entry] - BAND_SLACK) & (
        lv <= catalogue.entry_max[entry] + BAND_SLACK
    )
    value = catalogue.entry_gain[entry] * share[catalogue.entry_course[entry]] * band
    np.add.at(out, (p[take], c), value)
    return out


def _rmse(error: np.ndarray, fallback: float) -> float:
    return float(np.sqrt(np.mean(error**2))) if len(error) else fallback
