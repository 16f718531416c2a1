"""Simulating one region from ``start_year`` to ``end_year``, a year at a time.

Order within a year: hires (CPNS/PPPK), placements into vacant posts, functional step-ups and
transfers, training and experience, performance and ratings, grade promotions, assessments,
discipline, and exits at the end of the year. See docs/data-generator.md for the mechanisms.
"""

from __future__ import annotations

import numpy as np

from features import reference
from features.synth import appraisal, careers, learning
from features.synth.config import GeneratorConfig, Region
from features.synth.organisation import Catalogues, build_organisation
from features.synth.people import PPPK_GRADE, People, draw_people, grade_caps, initial_levels
from features.synth.world import CourseBook, World

START_SHARE = 0.86  # active ASN at the start as a share of the final head count
#: Share of each year's hires that are PPPK (first wave 2019, large waves 2021–2024).
PPPK_HIRE_SHARE = {2019: 0.3, 2021: 0.7, 2022: 0.8, 2023: 0.8, 2024: 0.75, 2025: 0.5}
#: Years after the table (a next cycle): the last share continues. Heuristic, no plan found.
LATER_PPPK_HIRE_SHARE = PPPK_HIRE_SHARE[max(PPPK_HIRE_SHARE)]
DEATH_RATE = 0.0015
TRANSFER_OUT_RATE = 0.004
PPPK_END_RATE = 0.01
EXPECTED_EXIT_RATE = 0.028  # measured share of ASN leaving in a year, all causes


def simulate_region(
    config: GeneratorConfig,
    region: Region,
    size: int,
    rng: np.random.Generator,
    catalogues: Catalogues,
    courses: CourseBook,
) -> World:
    """Run the whole history of one region; `size` is its active head count at the end."""
    start_staff = max(10, round(size * START_SHARE))
    org = build_organisation(region, start_staff, rng, catalogues)
    agencies = {a: i for i, a in enumerate(org.agencies["agency_id"])}
    unit_agency = np.array([agencies[u.agency_id] for u in org.units])
    world = World(
        config,
        region,
        rng,
        catalogues,
        org,
        courses,
        People(len(catalogues.code_index)),
        unit_agency,
        unit_quality=rng.normal(0.0, 0.3, len(org.units)),
    )
    world.year = config.start_year
    _populate(world, start_staff)
    for year in range(config.start_year, config.end_year + 1):
        world.year = year
        target = _target_size(config, start_staff, size, year)
        _hire(world, target - len(world.active()))
        careers.fill_vacancies(world)
        careers.step_up_functional(world)
        careers.transfer(world)
        learning.train(world)
        learning.grow_with_experience(world)
        appraisal.evaluate(world)
        careers.promote_grades(world)
        appraisal.assess(world)
        appraisal.discipline(world)
        _exits(world)
        learning.snapshot(world)
    return world


def _target_size(config: GeneratorConfig, start: int, end: int, year: int) -> int:
    """Head count to reach by hiring at the start of `year` (end-of-year exits come after)."""
    span = max(config.growth_end - config.start_year, 1)
    final = end / (1 - EXPECTED_EXIT_RATE)  # leave room for the last year's exits
    return round(start + (final - start) * (year - config.start_year) / span)


