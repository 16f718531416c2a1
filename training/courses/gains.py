"""Expected gain of a course for a person: how far it would move them towards a standard.

For each competency a course targets, the person gets the course's nominal gain times the
share the course is estimated to deliver (`training.courses.effects`) if their (estimated)
level lies in the course's band; the gain counts only as far as it closes the gap to the
standard (a level above the standard helps nobody in that post). Summed over the course's
competencies and divided by the size of the standard, it is the expected reduction of the
person's mean shortfall, the same unit as the fit of `features` and the placement model. The
per-competency parts are kept: they are the explanation ("M.04 from 1.6 to 2.0 for Kepala Seksi …").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.asof.course_pairs import BAND_SLACK, Catalogue

#: Points of the quadrature over a level's uncertainty (9 is exact enough for a step function).
QUADRATURE_NODES = 9


@dataclass(frozen=True)
class EntryGains:
    """Per person (rows) and catalogue entry (columns): level before, after, and the standard."""

    before: np.ndarray
    after: np.ndarray
    required: np.ndarray

    @property
    def closed(self) -> np.ndarray:
        """How much of the gap to the standard each entry closes (levels)."""
        gap_before = np.clip(self.required - self.before, 0, None)
        gap_after = np.clip(self.required - self.after, 0, None)
        return (gap_before - gap_after) * (self.required > 0)


def entry_gains(
    levels: np.ndarray, required: np.ndarray, catalogue: Catalogue, share: np.ndarray
) -> EntryGains:
    """Levels before and after each course entry, for people with `levels` (people × comps)."""
    c = catalogue.entry_competency
    before = levels[:, c]
    in_band = (before >= catalogue.entry_min - BAND_SLACK) & (
        before <= catalogue.entry_max + BAND_SLACK
    )
    delivered = catalogue.entry_gain * share[catalogue.entry_course] * in_band
    return EntryGains(before, np.clip(before + delivered, 1.0, 5.0), required[:, c])


def expected_fit_gain(
    levels: np.ndarray,
    required: np.ndarray,
    catalogue: Catalogue,
    share: np.ndarray,
    uncertainty: np.ndarray | None = None,
) -> np.ndarray:
    """People × courses: expected fall in mean shortfall to `required` if they took the course.

    With `uncertainty` (standard error of each level, people × competencies) the gain is
    averaged over the plausible true levels (normal, Gauss–Hermite quadrature): a course whose
    band the person is only perhaps in counts for that probability, not all or nothing.
    """
    count = np.maximum((required > 0).sum(axis=1), 1)
    if uncertainty is None:
        closed = entry_gains(levels, required, catalogue, share).closed
    else:
        c = catalogue.entry_competency
        nodes, weights = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
        weights = weights / weights.sum()
        closed = np.zeros((len(levels), len(c)))
        for node, weight in zip(nodes, weights, strict=True):
            shifted = np.clip(levels + node * uncertainty, 1.0, 5.0)
            closed += weight * entry_gains(shifted, required, catalogue, share).closed
    return (closed @ catalogue.membership) / count[:, None]
