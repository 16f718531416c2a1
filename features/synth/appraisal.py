"""Performance, ratings, assessments and discipline.

Yearly performance is driven by true fit to the current post, ability, the unit's own quality
and luck (`mechanisms.performance_signal`). Before 2022 it is reported as a 0–100 SKP score
(PP 46/2011); from 2022 the unit gets its own predikat and a forced distribution caps how many
of its staff can be rated Sangat Baik or Baik (PermenPANRB 6/2022), so a person's predikat
partly reflects the unit. Assessments observe true levels with noise, for some people only.
"""

from __future__ import annotations

import numpy as np

from features import reference
from features.synth import mechanisms
from features.synth.world import World

UNIT_NOISE, PERSON_NOISE, BOOST_DECAY = 0.15, 0.6, 0.5
SCORE_CENTRE, SCORE_SCALE = 82.0, 4.0
#: Unit predikat by the unit's rank on mean performance (best first): cumulative shares.
UNIT_RATING_SHARES = (
    ("istimewa", 0.15),
    ("baik", 0.75),
    ("butuh_perbaikan", 0.93),
    ("kurang", 0.98),
    ("sangat_kurang", 1.0),
)
#: Forced distribution inside a unit (cumulative shares, best first), within the caps of
#: features/reference/forced_distribution.csv.
WITHIN_UNIT = {
    "istimewa": (("sangat_baik", 0.20), ("baik", 0.90), ("butuh_perbaikan", 1.0)),
    "baik": (("sangat_baik", 0.10), ("baik", 0.80), ("butuh_perbaikan", 0.98), ("kurang", 1.0)),
    "butuh_perbaikan": (
        ("sangat_baik", 0.05),
        ("baik", 0.55),
        ("butuh_perbaikan", 0.95),
        ("kurang", 1.0),
    ),
    "kurang": (("baik", 0.40), ("butuh_perbaikan", 0.90), ("kurang", 1.0)),
    "sangat_kurang": (
        ("baik", 0.30),
        ("butuh_perbaikan", 0.85),
        ("kurang", 0.95),
        ("sangat_kurang", 1.0),
    ),
}
#: (hasil kerja, perilaku kerja) pairs that yield each predikat, with their frequencies.
PARTS = {
    "sangat_baik": ((("di_atas", "di_atas"), 1.0),),
    "baik": (
        (("sesuai", "sesuai"), 0.7),
        (("di_atas", "sesuai"), 0.15),
        (("sesuai", "di_atas"), 0.15),
    ),
    "butuh_perbaikan": ((("di_bawah", "sesuai"), 0.8), (("di_bawah", "di_atas"), 0.2)),
    "kurang": ((("sesuai", "di_bawah"), 0.6), (("di_atas", "di_bawah"), 0.4)),
    "sangat_kurang": ((("di_bawah", "di_bawah"), 1.0),),
}
CAMPAIGNS = {2017: "uji_kompetensi", 2020: "uji_kompetensi", 2023: "cat"}
#: After the table (a next cycle) campaigns continue every three years. Heuristic: no plan found.
LATER_CAMPAIGN_EVERY, LATER_CAMPAIGN_METHOD = 3, "uji_kompetensi"
CAMPAIGN_SHARE, CAMPAIGN_SHARE_STRUCTURAL = 0.25, 0.6
ASSESSMENT_NOISE = 0.45
DISCIPLINE_RATE = 0.008
SEVERITY = (("ringan", 0.65), ("sedang", 0.25), ("berat", 0.10))
DISMISSAL_SHARE = 0.2


def evaluate(world: World) -> None:
    """This year's performance of everyone active, and their SKP record."""
    people, rng = world.people, world.rng
    idx = world.active()
    required = world.required()[people["position"][idx]]
    fit = mechanisms.true_fit(people.true_levels[idx], required, required > 0)
    units = people["unit"][idx]
    unit_effect = world.unit_quality + rng.normal(0.0, UNIT_NOISE, len(world.unit_quality))
    perf = mechanisms.performance_signal(
        fit, people["ability"][idx], unit_effect[units], rng.normal(0.0, PERSON_NOISE, len(idx))
    )
    perf += people["boost"][idx]
    people.columns["boost"][idx] *= BOOST_DECAY
    people.columns["perf_prev"][idx] = people["perf"][idx]
    people.columns["perf"][idx] = perf
    world.logs.add("performance", person=idx, year=world.year, perf=perf, fit=fit, unit=units)
    if world.year < int(reference.constant("skp_predikat_scheme_first_year")):
        score = np.clip(SCORE_CENTRE + SCORE_SCALE * perf + rng.normal(0, 1.5, len(idx)), 45, 99.5)
        world.logs.add(
            "evaluations",
            person=idx,
            year=world.year,
            unit=units,
            scheme="numeric_2011",
            score=np.round(score, 2),
            work_result=None,
            work_behaviour=None,
            rating=_score_rating(score),
        )
        return
    unit_rating = _unit_ratings(world, units, perf)
    rating = _forced_distribution(units, perf, unit_rating)
    result, behaviour = _parts(rng, rating)
    world.logs.add(
        "evaluations",
        person=idx,
        year=world.year,
        unit=units,
        scheme="predikat_2022",
        score=np.nan,
        work_result=result,
        work_behaviour=behaviour,
        rating=rating,
    )


def _score_rating(score: np.ndarray) -> np.ndarray:
    bands = reference.load("ratings").query("scheme == 'numeric_2011'")
    edges = bands["score_min"].astype(float).to_numpy()
    order = np.argsort(edges)
    position = np.searchsorted(edges[order], score, side="right") - 1
    return bands["rating"].to_numpy()[order][np.clip(position, 0, len(order) - 1)]


