"""From a simulated region to the tables an HR export would hold, mess included, and the truth.

The observable tables follow the canonical schema. Real-world mess is added here and
documented in docs/data-generator.md: facts recorded weeks to months after their period (and
those not yet recorded at the extraction date left out), incomplete assessments, duplicated
training rows, free-text course titles, a few ratings inconsistent with their score.
The truth tables keep what only the simulation knows.

Every noise draw comes from its own random stream, one per (table, column, year of the fact)
(`NoiseStreams`), drawn over the whole log before the extraction cut. So the rows of a year
get the same noise whatever happens in later years: a dataset simulated one year further (the
next cycle, `features.synth.next_cycle_config`) repeats the earlier export exactly, row for
row, and its ingest recognises the rows it already holds.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from features.synth.world import World

ROMAN = ("I", "II", "III", "IV", "V", "VI")
CAPACITY_SLACK = 1.1  # a formasi allows 10% more holders than the most it ever had (H)
DUPLICATE_TRAINING_SHARE = 0.015
INCONSISTENT_RATING_SHARE = 0.004
MISSING_LEVEL_SHARE = 0.04


#: A draw for some rows of one year: the year's stream and the rows' positions in the log.
Draw = Callable[[np.random.Generator, np.ndarray], np.ndarray]


class NoiseStreams:
    """Independent random streams for the observation noise, keyed by table, column and year.

    Why streams instead of one generator: with one generator, one more year of facts shifts
    every later draw, and the noise of every earlier row with it. Keyed streams make a row's
    noise depend only on its year's rows, which a later year does not change.
    """

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self.seed = seed

    def generator(self, table: str, column: str, year: int) -> np.random.Generator:
        """The stream of one column's noise in one year: a child of the region's seed, keyed
        by a checksum of the column's name, so adding a column shifts no other stream."""
        key = (zlib.crc32(f"{table}.{column}".encode()), int(year))
        child = np.random.SeedSequence(self.seed.entropy, spawn_key=(*self.seed.spawn_key, *key))
        return np.random.default_rng(child)

    def draw(self, table: str, column: str, years: np.ndarray, draw: Draw) -> np.ndarray:
        """`draw` for each year's rows from that year's stream, put back in log order."""
        years = np.asarray(years).astype(int)
        if len(years) == 0:
            return np.asarray(draw(self.generator(table, column, 0), np.zeros(0, int)))
        parts = []
        for year in np.unique(years):
            rows = np.flatnonzero(years == year)
            parts.append((rows, np.asarray(draw(self.generator(table, column, int(year)), rows))))
        # Fixed-width strings of one year could truncate another year's longer ones.
        text = any(values.dtype.kind in "US" for _, values in parts)
        out = np.empty(len(years), dtype=object if text else parts[0][1].dtype)
        for rows, values in parts:
            out[rows] = values
        return out


def _year(dates: np.ndarray) -> np.ndarray:
    """The calendar year of each date: the key of its noise streams."""
    return np.asarray(dates).astype("datetime64[Y]").astype(int) + 1970


