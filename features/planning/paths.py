"""Career paths: the next posts a person fits, and routes of up to three steps to a chosen post.

The family graph joins each position family to the families it leads to: the usual next step
(`career_steps.csv`) and every family whose eligibility rule counts it as the previous level
(`eligibility_rules.csv`, e.g. JF ahli muda → administrator). A route to a target post is a
walk through that graph ending in the target's family; each intermediate step is the post of
that family (in the target's agency when there is one) the person fits best.

Dates come from the eligibility rules, projected forward: at each step the person is assumed to
enter the post on the earliest date its rules allow, to keep performing as now, and to rise one
grade every `regular_promotion_years` up to their education's regular cap (or the top of the
post's grade range, kenaikan pangkat pilihan). The projection is then checked on that date, so
an age limit or a grade cap that time cannot overcome blocks the route and is named. A course a
rule requires (PKA before JPT pratama) is planned before the move and listed first among the
step's courses. Each step lists the competencies short of the post's standard and the courses
that close them: courses whose level band suits the person, not already taken, in the order of
the training recommender's scores when given (its gap coverage otherwise). Fit and gaps are
measured on the person's current levels: the view's (last measured, else the family mean), or
those the caller gives (the service gives the training recommender's estimate, the level its
reasons and the profile quote).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import cast

import numpy as np
import pandas as pd

from features import reference
from features.asof.ages import age_at
from features.asof.calendar import base_unit, completed, in_unit, shift
from features.asof.course_history import recorded
from features.asof.course_pairs import BAND_SLACK, Catalogue, audience_matrix
from features.asof.fit import competency_fit
from features.asof.positions import competency_codes
from features.asof.records import Records
from features.rules.eligibility import (
    RuleResult,
    evaluate,
    group_rules,
    messages,
    rules,
    rules_for,
)
from features.rules.professions import holds
from features.view import View

MAX_STEPS = 3
#: Courses listed per step.
COURSES_PER_STEP = 3


@cache
def family_graph() -> dict[str, frozenset[str]]:
    """Family → the families it can lead to."""
    edges: dict[str, set[str]] = {}
    steps = reference.load("career_steps")
    for family, following in zip(steps["family"], steps["next_family"], strict=True):
        edges.setdefault(str(family), set()).add(str(following))
    table = rules()
    chained = table[table["check"] == "min_time_in_families"]
    for families, previous_families in zip(
        chained["families"], chained["previous_families"], strict=True
    ):
        for previous in previous_families:
            for family in families:
                if family != previous:  # a lateral move is not a step up
                    edges.setdefault(previous, set()).add(family)
    return {family: frozenset(targets) for family, targets in edges.items()}


def family_routes(start: str, target: str, max_steps: int = MAX_STEPS) -> list[list[str]]:
    """Every walk from `start` to `target` of at most `max_steps` moves, shortest first."""
    graph = family_graph()
    routes, frontier = [], [[start]]
    for _ in range(max_steps):
        following = []
        for route in frontier:
            for family in sorted(graph.get(route[-1], ())):
                if family in route:
                    continue
                if family == target:
                    routes.append(route[1:] + [family])
                else:
                    following.append(route + [family])
        frontier = following
    return routes


@dataclass
class Step:
    """One move of a route: the post, when the rules allow it, what is missing."""

    position_id: str
    family: str
    fit_score: float
    eligible_from: pd.Timestamp | None  # None: time alone will not do it
    blocking: list[str]  # rules that time will not satisfy (ids)
    shortfall: pd.DataFrame  # competency_code, required_level, level, shortfall
    courses: list[str] = field(default_factory=list)  # required ones first, then gap-closing
    required_courses: list[str] = field(default_factory=list)  # a rule requires them done
    #: the blocking rules in words (rule id, basis, Bahasa Indonesia and English)
    blocking_reasons: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "position_id": self.position_id,
            "family": self.family,
            "fit_score": round(self.fit_score, 4),
            "eligible_from": self.eligible_from.date().isoformat() if self.eligible_from else None,
            "blocking_rules": self.blocking,
            "shortfall": self.shortfall.round(2).to_dict("records"),
            "courses": self.courses,
            "required_courses": self.required_courses,
            "blocking_reasons": self.blocking_reasons,
        }


class CareerPaths:
    """Next steps and routes for people of one `View` (everyone active on one date)."""

    def __init__(self, view: View, records: Records, catalogue: Catalogue | None = None) -> None:
        self.view = view
        self.records = records
        self.catalogue = catalogue or Catalogue.from_records(records)
        positions = records["positions"].merge(records["units"][["unit_id", "agency_id"]])
        self.positions = positions.set_index("position_id")
        self.required = view.standards.reindex(self.positions.index).fillna(0.0).to_numpy()
        held = set(view.frame["position_id"].dropna())
        self.positions["vacant"] = ~self.positions.index.isin(held)
        done = recorded(records, view.as_of)
        # row numbers per person, grouped in one vectorised pass: a set per person for all
        # 32,000 at start cost seconds of the service's start for a lookup only paths need
        self._taken_courses = done["course_id"].to_numpy()
        self._taken_rows = done.groupby("employee_id", observed=True).indices

    def taken(self, employee_id: str) -> set[str]:
        """The courses on the person's record before the view's date (one under way too)."""
        rows = self._taken_rows.get(employee_id)
        return set() if rows is None else {str(c) for c in self._taken_courses[rows]}

    def _row(self, employee_id: str) -> int:
        row = self.view.frame.index.get_indexer(pd.Index([employee_id]))[0]
        if row < 0:
            raise KeyError(
                f"{employee_id} is not active with a known position on {self.view.as_of.date()}"
            )
        return int(row)

    def next_steps(
        self,
        employee_id: str,
        k: int = 10,
        vacant_only: bool = False,
        levels: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """The `k` posts of the families one move ahead that the person fits best, with when
        they become eligible and what fails. `levels`: the person's current level per
        competency (`competency_codes` order) when another estimate than the view's is the
        one shown (the service's: the training recommender's); the view's otherwise."""
        row = self._row(employee_id)
        level = self._level(row, levels)
        family = str(self.view.frame["family"].iloc[row])
        choices = self.positions["family"].isin(family_graph().get(family, frozenset()))
        choices &= self._open_to(row)  # never a post of a profession the person does not hold
        if vacant_only:
            choices &= self.positions["vacant"]
        index = np.flatnonzero(choices.to_numpy())
        if not len(index):
            return pd.DataFrame(columns=NEXT_STEP_COLUMNS)
        fit = self._fit(row, index, level)
        # best fit first; among equals, vacant posts, then posts in the person's own agency
        vacant = self.positions["vacant"].to_numpy()[index]
        own = (
            self.positions["agency_id"].to_numpy()[index] == self.view.frame["agency_id"].iloc[row]
        )
        order = np.lexsort((~own, ~vacant, -fit.score))[:k]
        best, scores = index[order], fit.score[order]
        out = []
        for position, score in zip(best, scores, strict=True):
            target = self.positions.iloc[position]
            result = self.view.post_eligibility(
                str(self.positions.index[position]), str(target["family"])
            )
            failed = result.failed.iloc[row]
            out.append(
                {
                    "position_id": self.positions.index[position],
                    "family": target["family"],
                    "agency_id": target["agency_id"],
                    "vacant": bool(target["vacant"]),
                    "fit_score": float(score),
                    "eligible": bool(result.eligible.iloc[row]),
                    "eligible_from": _date(result.eligible_from.iloc[row]),
                    "failed_rules": list(failed.index[failed.to_numpy(dtype=bool)]),
                    "missing": list(self._shortfall(position, level)["competency_code"]),
                }
            )
        return pd.DataFrame(out, columns=NEXT_STEP_COLUMNS)

    def routes(
        self,
        employee_id: str,
        target_position: str,
        course_scores: pd.Series | None = None,
        levels: np.ndarray | None = None,
    ) -> list[list[Step]]:
        """Routes of up to three moves to `target_position`, shortest first, each step dated.

        `course_scores` (course_id → score, e.g. the training recommender's for this person)
        orders the courses that close each step's gaps; `levels` as in `next_steps`."""
        if target_position not in self.positions.index:
            raise KeyError(f"unknown position {target_position!r}")
        row = self._row(employee_id)
        level = self._level(row, levels)
        start = str(self.view.frame["family"].iloc[row])
        target = self.positions.loc[target_position]
        out = []
        for families in family_routes(start, str(target["family"])):
            best = [
                self._best_post(row, family, target["agency_id"], level) for family in families[:-1]
            ]
            posts = [post for post in best if post is not None]
            if len(posts) < len(best):
                continue  # a family nobody holds a post of here (jf_ahli_utama, jpt_utama)
            posts.append(int(np.flatnonzero(self.positions.index == target_position)[0]))
            steps, facts, since = [], self.view.facts.iloc[[row]].copy(), self.view.as_of
            for position in posts:
                step, facts, since = self._step(row, int(position), facts, since, level)
                gap_courses = self._courses(row, step.shortfall, course_scores, level)
                step.courses = step.required_courses + [
                    c for c in gap_courses if c not in step.required_courses
                ]
                steps.append(step)
                if step.eligible_from is None:
                    break  # blocked: later dates would mean nothing
            out.append(steps)
        return out

    def _step(
        self, row: int, position: int, facts: pd.DataFrame, since: pd.Timestamp, level: np.ndarray
    ) -> tuple[Step, pd.DataFrame, pd.Timestamp]:
        """Date the move into `position`, given the person's (projected) `facts` at `since`."""
        family = str(self.positions["family"].iloc[position])
        profession = self.view.profession_of(str(self.positions.index[position]))
        facts, owed = _plan_required_training(facts, family)
        first = evaluate(facts, family, since, profession)
        when = since if bool(first.eligible.iloc[0]) else first.eligible_from.iloc[0]
        blocking: list[str] = []
        reasons: list[dict[str, object]] = []
        if pd.isna(when):
            blocking = list(first.failed.columns[first.failed.iloc[0].to_numpy(dtype=bool)])
            reasons = _blocking_reasons(first, blocking)
            date = None
        else:
            entered = pd.Timestamp(when)
            projected = project(facts, entered)
            check = evaluate(projected, family, entered, profession)
            date = entered
            if not bool(check.eligible.iloc[0]):
                failed = check.failed.iloc[0].to_numpy(dtype=bool)
                blocking, date = list(check.failed.columns[failed]), None
                reasons = _blocking_reasons(check, blocking)
            facts = _enter(projected, family, entered)
        fit = self._fit(row, np.array([position]), level)
        step = Step(
            str(self.positions.index[position]),
            family,
            float(fit.score[0]),
            date,
            blocking,
            self._shortfall(position, level),
            required_courses=owed,
            blocking_reasons=reasons,
        )
        return step, facts, date if date is not None else since

    def _open_to(self, row: int) -> np.ndarray:
        """Per post: False where the post is bound to a profession the person does not hold
        (`features.rules.professions`), True for every other post."""
        required = self.view.professions.reindex(self.positions.index).fillna("").to_numpy()
        facts = self.view.facts.iloc[[row]]
        out = np.ones(len(self.positions), dtype=bool)
        for profession in set(required) - {""}:
            if not bool(holds(facts, str(profession)).iloc[0]):
                out &= required != profession
        return out

    def _level(self, row: int, levels: np.ndarray | None) -> np.ndarray:
        """The person's current levels: those given, else the view's."""
        if levels is None:
            return self.view.levels[row]  # type: ignore[no-any-return]
        level = np.asarray(levels, dtype=float)
        if level.shape != self.view.levels[row].shape:
            raise ValueError(f"levels: one per competency, got shape {level.shape}")
        return level

    def _fit(self, row: int, positions: np.ndarray, level: np.ndarray):  # type: ignore[no-untyped-def]
        levels = np.repeat(level[None, :], len(positions), axis=0)
        person_field = np.repeat(self.view.frame["field"].to_numpy()[[row]], len(positions))
        fields = self.positions["field"].fillna("").to_numpy(dtype=object)[positions]
        return competency_fit(levels, self.required[positions], person_field, fields)

    def _best_post(self, row: int, family: str, agency: object, level: np.ndarray) -> int | None:
        """The post of `family` the person fits best, in `agency` when it has one (None when
        the data has no post of that family)."""
        of_family = (self.positions["family"].to_numpy() == family) & self._open_to(row)
        local = of_family & (self.positions["agency_id"].to_numpy() == agency)
        index = np.flatnonzero(local if local.any() else of_family)
        if not len(index):
            return None
        return int(index[np.argmax(self._fit(row, index, level).score)])

    def _shortfall(self, position: int, levels: np.ndarray) -> pd.DataFrame:
        required = self.required[position]
        gap = np.clip(required - levels, 0.0, None) * (required > 0)
        short = np.flatnonzero(gap > 0)
        return pd.DataFrame(
            {
                "competency_code": np.array(competency_codes())[short],
                "required_level": required[short],
                "level": levels[short],
                "shortfall": gap[short],
            }
        ).sort_values("shortfall", ascending=False, kind="stable")

    def _courses(
        self, row: int, shortfall: pd.DataFrame, scores: pd.Series | None, level: np.ndarray
    ) -> list[str]:
        """Courses that close the step's gaps, suit the person's level and post (the course's
        audience), not already taken."""
        if shortfall.empty:
            return []
        catalogue = self.catalogue
        codes = {c: i for i, c in enumerate(competency_codes())}
        wanted = shortfall["competency_code"].map(codes).to_numpy()
        hits = np.isin(catalogue.entry_competency, wanted)
        at = level[catalogue.entry_competency]
        hits &= (at >= catalogue.entry_min - BAND_SLACK) & (at <= catalogue.entry_max + BAND_SLACK)
        coverage = np.bincount(
            catalogue.entry_course[hits],
            weights=catalogue.entry_gain[hits],
            minlength=len(catalogue.ids),
        )
        coverage = coverage * audience_matrix(self.view.frame.iloc[[row]], catalogue)[0]
        order = pd.Series(coverage, index=catalogue.ids)
        if scores is not None:
            order = scores.reindex(catalogue.ids).fillna(-np.inf).where(coverage > 0, -np.inf)
        done = self.taken(str(self.view.frame.index[row]))
        order = order[(coverage > 0) & ~order.index.isin(list(done))]
        return list(order.sort_values(ascending=False, kind="stable").index[:COURSES_PER_STEP])