def _populate(world: World, staff: int) -> None:
    """The ASN present on 1 January of the first year, each in a post of their unit."""
    rng, org = world.rng, world.org
    as_of = world.date(1)
    weights = np.array([u.weight for u in org.units], dtype=float)
    per_unit = rng.multinomial(staff, weights / weights.sum())
    rows = org.positions.rows
    structural = [p for p, row in enumerate(rows) if row.structural]
    occupations = world.catalogues.occupation_rows
    staff_units: list[int] = []
    staff_occupations: list[int] = []
    for unit_index, count in enumerate(per_unit):
        allowed, probs = org.unit_occupations[unit_index]
        if len(allowed):
            staff_units.extend([unit_index] * count)
            staff_occupations.extend(int(o) for o in rng.choice(allowed, size=count, p=probs))
    ladders = np.array(
        ["structural"] * len(structural) + [occupations[o]["ladder"] for o in staff_occupations],
        dtype=object,
    )
    fields = np.array(
        [org.units[rows[p].unit_index].field for p in structural]
        + [occupations[o]["field"] for o in staff_occupations],
        dtype=object,
    )
    n = len(ladders)
    service = np.where(
        ladders == "structural", rng.uniform(10, 30, n), rng.triangular(0, 10, 33, n)
    )
    new = draw_people(rng, ladders, fields, service, as_of, pppk=np.zeros(n, bool))
    formasi = [
        _entry_formasi(world, unit, occupation, years)
        for unit, occupation, years in zip(
            staff_units, staff_occupations, service[len(structural) :], strict=True
        )
    ]
    positions = np.array(structural + formasi, dtype=int)
    _admit(world, new, positions, service, as_of, reason="pengangkatan")


def _entry_formasi(world: World, unit: int, occupation: int, service: float) -> int:
    """Formasi of an occupation at the level that fits `service` years."""
    occ = world.catalogues.occupation_rows[occupation]
    ladder = careers.LADDERS[occ["ladder"]]
    step = 0 if service < 8 else (1 if service < 17 else 2)
    step = min(step, len(ladder) - 1)
    return world.org.positions.formasi(world.org.units[unit], occ, ladder[step])


