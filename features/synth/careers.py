"""Career moves: placements into vacant posts, functional step-ups, transfers, grade promotions.

Historical placements are deliberately imperfect (see docs/data-generator.md): the choice
weighs true fit and recent performance (merit), but also being in the same agency
(proximity), sharing the head of agency's network (favouritism), and a mild preference for men
and older candidates (the bias a fairness audit should find). Whether a placement succeeds
depends only on the true fit and ability (`mechanisms.placement_success_probability`).
"""

from __future__ import annotations

import numpy as np

from features import reference
from features.synth import appraisal, mechanisms
from features.synth.organisation import LADDERS
from features.synth.people import grade_caps
from features.synth.world import World

#: Who may be placed into each structural family (PP 11/2017 jo PP 17/2020, DOMAIN.md): the
#: feeder families, then the regulation_constants.csv keys of the minimum years in the feeder
#: post, minimum grade, minimum education and maximum age (None: only the retirement age).
FEEDERS = {
    "jpt_madya": (
        ("jpt_pratama", "jf_ahli_utama"),
        (
            "jpt_madya_min_years_previous_level",
            "jpt_madya_min_grade",
            "jpt_min_education",
            "jpt_madya_max_age",
        ),
    ),
    "jpt_pratama": (
        ("administrator", "jf_ahli_madya"),
        (
            "jpt_pratama_min_years_previous_level",
            "jpt_pratama_min_grade",
            "jpt_min_education",
            "jpt_pratama_max_age",
        ),
    ),
    "administrator": (
        ("pengawas", "jf_ahli_muda", "jf_penyelia"),
        (
            "administrator_min_years_previous_level",
            "administrator_min_grade",
            "administrator_min_education",
            None,
        ),
    ),
    "pengawas": (
        ("pelaksana", "jf_ahli_pertama", "jf_ahli_muda", "jf_mahir", "jf_penyelia"),
        ("pengawas_min_years_previous_level", "pengawas_min_grade", "pengawas_min_education", None),
    ),
}
FAMILY_ORDER = ("jpt_madya", "jpt_pratama", "administrator", "pengawas")
POOL_OUTSIDE_AGENCY = 40
SHORT_LIST = 5
MERIT_FIT, MERIT_PERFORMANCE = 1.0, 0.35
PROXIMITY, FAVOURITISM = 0.6, 0.7
MALE_BONUS, AGE_BONUS_PER_YEAR = 0.3, 0.015
CHOICE_NOISE = 0.45
SUCCESS_BOOST, FAILURE_PENALTY = 0.35, -0.45
TRANSFER_RATE, ROTATION_RATE, STEP_UP_RATE = 0.025, 0.05, 0.6
#: From II/d to III/a a PNS without a degree needs the ujian dinas (heuristic pass rates).
BELOW_DEGREE = ("SMA", "D3")
LAST_OF_GROUP_II = 8
UJIAN_DINAS_WAIT_SHARE, UJIAN_DINAS_PASS_RATE = 0.5, 0.3


def fill_vacancies(world: World) -> None:
    """Fill each vacant structural post (highest families first) from its eligible pool."""
    rows = world.org.positions.rows
    vacant = [p for p, r in enumerate(rows) if r.structural and p not in world.holder]
    vacant.sort(key=lambda p: FAMILY_ORDER.index(rows[p].family))
    if not vacant:
        return
    required = world.required()
    people = world.people
    idx = world.active()
    idx = idx[people["employment"][idx] == "PNS"]
    education_rank = reference.education_rank()
    # One snapshot of the PNS for the whole round; who moved this round is read live.
    snapshot = (
        idx,
        world.family_of(idx),
        np.array([education_rank[e] for e in people["education"][idx]]),
        world.age(idx, world.date(3)),
    )
    for position in vacant:
        pool = _eligible_pool(world, position, snapshot)
        if len(pool):
            _place(world, position, pool, required[position])