NEXT_STEP_COLUMNS = [
    "position_id",
    "family",
    "agency_id",
    "vacant",
    "fit_score",
    "eligible",
    "eligible_from",
    "failed_rules",
    "missing",
]


def project(facts: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    """The eligibility facts of `facts` moved forward to `until`: grades rise every
    `regular_promotion_years` (counted by the calendar from the grade's TMT) up to the
    education's regular cap or the top of the held post's grade range, whichever is higher,
    and the person ages. Service and time in a post need nothing: they are kept as dates, and
    the rules count them up to the date asked."""
    out = facts.copy()
    regular = in_unit(float(reference.constant("regular_promotion_years")), "years")
    in_grade = completed(pd.to_datetime(out["grade_since"]), until, "months")
    steps = np.floor(in_grade.clip(lower=0) / regular)
    # the regular cap of the diploma, or the top of the post's grade range (kenaikan pangkat
    # pilihan for posts; heuristic, like both caps)
    caps = np.fmax(
        out["education"]
        .map(reference.grade_ranks_by("education_levels", "education", "regular_grade_cap"))
        .to_numpy(dtype=float),
        out["family"]
        .map(reference.grade_ranks_by("position_families", "family", "max_grade"))
        .to_numpy(dtype=float),
    )
    caps = np.where(np.isnan(caps), out["grade_rank"], caps)
    raised = np.minimum(out["grade_rank"] + steps, caps)
    risen = (raised - out["grade_rank"]).clip(lower=0)
    out["grade_rank"] = np.maximum(out["grade_rank"], raised)
    out["grade_since"] = shift(pd.to_datetime(out["grade_since"]), risen * regular, "months")
    out["age"] = age_at(pd.to_datetime(out["birth_date"]).to_numpy(), until)
    return out


def _plan_required_training(facts: pd.DataFrame, family: str) -> tuple[pd.DataFrame, list[str]]:
    """Courses a rule of `family` requires and the person has not done: the route plans them
    before the move (listed on the step), so they do not block its date."""
    table = rules_for(family)
    owed = [
        str(course)
        for course in table.loc[table["check"] == "training_done", "parameter"]
        if not bool(facts[f"done_{course}"].iloc[0])
    ]
    out = facts.copy()
    for course in owed:
        out[f"done_{course}"] = True
    return out, owed


def _enter(facts: pd.DataFrame, family: str, on: pd.Timestamp) -> pd.DataFrame:
    """The person takes a post of `family` on `on`: it becomes their family. For each rule
    that counts time in a group of families, an unbroken period in the group goes on if the
    new family is in it and ends (its whole months join the finished time) if not; a period
    starts on `on` if the person was outside the group."""
    out = facts.copy()
    out["family"] = family
    for rule in group_rules().itertuples():
        unit = base_unit(str(rule.unit))
        credit, since = f"credit_{rule.rule_id}", f"since_{rule.rule_id}"
        running = (
            pd.to_datetime(out[since]).notna() if since in out else pd.Series(False, out.index)
        )
        if family not in cast(list[str], rule.previous_families):
            length = completed(pd.to_datetime(out[since]), on, unit).where(running, 0.0)
            out[credit] = out.get(credit, 0.0) + length.fillna(0.0).clip(lower=0)
            out[since] = pd.NaT
        else:
            out[since] = pd.to_datetime(out[since]).where(running, on)
    return out


def _blocking_reasons(result: RuleResult, blocking: list[str]) -> list[dict[str, object]]:
    """The messages of the rules that block a step (the person is the result's only row)."""
    person = str(result.failed.index[0])
    return [m for m in messages(result, person) if m["rule_id"] in blocking]


def _date(value: pd.Timestamp | None) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()
