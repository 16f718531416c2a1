"""The hidden mechanisms of the synthetic world, as pure numpy functions.

The simulation uses these to move people's *true* state; the evaluation code (training/) uses
the same functions on the truth files to score what a recommender suggests. Models never see
these functions' inputs (true levels, ability, responsiveness) — only noisy observations.

All competency levels are on the PermenPANRB 38/2017 scale 1–5, as floats.
"""

from __future__ import annotations

import numpy as np

#: How fast a course's effect fades outside the learner's band (per level beyond the band).
BELOW_BAND_DECAY = 1.6  # too advanced for the learner: little sticks
ABOVE_BAND_DECAY = 2.5  # already knows it: almost nothing
BAND_SLACK = 0.5

#: Share of a course's effect an out-of-audience taker gets (`course_audiences.csv`): a
#: teachers' programme does little for an extension officer, whatever competency it names, so
#: the hidden truth does not reward suggesting courses no BKD would send the person to.
OUT_OF_AUDIENCE_SHARE = 0.2
#: How much less likely a person is to enrol in a course not meant for them (log-odds).
OUT_OF_AUDIENCE_PENALTY = 4.0

#: Yearly growth from experience in competencies the current position uses.
EXPERIENCE_RATE = 0.06

#: Weight of surplus (level above the standard) relative to shortfall in the true fit.
SURPLUS_WEIGHT = 0.15

#: Yearly performance: weights of true fit and ability (unit effect and noise add 1:1).
PERFORMANCE_FIT_WEIGHT = 1.1
PERFORMANCE_ABILITY_WEIGHT = 0.55

#: Placement success: logistic in true fit and ability.
SUCCESS_INTERCEPT = 0.9
SUCCESS_FIT_WEIGHT = 1.6
SUCCESS_ABILITY_WEIGHT = 0.5


def band_weight(level: np.ndarray, level_min: np.ndarray, level_max: np.ndarray) -> np.ndarray:
    """How much of a course's nominal effect reaches a learner at `level` (1 inside the band).

    A course works for learners whose current level lies in its band; a learner below the band
    takes less away, a learner above it almost nothing.
    """
    below = np.clip(level_min - BAND_SLACK - level, 0.0, None)
    above = np.clip(level - level_max - BAND_SLACK, 0.0, None)
    return np.exp(-BELOW_BAND_DECAY * below - ABOVE_BAND_DECAY * above)


def course_gain(
    level: np.ndarray,
    level_min: np.ndarray,
    level_max: np.ndarray,
    nominal_gain: np.ndarray,
    effectiveness: np.ndarray,
    responsiveness: np.ndarray,
) -> np.ndarray:
    """True gain in one competency from one course (broadcasts over people and courses).

    gain = nominal × course effectiveness × person responsiveness × band weight × room to grow;
    the room to grow shrinks near level 5 so nobody passes the top of the scale.
    """
    room = np.clip((5.0 - level) / 4.0, 0.0, 1.0) ** 0.5
    weight = band_weight(level, level_min, level_max)
    return nominal_gain * effectiveness * responsiveness * weight * room


def shortfall(levels: np.ndarray, required: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean shortfall below the standard over the competencies a position requires.

    `levels` (people × competencies), `required` and `mask` (people × competencies or
    competencies) — mask marks the competencies in the standard.
    """
    gap = np.clip(required - levels, 0.0, None) * mask
    return gap.sum(axis=-1) / np.maximum(mask.sum(axis=-1), 1)


def true_fit(levels: np.ndarray, required: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """True fit of people to a standard: minus mean shortfall plus a little surplus credit."""
    surplus = np.clip(levels - required, 0.0, 1.0) * mask
    mean_surplus = surplus.sum(axis=-1) / np.maximum(mask.sum(axis=-1), 1)
    return -shortfall(levels, required, mask) + SURPLUS_WEIGHT * mean_surplus


def placement_success_probability(fit: np.ndarray, ability: np.ndarray) -> np.ndarray:
    """Probability that a placement succeeds (good performance in the new post afterwards)."""
    logit = SUCCESS_INTERCEPT + SUCCESS_FIT_WEIGHT * fit + SUCCESS_ABILITY_WEIGHT * ability
    return 1.0 / (1.0 + np.exp(-logit))


def performance_signal(
    fit: np.ndarray, ability: np.ndarray, unit_effect: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Latent yearly performance: fit to the current post, ability, the unit, and luck."""
    return PERFORMANCE_FIT_WEIGHT * fit + PERFORMANCE_ABILITY_WEIGHT * ability + unit_effect + noise