def _eligible_pool(world: World, position: int, snapshot: tuple[np.ndarray, ...]) -> np.ndarray:
    people, rows = world.people, world.org.positions.rows
    feeders, (years_key, grade_key, education_key, age_key) = FEEDERS[rows[position].family]
    idx, families, education, age = snapshot
    since = people["position_since"][idx]
    ok = np.isin(families, feeders)
    ok &= (world.date(3) - since).astype(int) >= int(reference.constant(years_key)) * 365
    ok &= people["grade"][idx] >= reference.grade_rank()[str(reference.constant(grade_key))]
    ok &= education >= reference.education_rank()[str(reference.constant(education_key))]
    if age_key is not None:
        ok &= age <= int(reference.constant(age_key))
    ok &= since < world.date(1)  # not moved already this year
    requirement = world.requirement(position)
    if requirement:  # a hospital director is a doctor or health worker, a school head a teacher
        ok[ok] &= world.hold_profession(idx[ok], requirement)
    pool = idx[ok]
    agency = world.unit_agency[rows[position].unit_index]
    inside = pool[world.unit_agency[people["unit"][pool]] == agency]
    outside = pool[world.unit_agency[people["unit"][pool]] != agency]
    if len(outside) > POOL_OUTSIDE_AGENCY:
        outside = world.rng.choice(outside, POOL_OUTSIDE_AGENCY, replace=False)
    return np.concatenate([inside, outside]).astype(int)


def _place(world: World, position: int, pool: np.ndarray, required: np.ndarray) -> None:
    people, rng = world.people, world.rng
    rows = world.org.positions.rows
    levels = people.true_levels[pool]
    fit = mechanisms.true_fit(levels, required, required > 0)
    probability = mechanisms.placement_success_probability(fit, people["ability"][pool])
    agency = world.unit_agency[rows[position].unit_index]
    same_agency = world.unit_agency[people["unit"][pool]] == agency
    head = _agency_head(world, agency)
    network = people["network"][head] if head is not None else -1
    score = (
        MERIT_FIT * fit
        + MERIT_PERFORMANCE * (people["perf"][pool] + people["perf_prev"][pool]) / 2
        + PROXIMITY * same_agency
        + FAVOURITISM * (people["network"][pool] == network)
        + MALE_BONUS * (people["sex"][pool] == "M")
        + AGE_BONUS_PER_YEAR * (world.age(pool, world.date(3)) - 45)
        + rng.normal(0.0, CHOICE_NOISE, len(pool))
    )
    best = int(np.argmax(score))
    chosen = int(pool[best])
    start = world.random_dates(1, 2, 6)[0]
    vacancy = f"{rows[position].position_id}@{world.year}"
    world.logs.add(
        "candidates",
        vacancy=vacancy,
        person=pool,
        fit=fit,
        probability=probability,
        chosen=np.arange(len(pool)) == best,
    )
    success = rng.random() < probability[best]
    world.logs.add(
        "placements",
        vacancy=vacancy,
        person=chosen,
        position=position,
        start=start,
        fit=fit[best],
        probability=probability[best],
        success=success,
    )
    people.columns["boost"][chosen] = SUCCESS_BOOST if success else FAILURE_PENALTY
    if rows[position].family in ("jpt_pratama", "jpt_madya", "administrator"):
        # Selection assessment of the short list, a month before the appointment.
        top = pool[np.argsort(-score)[:SHORT_LIST]]
        appraisal.assess_people(world, top, start - 30, "assessment_centre")
    world.move(np.array([chosen]), np.array([position]), start, "promosi")


def _agency_head(world: World, agency: int) -> int | None:
    rows = world.org.positions.rows
    for position, person in world.holder.items():
        post = rows[position]
        if world.unit_agency[post.unit_index] == agency and post.family.startswith("jpt"):
            return person
    return None


def step_up_functional(world: World) -> None:
    """Kenaikan jenjang: a JF holder whose grade reaches the next level's range moves up."""
    people, rows = world.people, world.org.positions.rows
    idx = world.active()
    families = world.family_of(idx)
    ranks = reference.grade_rank()
    family_min = reference.load("position_families").set_index("family")["min_grade"]
    occupations = world.catalogues.occupation_by_code
    family_rank = {f: ranks[g] for f, g in family_min.dropna().items()}
    on = world.date(7)
    movers, targets = [], []
    for person, family in zip(idx, families, strict=True):
        ladder = next((lad for lad in LADDERS.values() if family in lad), ())
        if family not in ladder or family == ladder[-1]:
            continue
        nxt = ladder[ladder.index(family) + 1]
        if people.columns["grade"][person] < family_rank[nxt]:
            continue
        if (on - people.columns["position_since"][person]).astype(int) < 3 * 365:
            continue
        if world.rng.random() > STEP_UP_RATE:
            continue
        position = rows[people.columns["position"][person]]
        unit = world.org.units[position.unit_index]
        movers.append(person)
        targets.append(
            world.org.positions.formasi(unit, occupations[str(position.occupation)], nxt)
        )
    if movers:
        world.move(
            np.array(movers),
            np.array(targets),
            world.random_dates(len(movers), 6, 9),
            "kenaikan_jenjang",
        )