def _admit(
    world: World,
    new: dict[str, np.ndarray],
    positions: np.ndarray,
    service: np.ndarray,
    as_of: np.datetime64,
    reason: str,
) -> None:
    """Add people with their posts, grades and true levels; log their first records."""
    rng = world.rng
    required = world.required()[positions]
    levels = initial_levels(
        rng, required, new["ability"], service, len(world.catalogues.code_index)
    )
    entry, cap, family_max = grade_caps()
    families = np.array([world.org.positions.rows[p].family for p in positions], dtype=object)
    ranks = np.array([entry[e] for e in new["education"]]) + (service // 4).astype(int)
    caps = np.array(
        [max(cap[e], family_max.get(f, 0)) for e, f in zip(new["education"], families, strict=True)]
    )
    ranks = np.minimum(ranks, caps)
    # Golongan II → III needs the ujian dinas or a degree: many SMA/D3 staff wait at II/d.
    waiting = np.isin(new["education"], careers.BELOW_DEGREE) & (ranks > careers.LAST_OF_GROUP_II)
    waiting &= rng.random(len(ranks)) < careers.UJIAN_DINAS_WAIT_SHARE
    ranks = np.where(waiting, careers.LAST_OF_GROUP_II, ranks)
    years_in_grade = np.minimum(service, rng.uniform(0, 4, len(service)))
    years_in_post = np.minimum(service, rng.uniform(0, 6, len(service)))
    n = len(positions)
    columns = {
        **new,
        "active": np.ones(n, bool),
        "position": np.full(n, -1),
        "position_since": np.full(n, as_of),
        "unit": np.zeros(n, int),
        "grade": ranks,
        # Nothing starts before the TMT (hires join on 1 January, 1 March or 1 April).
        "grade_since": np.maximum(_days_before(as_of, years_in_grade), new["hire"]),
        "exit": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
        "exit_reason": np.full(n, None, dtype=object),
        "perf": np.zeros(n),
        "perf_prev": np.zeros(n),
        "boost": np.zeros(n),
    }
    idx = world.people.append(columns, levels)
    start = np.maximum(_days_before(as_of, years_in_post), new["hire"])
    world.move(idx, positions, start, reason)
    pppk = new["employment"] == "PPPK"
    grade_names = _grade_names(ranks, new["education"], pppk)
    world.logs.add(
        "grades",
        person=idx,
        grade=grade_names,
        start=np.where(pppk, new["hire"], world.people["grade_since"][idx]),
    )


def _grade_names(ranks: np.ndarray, education: np.ndarray, pppk: np.ndarray) -> np.ndarray:
    from features.synth.people import pns_grade_names

    names = np.array(pns_grade_names(), dtype=object)
    pns = names[np.clip(ranks, 1, 17) - 1]
    return np.where(pppk, [PPPK_GRADE[e] for e in education], pns)


def _days_before(as_of: np.datetime64, years: np.ndarray) -> np.ndarray:
    return as_of - (np.asarray(years) * 365.25).astype(int).astype("timedelta64[D]")


def _hire(world: World, count: int) -> None:
    """New CPNS and PPPK join entry-level formasi, mostly schools and puskesmas for PPPK."""
    if count <= 0:
        return
    rng, org = world.rng, world.org
    share = PPPK_HIRE_SHARE.get(world.year, 0.0)
    if world.year > max(PPPK_HIRE_SHARE):
        share = LATER_PPPK_HIRE_SHARE
    pppk = rng.random(count) < share
    weights = np.array([u.weight for u in org.units], dtype=float)
    service_units = np.array(
        [u.unit_type in ("sekolah", "puskesmas", "instalasi") for u in org.units]
    )
    units = np.where(
        pppk,
        rng.choice(len(weights), count, p=_norm(weights * (1 + 5 * service_units))),
        rng.choice(len(weights), count, p=_norm(weights)),
    )
    occupations = world.catalogues.occupations
    picked = []
    for unit in units:
        allowed, probs = org.unit_occupations[unit]
        picked.append(int(rng.choice(allowed, p=probs)))
    ladders = occupations["ladder"].to_numpy()[picked]
    fields = occupations["field"].to_numpy()[picked]
    hire_date = world.date(1)
    new = draw_people(rng, ladders, fields, np.zeros(count), hire_date, pppk, recent=True)
    new["hire"] = np.where(pppk, world.date(4), new["hire"])
    positions = np.array(
        [_entry_formasi(world, u, o, 0.0) for u, o in zip(units, picked, strict=True)]
    )
    _admit(world, new, positions, np.zeros(count), hire_date, reason="pengangkatan")


def _norm(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _exits(world: World) -> None:
    """Retirement at the BUP of the post's family, deaths, transfers out, contract ends."""
    rng = world.rng
    idx = world.active()
    year_end = world.date(12, 31)
    families = world.family_of(idx)
    families_table = reference.load("position_families").set_index("family")
    # a dict: a Series lookup per person cost half a second of a region
    retirement_age_by_family = families_table["retirement_age"].astype(int).to_dict()
    retire_age = np.array([retirement_age_by_family[f] for f in families])
    birth = world.people["birth"][idx]
    birthday_year = birth.astype("datetime64[Y]").astype(int) + 1970 + retire_age
    retiring = birthday_year <= world.year
    pppk = world.people["employment"][idx] == "PPPK"
    roll = rng.random(len(idx))
    died = roll < DEATH_RATE
    moved = (roll >= DEATH_RATE) & (roll < DEATH_RATE + TRANSFER_OUT_RATE)
    ended = pppk & (rng.random(len(idx)) < PPPK_END_RATE)
    reason = np.select(
        [retiring, died, moved, ended],
        ["pensiun", "meninggal", "pindah_instansi", "kontrak_berakhir"],
        default="",
    )
    leaving = reason != ""
    months = (retire_age * 12 + 1).astype("timedelta64[M]")
    retire_on = (birth.astype("datetime64[M]") + months).astype("datetime64[D]")
    retire_on = np.clip(retire_on, world.date(1, 31), year_end)
    exit_date = np.where(retiring, retire_on, world.random_dates(len(idx), 2, 12))
    exit_date = np.maximum(exit_date, world.people["position_since"][idx] + 1)
    leave(world, idx[leaving], exit_date[leaving], reason[leaving])


def leave(world: World, idx: np.ndarray, dates: np.ndarray, reasons: np.ndarray | str) -> None:
    """End employment (retirement, death, transfer out, contract end, dismissal); free posts."""
    world.people.columns["active"][idx] = False
    world.people.columns["exit"][idx] = dates
    world.people.columns["exit_reason"][idx] = reasons
    for person in idx:
        position = int(world.people.columns["position"][person])
        if world.holder.get(position) == person:
            del world.holder[position]
