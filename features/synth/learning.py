"""Training and competency growth.

Historical course choices are only partly driven by real gaps: mandates (Latsar for new CPNS,
PKP/PKA/PKN after appointment, PPPK orientation), habit and popularity (e-learning is cheap and
popular), the person's field, and a perceived gap that is the true gap seen through noise.
A course raises the competencies it targets only for learners inside its level band, by a
person-specific amount (`mechanisms.course_gain`); some popular courses do little. People
rarely enrol in a course not meant for their post (its audience, `course_audiences.csv`), and
when they do it does little for them (`mechanisms.OUT_OF_AUDIENCE_SHARE` of its effect).
"""

from __future__ import annotations

import numpy as np

from features import reference
from features.synth import mechanisms
from features.synth.world import CourseBook, World

MEAN_COURSES_PER_YEAR = 1.5
MAX_COURSES_PER_YEAR = 6
FIELD_MATCH_BONUS, CROSS_FIELD_BONUS = 1.4, 0.7
GAP_WEIGHT = 2.0
PERCEPTION_NOISE = 0.8
MANDATE_UPTAKE = {"pengawas": 0.6, "administrator": 0.6, "jpt_pratama": 0.6, "jpt_madya": 0.6}
LATSAR_UPTAKE, PPPK_ORIENTATION_UPTAKE = 0.95, 0.8
CEILING_BASE, CEILING_ABILITY = 3.6, 0.6


def build_course_book(rng: np.random.Generator) -> CourseBook:
    """The catalogue as arrays, with each course's hidden effectiveness and popularity."""
    courses = reference.load("courses")
    index = {c: i for i, c in enumerate(courses["course_id"])}
    competencies = {c: i for i, c in enumerate(reference.load("competencies")["code"])}
    entries = reference.load("course_competencies")
    prerequisites: list[list[int]] = [[] for _ in range(len(courses))]
    for row in reference.load("course_prerequisites").itertuples():
        prerequisites[index[row.course_id]].append(index[row.prerequisite_id])
    delivery = courses["delivery"].to_numpy()
    effectiveness = rng.lognormal(0.0, 0.45, len(courses)) * np.where(
        delivery == "e_learning", 0.6, 1.0
    )
    popularity = rng.lognormal(0.0, 1.0, len(courses)) * np.where(
        delivery == "e_learning", 3.0, 1.0
    )
    audiences: list[dict[str, set[str]]] = [{} for _ in range(len(courses))]
    for row in reference.load("course_audiences").itertuples():
        audiences[index[row.course_id]].setdefault(str(row.kind), set()).add(str(row.value))
    return CourseBook(
        courses=courses,
        entry_course=entries["course_id"].map(index).to_numpy(),
        entry_competency=entries["competency_code"].map(competencies).to_numpy(),
        entry_min=entries["level_min"].astype(float).to_numpy(),
        entry_max=entries["level_max"].astype(float).to_numpy(),
        entry_gain=entries["nominal_gain"].astype(float).to_numpy(),
        effectiveness=effectiveness,
        prerequisites=[np.array(p, dtype=int) for p in prerequisites],
        popularity=popularity,
        mandate=courses["mandatory_for"].fillna("").to_numpy(),
        audiences=tuple({k: frozenset(v) for k, v in a.items()} for a in audiences),
    )


def train(world: World) -> None:
    """Each active person's courses this year: mandated ones, then freely chosen ones."""
    people, rng = world.people, world.rng
    idx = world.active()
    taken = _taken_matrix(world)
    persons, courses = _mandated(world, idx, taken)
    counts = np.minimum(
        rng.poisson(MEAN_COURSES_PER_YEAR * people["habit"][idx]), MAX_COURSES_PER_YEAR
    )
    logits = _choice_logits(world, idx, taken)
    gumbel = logits + rng.gumbel(size=logits.shape)
    top = np.argpartition(-gumbel, MAX_COURSES_PER_YEAR, axis=1)[:, :MAX_COURSES_PER_YEAR]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(gumbel, top, 1), axis=1), 1)
    chosen = np.arange(MAX_COURSES_PER_YEAR)[None, :] < counts[:, None]
    chosen &= np.isfinite(np.take_along_axis(logits, top, 1))
    rows, cols = np.nonzero(chosen)
    persons.extend(idx[rows])
    courses.extend(top[rows, cols])
    _apply(world, np.array(persons, dtype=int), np.array(courses, dtype=int))


def _taken_matrix(world: World) -> np.ndarray:
    taken = world.taken
    if len(taken) < world.people.size:
        grown = np.zeros((world.people.size, world.courses.size), bool)
        if taken.size:
            grown[: len(taken)] = taken
        world.taken = taken = grown
    return taken


def _mandated(world: World, idx: np.ndarray, taken: np.ndarray) -> tuple[list[int], list[int]]:
    people, book, rng = world.people, world.courses, world.rng
    families = world.family_of(idx)
    persons: list[int] = []
    courses: list[int] = []
    for family, uptake in MANDATE_UPTAKE.items():
        course = np.flatnonzero(book.mandate == family)
        if not len(course):
            continue
        owed = idx[(families == family) & ~taken[idx, course[0]] & (rng.random(len(idx)) < uptake)]
        persons.extend(owed)
        courses.extend([int(course[0])] * len(owed))
    hired = people["hire"][idx].astype("datetime64[Y]").astype(int) + 1970 == world.year
    pns = people["employment"][idx] == "PNS"
    latsar = np.flatnonzero(book.mandate == "cpns")
    if len(latsar):
        gol2 = np.isin(people["education"][idx], ["SD", "SMP", "SMA", "D3"])
        new = hired & pns & (rng.random(len(idx)) < LATSAR_UPTAKE)
        persons.extend(idx[new])
        courses.extend(np.where(gol2[new], latsar[-1], latsar[0]))
    orientation = np.flatnonzero(book.mandate == "pppk")
    if len(orientation):
        new = hired & ~pns & (rng.random(len(idx)) < PPPK_ORIENTATION_UPTAKE)
        persons.extend(idx[new])
        courses.extend([int(orientation[0])] * int(new.sum()))
    return list(persons), [int(c) for c in courses]