def transfer(world: World) -> None:
    """Mutasi of functional/pelaksana staff to another unit; rotation of structural heads."""
    people, rows, rng = world.people, world.org.positions.rows, world.rng
    idx = world.active()
    idx = idx[people["position_since"][idx] < world.date(1)]
    structural = np.array([rows[p].structural for p in people["position"][idx]], dtype=bool)
    movers = idx[~structural & (rng.random(len(idx)) < TRANSFER_RATE)]
    occupations = world.catalogues.occupation_by_code
    occ_index = {o: i for i, o in enumerate(world.catalogues.occupations["occupation"])}
    # the units allowing each occupation, listed once per year, not once per mover (a scan of
    # every unit per mover was a fifth of a region's simulation)
    units_allowing: dict[int, list[int]] = {}
    chosen, targets = [], []
    for person in movers:
        position = rows[people.columns["position"][person]]
        occ = occ_index[str(position.occupation)]
        if occ not in units_allowing:
            units_allowing[occ] = [
                u for u, (allowed, _) in enumerate(world.org.unit_occupations) if occ in allowed
            ]
        units = [u for u in units_allowing[occ] if u != position.unit_index]
        if not units:
            continue
        unit = world.org.units[int(rng.choice(units))]
        chosen.append(person)
        targets.append(
            world.org.positions.formasi(
                unit, occupations[str(position.occupation)], position.family
            )
        )
    if chosen:
        world.move(
            np.array(chosen), np.array(targets), world.random_dates(len(chosen), 2, 11), "mutasi"
        )
    _rotate_heads(world)


def _rotate_heads(world: World) -> None:
    """Swap a few same-family structural heads between agencies (rotasi)."""
    rows, rng = world.org.positions.rows, world.rng
    for family in ("pengawas", "administrator"):
        posts = [
            p
            for p, person in world.holder.items()
            if rows[p].family == family
            and world.people.columns["position_since"][person] < world.date(1)
        ]
        rng.shuffle(posts)
        pairs = int(len(posts) * ROTATION_RATE / 2)
        agency = world.unit_agency[[rows[p].unit_index for p in posts]]
        for i in range(pairs):
            a, b = posts[i], posts[pairs + i]
            if agency[i] == agency[pairs + i]:
                continue  # a rotation moves a head to another agency
            pa, pb = world.holder[a], world.holder[b]
            start = world.random_dates(1, 3, 10)[0]
            world.move(np.array([pa, pb]), np.array([b, a]), start, "rotasi")


def promote_grades(world: World) -> None:
    """Kenaikan pangkat reguler/pilihan: every 4 years in grade, up to the post's ceiling."""
    people = world.people
    idx = world.active()
    idx = idx[people["employment"][idx] == "PNS"]
    entry, cap, family_max = grade_caps()
    families = world.family_of(idx)
    ceiling = np.array(
        [
            max(cap[e], family_max.get(f, 0))
            for e, f in zip(people["education"][idx], families, strict=True)
        ]
    )
    tmt = np.where(world.rng.random(len(idx)) < 0.5, world.date(4), world.date(10))
    due = (tmt - people["grade_since"][idx]).astype(int) >= 4 * 365 - 1
    due &= people["grade"][idx] < ceiling
    due &= people["perf"][idx] > -1.2
    exam = np.isin(people["education"][idx], BELOW_DEGREE) & (
        people["grade"][idx] == LAST_OF_GROUP_II
    )
    due &= ~exam | (world.rng.random(len(idx)) < UJIAN_DINAS_PASS_RATE)
    chosen = idx[due]
    if not len(chosen):
        return
    people.columns["grade"][chosen] += 1
    people.columns["grade_since"][chosen] = tmt[due]
    from features.synth.people import pns_grade_names

    names = np.array(pns_grade_names(), dtype=object)
    world.logs.add(
        "grades", person=chosen, grade=names[people.columns["grade"][chosen] - 1], start=tmt[due]
    )