def _days(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    return rng.integers(low, high + 1, n).astype("timedelta64[D]")


def _late(rng: np.random.Generator, n: int, share: float, low: int, high: int) -> np.ndarray:
    extra = rng.integers(low, high + 1, n) * (rng.random(n) < share)
    return extra.astype("timedelta64[D]")


def _timestamps(dates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dates to timestamps within office hours (recorded_at is a datetime)."""
    seconds = rng.integers(8 * 3600, 16 * 3600, len(dates)).astype("timedelta64[s]")
    return dates.astype("datetime64[s]") + seconds


class Observer:
    """Builds the tables of one simulated region."""

    def __init__(
        self,
        world: World,
        region_number: int,
        extract: dt.date,
        seed: np.random.SeedSequence,
        nip_issuer: NipIssuer,
    ) -> None:
        self.world = world
        self.noise = NoiseStreams(seed)
        # Facts recorded during the extraction day are in the export: it is taken at its end.
        self.extract_end = np.datetime64(extract + dt.timedelta(days=1), "s")
        self.ids = np.array(
            [f"E{region_number:03d}{i:06d}" for i in range(world.people.size)], dtype=object
        )
        self.nips = nip_issuer
        self.positions = world.positions

    def tables(self) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
        """The observable tables of the region, and its truth tables."""
        observable = self.organisation()
        observable["employees"] = self.employees()
        observable["position_history"] = self.position_history()
        observable["grade_history"] = self.grade_history()
        observable.update(self.assessments())
        observable.update(self.evaluations())
        observable["disciplinary_records"] = self.discipline()
        observable["training_records"], course_takes = self.training()
        return observable, {**self.truth(), "course_takes": course_takes}

    def while_employed(self, log: pd.DataFrame, column: str) -> pd.DataFrame:
        """Events up to the person's exit: nothing is recorded for someone who has left."""
        if log.empty:
            return log
        exits = self.world.people["exit"][log["person"].to_numpy()]
        dates = log[column].to_numpy(dtype="datetime64[D]")
        return log[np.isnat(exits) | (dates <= exits)].reset_index(drop=True)

    def recorded(self, table: str, years: np.ndarray, dates: Draw) -> np.ndarray:
        """Recording times: a date per row from `dates`, then a time within office hours."""
        days = self.noise.draw(table, "recorded_at", years, dates)
        return self.noise.draw(
            table, "recorded_time", years, lambda r, rows: _timestamps(days[rows], r)
        )

    def known(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Only what had been recorded by the extraction date is in the export."""
        return frame[frame["recorded_at"] < self.extract_end].reset_index(drop=True)

    def organisation(self) -> dict[str, pd.DataFrame]:
        world = self.world
        units = world.org.unit_frame[["unit_id", "agency_id", "name", "unit_type"]]
        positions = self.positions.copy()
        counts = [np.bincount(held, minlength=len(positions)) for *_, held in world.snapshots]
        capacity = np.max(counts, axis=0) if counts else np.zeros(len(positions), int)
        capacity = np.maximum(np.ceil(capacity * CAPACITY_SLACK), 1)
        positions["capacity"] = np.where(positions["structural"], 1, capacity).astype(int)
        required = world.required()
        rows, cols = np.nonzero(required)
        codes = world.catalogues.competencies["code"].to_numpy()
        standards = pd.DataFrame(
            {
                "position_id": positions["position_id"].to_numpy()[rows],
                "competency_code": codes[cols],
                "required_level": required[rows, cols].astype(int),
            }
        )
        keep = ["position_id", "unit_id", "title", "family", "field", "occupation", "capacity"]
        return {
            "agencies": world.org.agencies,
            "units": units,
            "positions": positions[keep],
            "position_standards": standards,
        }

    def employees(self) -> pd.DataFrame:
        people = self.world.people
        names = pd.read_csv(Path(__file__).with_name("names.csv"))
        pools = {k: g["value"].to_numpy() for k, g in names.groupby("kind")}
        birth = people["birth"]
        hire = people["hire"]
        sex = people["sex"]
        years = _year(hire)
        first = self.noise.draw(
            "employees",
            "first_name",
            years,
            lambda r, rows: np.where(
                sex[rows] == "M",
                r.choice(pools["male"], len(rows)),
                r.choice(pools["female"], len(rows)),
            ),
        )
        family = self.noise.draw(
            "employees", "family_name", years, lambda r, rows: r.choice(pools["family"], len(rows))
        )
        return pd.DataFrame(
            {
                "employee_id": self.ids,
                "nip": self.nips.issue(birth, hire, people["sex"]),
                "name": [f"{a} {b}" for a, b in zip(first, family, strict=True)],
                "sex": people["sex"],
                "birth_date": birth,
                "employment_type": people["employment"],
                "education": people["education"],
                "hire_date": hire,
                "exit_date": people["exit"],
                "exit_reason": people["exit_reason"],
                "recorded_at": self.recorded(
                    "employees", years, lambda r, rows: hire[rows] + _days(r, len(rows), 0, 60)
                ),
            }
        )

    def position_history(self) -> pd.DataFrame:
        log = self.world.logs.frame("position_history")
        log = log.sort_values(["person", "start"], kind="stable").drop_duplicates(
            ["person", "start"], keep="last"
        )
        nxt = log.groupby("person")["start"].shift(-1)
        exits = self.world.people["exit"][log["person"].to_numpy()]
        end = np.where(
            nxt.notna(), (nxt - pd.Timedelta(days=1)).to_numpy(dtype="datetime64[D]"), exits
        )
        start = log["start"].to_numpy(dtype="datetime64[D]")
        years = _year(start)
        frame = pd.DataFrame(
            {
                "employee_id": self.ids[log["person"].to_numpy()],
                "position_id": self.positions["position_id"].to_numpy()[log["position"].to_numpy()],
                "start_date": start,
                "end_date": end,
                "reason": log["reason"].to_numpy(),
                "decree_number": self.noise.draw(
                    "position_history",
                    "decree_number",
                    years,
                    lambda r, rows: np.array(
                        [
                            f"821.{r.integers(1, 4)}/BKD/{r.integers(1, 999):03d}/{years[i]}"
                            for i in rows
                        ],
                        dtype=object,
                    ),
                ),
                "recorded_at": self.recorded(
                    "position_history",
                    years,
                    lambda r, rows: (
                        start[rows]
                        + _days(r, len(rows), 0, 45)
                        + _late(r, len(rows), 0.05, 60, 300)
                    ),
                ),
            }
        )
        return self.known(frame)

    def grade_history(self) -> pd.DataFrame:
        log = self.while_employed(self.world.logs.frame("grades"), "start")
        log = log.drop_duplicates(["person", "start"], keep="last")
        start = log["start"].to_numpy(dtype="datetime64[D]")
        frame = pd.DataFrame(
            {
                "employee_id": self.ids[log["person"].to_numpy()],
                "grade": log["grade"].to_numpy(),
                "start_date": start,
                "recorded_at": self.recorded(
                    "grade_history",
                    _year(start),
                    lambda r, rows: (
                        start[rows]
                        - _days(r, len(rows), 0, 40)
                        + _late(r, len(rows), 0.08, 45, 200)
                    ),
                ),
            }
        )
        return self.known(frame)

    def assessments(self) -> dict[str, pd.DataFrame]:
        world = self.world
        log = self.while_employed(world.logs.frame("assessments"), "date")
        if log.empty:
            return {"assessments": pd.DataFrame(), "assessment_levels": pd.DataFrame()}
        from features import reference

        high = float(reference.constant("potential_tier_high_min"))
        medium = float(reference.constant("potential_tier_medium_min"))
        ids = np.array([f"{world.region.code}-A{n:06d}" for n in log["number"]], dtype=object)
        date = log["date"].to_numpy(dtype="datetime64[D]")
        potential = log["potential"].to_numpy()
        frame = pd.DataFrame(
            {
                "assessment_id": ids,
                "employee_id": self.ids[log["person"].to_numpy()],
                "assessed_on": date,
                "method": log["method"].to_numpy(),
                "potential_score": potential,
                "potential_tier": np.select(
                    [potential >= high, potential >= medium],
                    ["tinggi", "menengah"],
                    default="rendah",
                ),
                "recorded_at": self.recorded(
                    "assessments",
                    _year(date),
                    lambda r, rows: date[rows] + _days(r, len(rows), 14, 75),
                ),
            }
        )
        levels = world.logs.frame("assessment_levels")
        codes = world.catalogues.competencies["code"].to_numpy()
        by_number = dict(zip(log["number"], ids, strict=True))
        level_years = dict(zip(log["number"], _year(date), strict=True))
        missing = self.noise.draw(
            "assessment_levels",
            "missing",
            levels["number"].map(level_years).fillna(0).to_numpy(),
            lambda r, rows: r.random(len(rows)) < MISSING_LEVEL_SHARE,
        )
        levels = pd.DataFrame(
            {
                "assessment_id": levels["number"].map(by_number),
                "competency_code": codes[levels["competency"].to_numpy()],
                "level": levels["level"].to_numpy(),
            }
        )[~missing]
        frame = self.known(frame)
        levels = levels[levels["assessment_id"].isin(frame["assessment_id"])]
        return {"assessments": frame, "assessment_levels": levels.reset_index(drop=True)}

    def evaluations(self) -> dict[str, pd.DataFrame]:
        world = self.world
        log = world.logs.frame("evaluations")
        people = world.people
        persons = log["person"].to_numpy()
        year = log["year"].to_numpy().astype(int)
        jan1 = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        dec31 = (year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - 1
        start = np.maximum(jan1, people["hire"][persons])
        exits = people["exit"][persons]
        end = np.where(~np.isnat(exits) & (exits < dec31), exits, dec31)
        end = np.maximum(end, start)
        recorded = self.recorded(
            "evaluations",
            year,
            lambda r, rows: (
                dec31[rows]
                + 10
                + r.gamma(2.0, 25.0, len(rows)).astype(int).astype("timedelta64[D]")
                + _late(r, len(rows), 0.03, 100, 250)
            ),
        )
        rating = log["rating"].to_numpy().copy()
        odd = (log["scheme"].to_numpy() == "numeric_2011") & self.noise.draw(
            "evaluations",
            "rating_flip",
            year,
            lambda r, rows: r.random(len(rows)) < INCONSISTENT_RATING_SHARE,
        )
        rating[odd] = np.where(rating[odd] == "baik", "sangat_baik", "baik")
        units = world.org.unit_frame["unit_id"].to_numpy()
        frame = pd.DataFrame(
            {
                "employee_id": self.ids[persons],
                "year": year,
                "period": "annual",
                "scheme": log["scheme"].to_numpy(),
                "score": log["score"].to_numpy(dtype=float),
                "work_result": log["work_result"].to_numpy(),
                "work_behaviour": log["work_behaviour"].to_numpy(),
                "rating": rating,
                "unit_id": units[log["unit"].to_numpy()],
                "period_start": start,
                "period_end": end,
                "recorded_at": recorded,
            }
        )
        unit_log = world.logs.frame("unit_ratings")
        unit_frame = pd.DataFrame()
        if not unit_log.empty:
            uyear = unit_log["year"].to_numpy().astype(int)
            urec = (uyear - 1969).astype("datetime64[Y]").astype("datetime64[D]") + 4
            unit_frame = pd.DataFrame(
                {
                    "unit_id": units[unit_log["unit"].to_numpy()],
                    "year": uyear,
                    "rating": unit_log["rating"].to_numpy(),
                    "recorded_at": self.recorded(
                        "unit_evaluations",
                        uyear,
                        lambda r, rows: urec[rows] + _days(r, len(rows), 0, 40),
                    ),
                }
            )
            unit_frame = self.known(unit_frame)
        return {"evaluations": self.known(frame), "unit_evaluations": unit_frame}

    def discipline(self) -> pd.DataFrame:
        log = self.while_employed(self.world.logs.frame("discipline"), "decided")
        if log.empty:
            return pd.DataFrame()
        decided = log["decided"].to_numpy(dtype="datetime64[D]")
        frame = pd.DataFrame(
            {
                "employee_id": self.ids[log["person"].to_numpy()],
                "severity": log["severity"].to_numpy(),
                "decided_on": decided,
                "start_date": log["start"].to_numpy(dtype="datetime64[D]"),
                "end_date": log["end"].to_numpy(dtype="datetime64[D]"),
                "recorded_at": self.recorded(
                    "disciplinary_records",
                    _year(decided),
                    lambda r, rows: decided[rows] + _days(r, len(rows), 0, 20),
                ),
            }
        ).drop_duplicates(["employee_id", "decided_on"])
        return self.known(frame)

    def training(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Observable training records and the truth of each take (true course and gain)."""
        world = self.world
        log = self.while_employed(world.logs.frame("takes"), "start")
        courses = world.courses.courses
        course = log["course"].to_numpy()
        start = log["start"].to_numpy(dtype="datetime64[D]")
        end = log["end"].to_numpy(dtype="datetime64[D]")
        years = _year(start)
        clean_titles = courses["title_id"].to_numpy()[course]
        titles = self.noise.draw(
            "training_records",
            "title",
            years,
            lambda r, rows: noisy_titles(clean_titles[rows], start[rows], r),
        )
        recorded = self.recorded(
            "training_records",
            years,
            lambda r, rows: (
                end[rows]
                + r.gamma(2.0, 15.0, len(rows)).astype(int).astype("timedelta64[D]")
                + _late(r, len(rows), 0.05, 60, 400)
            ),
        )
        employee = self.ids[log["person"].to_numpy()]
        frame = pd.DataFrame(
            {
                "employee_id": employee,
                "title": titles,
                "course_id": None,
                "jp": courses["jp"].astype(int).to_numpy()[course],
                "start_date": start,
                "end_date": end,
                "provider": courses["provider"].to_numpy()[course],
                "certificate_number": self.noise.draw(
                    "training_records",
                    "certificate_number",
                    years,
                    lambda r, rows: np.array(
                        [f"{r.integers(100000, 999999)}/{years[i]}" for i in rows], dtype=object
                    ),
                ),
                "recorded_at": recorded,
            }
        )
        truth = pd.DataFrame(
            {
                "employee_id": employee,
                "course_id": courses["course_id"].to_numpy()[course],
                "title": titles,
                "start_date": start,
                "recorded_at": frame["recorded_at"],
                "true_gain": log["true_gain"].to_numpy(),
                "true_fit_gain": log["true_fit_gain"].to_numpy(),
            }
        )
        frame = frame.drop_duplicates(["employee_id", "title", "start_date"])
        repeated = self.noise.draw(
            "training_records",
            "repeated",
            _year(frame["start_date"].to_numpy(dtype="datetime64[D]")),
            lambda r, rows: r.random(len(rows)) < DUPLICATE_TRAINING_SHARE,
        )
        frame = self.known(pd.concat([frame, frame[repeated]])).sort_values(
            ["employee_id", "start_date"], kind="stable"
        )
        return frame.reset_index(drop=True), truth

    def truth(self) -> dict[str, pd.DataFrame]:
        world = self.world
        people = world.people
        from features.synth.people import to_frame

        codes = world.catalogues.competencies["code"].to_numpy()
        level_frames = []
        for year, idx, levels, _ in world.snapshots:
            frame = pd.DataFrame(levels, columns=codes)
            frame.insert(0, "year", year)
            frame.insert(0, "employee_id", self.ids[idx])
            level_frames.append(frame)
        perf = world.logs.frame("performance")
        placements = world.logs.frame("placements")
        candidates = world.logs.frame("candidates")
        position_ids = self.positions["position_id"].to_numpy()
        return {
            "people": to_frame(people, self.ids),
            "levels": pd.concat(level_frames, ignore_index=True),
            "performance": pd.DataFrame(
                {
                    "employee_id": self.ids[perf["person"].to_numpy()],
                    "year": perf["year"].astype(int),
                    "performance": perf["perf"],
                    "true_fit": perf["fit"],
                }
            ),
            "placements": pd.DataFrame(
                {
                    "vacancy": placements["vacancy"],
                    "employee_id": self.ids[placements["person"].to_numpy()],
                    "position_id": position_ids[placements["position"].to_numpy()],
                    "start_date": placements["start"],
                    "true_fit": placements["fit"],
                    "true_success_probability": placements["probability"],
                    "success": placements["success"],
                }
            )
            if not placements.empty
            else pd.DataFrame(),
            "placement_candidates": pd.DataFrame(
                {
                    "vacancy": candidates["vacancy"],
                    "employee_id": self.ids[candidates["person"].to_numpy()],
                    "true_fit": candidates["fit"],
                    "true_success_probability": candidates["probability"],
                    "chosen": candidates["chosen"],
                }
            )
            if not candidates.empty
            else pd.DataFrame(),
        }


def noisy_titles(titles: np.ndarray, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Titles as organisers write them: cohort suffixes, capitals, typos, bare acronyms."""
    roll = rng.random(len(titles))
    years = start.astype("datetime64[Y]").astype(int) + 1970
    out = titles.astype(object).copy()
    for i in np.flatnonzero(roll >= 0.70):
        title, r = str(titles[i]), roll[i]
        if r < 0.80:
            out[i] = f"{title.upper()} ANGKATAN {ROMAN[rng.integers(0, len(ROMAN))]}"
        elif r < 0.88:
            out[i] = f"Diklat {title} Tahun {years[i]}"
        elif r < 0.95:
            out[i] = _typo(title, rng)
        else:
            out[i] = _abbreviation(title)
    return out


def _typo(title: str, rng: np.random.Generator) -> str:
    words = title.split()
    long_words = [i for i, w in enumerate(words) if len(w) > 5]
    if not long_words:
        return title
    i = long_words[int(rng.integers(0, len(long_words)))]
    w = words[i]
    j = int(rng.integers(1, len(w) - 2))
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _abbreviation(title: str) -> str:
    if "(" in title and ")" in title:
        return "Diklat " + title[title.index("(") + 1 : title.index(")")]
    return "Bimtek " + " ".join(title.split()[:2])


class NipIssuer:
    """Issues NIP serials unique across chunks, in bounded memory (sorted code/count arrays)."""

    def __init__(self) -> None:
        self.codes = np.zeros(0, np.int64)
        self.counts = np.zeros(0, np.int64)

    def issue(self, birth: np.ndarray, hire: np.ndarray, sex: np.ndarray) -> np.ndarray:
        days = (birth.astype("datetime64[D]") - np.datetime64("1900-01-01")).astype(np.int64)
        months = (hire.astype("datetime64[M]") - np.datetime64("1900-01", "M")).astype(np.int64)
        code = (days * 4000 + months) * 2 + (sex == "F")
        order = np.argsort(code, kind="stable")
        sorted_code = code[order]
        first = np.r_[True, sorted_code[1:] != sorted_code[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(code)), 0))
        rank = np.empty(len(code), np.int64)
        rank[order] = np.arange(len(code)) - group_start
        found = np.searchsorted(self.codes, code)
        found = np.minimum(found, max(len(self.codes) - 1, 0))
        existing = np.where(
            (len(self.codes) > 0) & (self.codes[found] == code)
            if len(self.codes)
            else np.zeros(len(code), bool),
            self.counts[found] if len(self.counts) else 0,
            0,
        )
        serial = existing + rank + 1
        if (serial > 999).any():
            raise ValueError("more than 999 NIPs share a birth date, TMT and sex")
        unique, counts = np.unique(code, return_counts=True)
        merged = np.concatenate([self.codes, unique])
        weights = np.concatenate([self.counts, counts])
        self.codes, inverse = np.unique(merged, return_inverse=True)
        self.counts = np.bincount(inverse, weights=weights).astype(np.int64)
        sex_digit = np.where(sex == "F", "2", "1")
        birth_s = pd.to_datetime(birth).strftime("%Y%m%d").to_numpy()
        hire_s = pd.to_datetime(hire).strftime("%Y%m").to_numpy()
        return np.array(
            [
                f"{b}{h}{s}{n:03d}"
                for b, h, s, n in zip(birth_s, hire_s, sex_digit, serial, strict=True)
            ],
            dtype=object,
        )