def _posts(world: World, persons: np.ndarray) -> dict[str, np.ndarray]:
    """The occupation, family and field of each person's post (what an audience is for)."""
    rows = world.org.positions.rows
    posts = [rows[p] for p in world.people["position"][persons]]
    return {
        "occupation": np.array([p.occupation or "" for p in posts], dtype=object),
        "family": np.array([p.family for p in posts], dtype=object),
        "field": np.array([p.field or "" for p in posts], dtype=object),
    }


def _choice_logits(world: World, idx: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Log-odds of each free choice: popularity, field, a noisy view of one's gaps, and far
    less for a course not meant for one's post (its audience)."""
    people, book, rng = world.people, world.courses, world.rng
    posts = _posts(world, idx)
    person_field = posts["field"]
    course_field = book.courses["field"].fillna("").to_numpy()
    logits = np.log(book.popularity)[None, :].repeat(len(idx), axis=0)
    logits -= mechanisms.OUT_OF_AUDIENCE_PENALTY * ~book.in_audience(posts)
    logits += FIELD_MATCH_BONUS * (course_field[None, :] == person_field[:, None])
    logits += CROSS_FIELD_BONUS * (course_field == "")[None, :]
    levels = people.true_levels[idx]
    perceived = levels + rng.normal(0.0, PERCEPTION_NOISE, levels.shape)
    required = world.required()[people["position"][idx]]
    gap = np.clip(required - perceived, 0.0, None)
    benefit = np.zeros_like(logits)
    for k, c, lo, hi, g in zip(
        book.entry_course,
        book.entry_competency,
        book.entry_min,
        book.entry_max,
        book.entry_gain,
        strict=True,
    ):
        benefit[:, k] += g * mechanisms.band_weight(perceived[:, c], lo, hi) * gap[:, c]
    logits += GAP_WEIGHT * benefit
    taken_here = taken[idx]
    blocked = taken_here | (book.mandate != "")[None, :]
    for k, prereq in enumerate(book.prerequisites):
        if len(prereq):
            blocked[:, k] |= ~taken_here[:, prereq].all(axis=1)
    logits[blocked] = -np.inf
    return logits


def _apply(world: World, persons: np.ndarray, courses: np.ndarray) -> None:
    """Raise true levels by each take's true gain; log each take with its own effect.

    Every take's gain is computed from the levels at the start of the year, so a take's
    effect does not depend on the order of the person's other courses; `true_fit_gain` is the
    change in fit to the current post that this take alone would bring.
    """
    if not len(persons):
        return
    people, book = world.people, world.courses
    before = people.levels[persons]
    delta = np.zeros_like(before)
    audience = book.in_audience(_posts(world, persons))[np.arange(len(persons)), courses]
    share = np.where(audience, 1.0, mechanisms.OUT_OF_AUDIENCE_SHARE)
    for j in np.flatnonzero(np.isin(book.entry_course, np.unique(courses))):
        hit = np.flatnonzero(courses == book.entry_course[j])
        c = book.entry_competency[j]
        delta[hit, c] += share[hit] * mechanisms.course_gain(
            before[hit, c],
            book.entry_min[j],
            book.entry_max[j],
            book.entry_gain[j],
            book.effectiveness[book.entry_course[j]],
            people["responsiveness"][persons[hit]],
        )
    required = world.required()[people["position"][persons]]
    mask = required > 0
    fit_gain = mechanisms.true_fit(np.clip(before + delta, 1.0, 5.0), required, mask)
    fit_gain -= mechanisms.true_fit(before, required, mask)
    np.add.at(people.levels, persons, delta)
    np.clip(people.levels[: people.size], 1.0, 5.0, out=people.levels[: people.size])
    world.taken[persons, courses] = True
    jp = book.courses["jp"].astype(int).to_numpy()[courses]
    start = world.dates_after_hire(persons, 1, 11)
    end = start + np.maximum(1, jp // 7).astype("timedelta64[D]")
    world.logs.add(
        "takes",
        person=persons,
        course=courses,
        start=start,
        end=end,
        true_gain=delta.sum(axis=1),
        true_fit_gain=fit_gain,
    )


def grow_with_experience(world: World) -> None:
    """A year in a post raises the competencies its standard uses, towards a personal ceiling."""
    people = world.people
    idx = world.active()
    required = world.required()[people["position"][idx]]
    ceiling = np.clip(CEILING_BASE + CEILING_ABILITY * people["ability"][idx], 2.5, 5.0)
    levels = people.levels[idx]
    room = np.clip(ceiling[:, None] - levels, 0.0, None)
    growth = mechanisms.EXPERIENCE_RATE * people["learning"][idx][:, None] * (required > 0) * room
    people.levels[idx] = np.clip(levels + growth, 1.0, 5.0)


def snapshot(world: World) -> None:
    """True levels of everyone active at the end of the year (for the truth folder)."""
    idx = world.active()
    levels = np.round(world.people.levels[idx] * 100).astype(np.uint16)
    world.snapshots.append((world.year, idx, levels, world.people["position"][idx].copy()))