def _unit_ratings(world: World, units: np.ndarray, perf: np.ndarray) -> dict[int, str]:
    present = np.unique(units)
    means = (np.bincount(units, weights=perf) / np.maximum(np.bincount(units), 1))[present]
    rank = (np.argsort(np.argsort(-means)) + 0.5) / len(present)
    ratings = {}
    for unit, q in zip(present, rank, strict=True):
        ratings[int(unit)] = next(name for name, cut in UNIT_RATING_SHARES if q <= cut)
    world.logs.add(
        "unit_ratings",
        unit=np.array(list(ratings)),
        year=world.year,
        rating=np.array(list(ratings.values()), dtype=object),
    )
    return ratings


def _forced_distribution(
    units: np.ndarray, perf: np.ndarray, unit_rating: dict[int, str]
) -> np.ndarray:
    rating = np.empty(len(units), dtype=object)
    order = np.lexsort((-perf, units))
    sorted_units = units[order]
    starts = np.flatnonzero(np.r_[True, sorted_units[1:] != sorted_units[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):
        members = order[start:end]
        q = (np.arange(len(members)) + 0.5) / len(members)
        shares = WITHIN_UNIT[unit_rating[int(sorted_units[start])]]
        cuts = np.array([cut for _, cut in shares])
        names = np.array([name for name, _ in shares], dtype=object)
        rating[members] = names[np.minimum(np.searchsorted(cuts, q), len(cuts) - 1)]
    return rating


def _parts(rng: np.random.Generator, rating: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    result = np.empty(len(rating), dtype=object)
    behaviour = np.empty(len(rating), dtype=object)
    for name, options in PARTS.items():
        chosen = np.flatnonzero(rating == name)
        pick = rng.choice(len(options), size=len(chosen), p=[p for _, p in options])
        for i, ((r, b), _) in enumerate(options):
            result[chosen[pick == i]] = r
            behaviour[chosen[pick == i]] = b
    return result, behaviour


def campaign_method(year: int) -> str | None:
    """The method of `year`'s assessment campaign, or None when there is none."""
    last = max(CAMPAIGNS)
    if year > last:
        return LATER_CAMPAIGN_METHOD if (year - last) % LATER_CAMPAIGN_EVERY == 0 else None
    return CAMPAIGNS.get(year)


def assess(world: World) -> None:
    """BKD competency-test campaigns: a share of PNS is assessed in campaign years."""
    method = campaign_method(world.year)
    if method is None:
        return
    people, rng = world.people, world.rng
    idx = world.active()
    idx = idx[people["employment"][idx] == "PNS"]
    rows = world.org.positions.rows
    structural = np.array([rows[p].structural for p in people["position"][idx]], dtype=bool)
    share = np.where(structural, CAMPAIGN_SHARE_STRUCTURAL, CAMPAIGN_SHARE)
    chosen = idx[rng.random(len(idx)) < share]
    assess_people(world, chosen, world.dates_after_hire(chosen, 3, 11), method)


def assess_people(
    world: World, idx: np.ndarray, dates: np.ndarray | np.datetime64, method: str
) -> None:
    """Observe levels (general competencies and the post's technical ones) and potential."""
    if not len(idx):
        return
    people, rng = world.people, world.rng
    dates = np.broadcast_to(np.asarray(dates, dtype="datetime64[D]"), idx.shape)
    required = world.required()[people["position"][idx]]
    general = np.zeros(required.shape[1], bool)
    general[[world.catalogues.code_index[c] for c in world.catalogues.general_codes]] = True
    observed = (required > 0) | general[None, :]
    noisy = np.clip(
        np.rint(people.true_levels[idx] + rng.normal(0, ASSESSMENT_NOISE, required.shape)), 1, 5
    )
    ability = people["ability"][idx]
    potential = np.clip(55 + 12 * ability + rng.normal(0, 7, len(idx)), 0, 100).round(1)
    first = world.assessment_count
    world.assessment_count += len(idx)
    numbers = np.arange(first, first + len(idx))
    world.logs.add(
        "assessments", number=numbers, person=idx, date=dates, method=method, potential=potential
    )
    rows, cols = np.nonzero(observed)
    world.logs.add(
        "assessment_levels",
        number=numbers[rows],
        competency=cols,
        level=noisy[rows, cols].astype(int),
    )


def discipline(world: World) -> None:
    """Disciplinary penalties, more likely for people of low integrity; some are dismissed."""
    from features.synth.simulation import leave

    people, rng = world.people, world.rng
    idx = world.active()
    p = DISCIPLINE_RATE * np.exp(-people["integrity"][idx])
    hit = idx[rng.random(len(idx)) < p]
    if not len(hit):
        return
    severity = rng.choice([s for s, _ in SEVERITY], size=len(hit), p=[p for _, p in SEVERITY])
    decided = world.dates_after_hire(hit, 1, 11)
    start = decided + rng.integers(0, 30, len(hit)).astype("timedelta64[D]")
    months = np.select([severity == "ringan", severity == "sedang"], [0, 6], default=12)
    end = (start.astype("datetime64[M]") + months.astype("timedelta64[M]")).astype("datetime64[D]")
    world.logs.add(
        "discipline",
        person=hit,
        severity=severity,
        decided=decided,
        start=start,
        end=np.where(severity == "ringan", start, end),
    )
    people.columns["boost"][hit[severity != "ringan"]] -= 0.4
    fired = hit[(severity == "berat") & (rng.random(len(hit)) < DISMISSAL_SHARE)]
    if len(fired):
        # Dismissed within the year (PP 94/2021), never before their last move.
        dates = np.minimum(start[np.isin(hit, fired)] + 30, world.date(12, 31))
        dates = np.maximum(dates, world.people["position_since"][fired] + 1)
        leave(world, fired, dates, "berhenti")
