"""Request and response bodies of the API, with the examples OpenAPI shows.

Every answer that carries suggestions wraps them in a `Suggestions` envelope: the suggestion id
(the audit-log entry feedback refers to), the model name and version that produced them, the
data snapshot and the date they hold for.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from features import reference

EMPLOYEE_ID = r"^[A-Za-z0-9._-]{1,40}$"
POSITION_ID = r"^[A-Za-z0-9._-]{1,60}$"
AGENCY_ID = r"^[A-Za-z0-9._-]{1,40}$"


#: Course kinds of the catalogue's vocabulary, as an enumeration OpenAPI shows.
CourseKind = Enum(  # type: ignore[misc]
    "CourseKind", {kind: kind for kind in sorted(reference.vocabulary("course_kind"))}, type=str
)


class Problem(BaseModel):
    """Every error: what went wrong and, for bad input, where."""

    detail: str | list[dict[str, Any]]
    model_config = ConfigDict(
        json_schema_extra={"example": {"detail": "no active employee 'E000000001' in your scope"}}
    )


class Reason(BaseModel):
    """One reason behind a suggestion: a code, its numbers, and the sentence in both languages."""

    code: str
    text_id: str
    text_en: str
    model_config = ConfigDict(extra="allow")


class ModelRef(BaseModel):
    name: str
    version: str


class Envelope(BaseModel):
    """What every suggestion answer says about itself."""

    suggestion_id: str = Field(description="Audit-log id; feedback refers to it.")
    model: ModelRef | None = Field(description="The model that produced the suggestions.")
    data_snapshot: str = Field(description="The database state the answer was computed from.")
    as_of: dt.date = Field(description="The date the answer holds for.")
    advisory: str = Field(
        default="Saran ini bersifat rekomendasi; keputusan tetap pada pejabat yang berwenang.",
        description="Suggestions are advisory; the decision stays with the official in charge.",
    )


# --- employees -----------------------------------------------------------------------------


class PositionSummary(BaseModel):
    position_id: str
    title: str
    family: str
    field: str | None
    years_in_position: float


class CompetencyLevel(BaseModel):
    competency_code: str
    name_id: str
    name_en: str
    required_level: int
    measured_level: float | None = Field(
        description="Last assessed level; None if never. The basis of the estimate, not the "
        "level quoted elsewhere."
    )
    estimated_level: float = Field(
        description="The person's current level on `as_of`: the one level the reasons, the "
        "chart and the career paths quote (see the profile's `levels_model`)."
    )
    shortfall: float = Field(description="Required minus current level, when positive.")


class Rating(BaseModel):
    year: int
    scheme: str
    rating: str


class Talent(BaseModel):
    box: int | None = Field(description="Talent box 1–9 (9-box), None before an assessment.")
    performance_tier: str | None = None
    potential_tier: str | None = None
    action_id: str | None
    action_en: str | None


class Development(BaseModel):
    jp_this_year: int
    jp_right_per_year: int
    jp_last_12_months: float


class Profile(BaseModel):
    """An employee's summary: no name, NIP, birth date or sex."""

    employee_id: str
    agency_id: str
    unit_id: str
    position: PositionSummary
    grade: str | None
    competencies: list[CompetencyLevel]
    ratings: list[Rating]
    talent: Talent
    development: Development
    levels_model: ModelRef | None = Field(
        default=None,
        description="Whose estimate the current levels are: the training recommender in "
        "service, whose reasons quote the same levels; null when it is not serving (then the "
        "last measured level, else the mean of the same kind of post).",
    )
    data_snapshot: str
    as_of: dt.date
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "employee_id": "E000000021",
                "agency_id": "PROV-DINKES",
                "unit_id": "PROV-U0172",
                "position": {
                    "position_id": "PROV-U0172-P00021",
                    "title": "Kepala Seksi Perencanaan (Bidang Kesehatan Masyarakat)",
                    "family": "pengawas",
                    "field": "kesehatan",
                    "years_in_position": 3.2,
                },
                "grade": "III/d",
                "competencies": [
                    {
                        "competency_code": "M.04",
                        "name_id": "Orientasi pada Hasil",
                        "name_en": "Results orientation",
                        "required_level": 3,
                        "measured_level": 2.0,
                        "estimated_level": 2.4,
                        "shortfall": 0.6,
                    }
                ],
                "ratings": [{"year": 2025, "scheme": "predikat_2022", "rating": "baik"}],
                "talent": {
                    "box": 8,
                    "performance_tier": "sesuai",
                    "potential_tier": "tinggi",
                    "action_id": "Dipertahankan, rotasi",
                    "action_en": "Retain, rotate",
                },
                "development": {
                    "jp_this_year": 12,
                    "jp_right_per_year": 20,
                    "jp_last_12_months": 14,
                },
                "levels_model": {"name": "training-recs", "version": "3"},
                "data_snapshot": "db-b1-5c0d2e9a1f",
                "as_of": "2026-11-29",
            }
        }
    )


class TrainingItem(BaseModel):
    rank: int
    course_id: str
    title_id: str
    title_en: str
    kind: str
    delivery: str
    jp: int
    score: float
    expected_gain: float = Field(description="Expected fall in the shortfall to the standard.")
    uptake_probability: float
    reasons: list[Reason]


class TrainingSuggestions(Envelope):
    employee_id: str
    items: list[TrainingItem]
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "suggestion_id": "3f2b9c4e7a1d4b8e9f0a1b2c3d4e5f60",
                "model": {"name": "training-recs", "version": "3"},
                "data_snapshot": "db-b1-5c0d2e9a1f",
                "as_of": "2026-11-29",
                "advisory": "Saran ini bersifat rekomendasi; keputusan tetap pada pejabat yang "
                "berwenang.",
                "employee_id": "E000000021",
                "items": [
                    {
                        "rank": 1,
                        "course_id": "C-MAN-004",
                        "title_id": "Pelatihan Kepemimpinan Pengawas",
                        "title_en": "Supervisor leadership training",
                        "kind": "leadership",
                        "delivery": "classical",
                        "jp": 120,
                        "score": 21.0,
                        "expected_gain": 0.12,
                        "uptake_probability": 0.41,
                        "reasons": [
                            {
                                "code": "leadership_owed",
                                "text_id": "Wajib bagi Pengawas: Pelatihan Kepemimpinan "
                                "Pengawas belum diikuti; Anda menjabat 2.3 tahun.",
                                "text_en": "Mandatory for Supervisor: Supervisor leadership "
                                "training not yet taken; you have held the post for 2.3 years.",
                            }
                        ],
                    }
                ],
            }
        }
    )


class EligibilityMessage(BaseModel):
    """A rule the person does not meet on the date asked, with its legal basis."""

    rule_id: str
    basis: str
    time_satisfiable: bool
    holds_from: str | None = Field(
        None, description="The first day time alone makes the rule hold (ISO date), if it will."
    )
    years_read: list[int] | None = Field(
        None,
        description="For the SKP rule: the years of SKP it read (the N years before the date).",
    )
    text_id: str
    text_en: str


class NextStep(BaseModel):
    position_id: str
    title: str
    family: str
    agency_id: str
    vacant: bool
    fit_score: float
    eligible: bool
    eligible_from: dt.date | None
    failed_rules: list[EligibilityMessage]
    missing_competencies: list[str]


class Gap(BaseModel):
    competency_code: str
    required_level: float
    level: float
    shortfall: float


class RouteStep(BaseModel):
    """One move of a route: when the rules allow it, what blocks it, what is missing."""

    position_id: str
    family: str
    fit_score: float
    eligible_from: dt.date | None = Field(description="None: time alone will not do it.")
    blocking_rules: list[str]
    blocking_reasons: list[EligibilityMessage] = Field(
        default=[], description="The blocking rules in words, with their legal basis."
    )
    shortfall: list[Gap]
    courses: list[str] = Field(description="Required courses first, then gap-closing ones.")
    required_courses: list[str]


class CareerPathAnswer(Envelope):
    employee_id: str
    target_position_id: str | None = None
    next_steps: list[NextStep] = []
    routes: list[list[RouteStep]] = Field(
        default=[], description="Routes of up to three dated moves to the target post."
    )


# --- positions and candidates --------------------------------------------------------------


class Position(BaseModel):
    position_id: str
    title: str
    family: str
    field: str | None
    agency_id: str
    unit_id: str
    capacity: int
    holders: int
    open_seats: int
    rankable: bool = Field(description="Candidates can be ranked (a structural post).")


class PositionPage(BaseModel):
    total: int
    items: list[Position]


class FitItem(BaseModel):
    competency_code: str
    name_id: str
    name_en: str
    required_level: float
    level: float
    shortfall: float
    surplus: float


class Person(BaseModel):
    """Who a proposed person is, as the BKD's staff know them: shown only to a caller whose
    scope holds the person. The name is personal data: never in the audit log or a log line."""

    name: str
    position_id: str = Field(description="The post they hold on the date.")
    position_title: str
    unit_id: str
    unit_name: str


class Candidate(BaseModel):
    rank: int
    employee_id: str
    agency_id: str
    person: Person | None = Field(
        default=None,
        description="Name, current post and unit; null for someone outside the caller's scope "
        "or when the deployment holds no names (the national index).",
    )
    score: float = Field(
        description="Predicted probability that the placement succeeds: that the person's SKP "
        "for their first year in the post is at least Baik, calibrated on the newest placement "
        "round with known outcomes that the model was not fitted on (docs/placements.md)."
    )
    fit_score: float
    eligible: bool
    eligible_from: dt.date | None
    failed_rules: list[EligibilityMessage]
    fit: list[FitItem]
    talent_box: int | None
    rating_last: float | None
    reasons: list[Reason]


class CandidateSuggestions(Envelope):
    position_id: str
    items: list[Candidate]
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "suggestion_id": "9b1500a0e5704fd38c4373af586ebe25",
                "model": {"name": "placement-success", "version": "1"},
                "data_snapshot": "db-b1-5c0d2e9a1f",
                "as_of": "2026-11-29",
                "advisory": "Saran ini bersifat rekomendasi; keputusan tetap pada pejabat yang "
                "berwenang.",
                "position_id": "PROV-U0172-P00021",
                "items": [
                    {
                        "rank": 1,
                        "employee_id": "E000004410",
                        "agency_id": "PROV-DINKES",
                        "person": {
                            "name": "Nurdin Hunowu",
                            "position_id": "PROV-U0175-P00030",
                            "position_title": "Kepala Seksi Pelayanan (Bidang Pelayanan Kesehatan)",
                            "unit_id": "PROV-U0175",
                            "unit_name": "Bidang Pelayanan Kesehatan",
                        },
                        "score": 0.87,
                        "fit_score": 0.12,
                        "eligible": True,
                        "eligible_from": "2026-11-29",
                        "failed_rules": [],
                        "fit": [
                            {
                                "competency_code": "M.04",
                                "name_id": "Orientasi pada Hasil",
                                "name_en": "Results orientation",
                                "required_level": 3,
                                "level": 3.4,
                                "shortfall": 0.0,
                                "surplus": 0.4,
                            }
                        ],
                        "talent_box": 8,
                        "rating_last": 4.0,
                        "reasons": [
                            {
                                "code": "raises_success",
                                "feature": "rating_mean_2y",
                                "value": 4.5,
                                "contribution": 0.41,
                                "text_id": "Rata-rata predikat SKP 2 tahun menaikkan peluang "
                                "berhasil di jabatan ini",
                                "text_en": "2-year mean SKP rating raises the chance of "
                                "succeeding in this post",
                            }
                        ],
                    }
                ],
            }
        }
    )


#: The most posts one placement plan may take.
PLAN_MOST = 50


class PlanRequest(BaseModel):
    position_ids: list[str] = Field(min_length=1, max_length=PLAN_MOST)
    model_config = ConfigDict(
        json_schema_extra={"example": {"position_ids": ["PROV-U0172-P00021", "PROV-U0173-P00024"]}}
    )


class Assignment(BaseModel):
    position_id: str
    employee_id: str
    score: float
    person: Person | None = Field(default=None, description="As a candidate's.")


class PlanSuggestions(Envelope):
    assignments: list[Assignment]
    unfilled: list[str]
    total: float
    greedy_total: float = Field(description="Total of filling the vacancies one by one.")


# --- agencies ------------------------------------------------------------------------------


class Agency(BaseModel):
    agency_id: str
    name: str
    region: str


class TalentDistribution(BaseModel):
    """An agency's people per talent box. For a caller who may not see them one by one, small
    cells are withheld (k-anonymity, `service.access.disclosure`): null, never 0."""

    agency_id: str
    as_of: dt.date
    data_snapshot: str
    people: int = Field(description="The agency's active people (the boxes' total).")
    boxes: dict[int, int | None] = Field(
        description="Box 1–9 → people; 0 → no box yet; null → withheld (see `withheld`)."
    )
    withheld: dict[int, str] = Field(
        default_factory=dict, description="Box → why its count is withheld."
    )
    min_cell_size: int | None = Field(
        description="The fewest people a cell shows to this caller; null when the caller may "
        "see these people one by one, and the counts are exact."
    )


class SuccessionMember(BaseModel):
    employee_id: str
    talent_box: int
    readiness: Literal["siap sekarang", "1-2 tahun"]
    eligible_from: dt.date | None
    failed_rules: int


class SuccessionPool(Envelope):
    agency_id: str
    family: str
    items: list[SuccessionMember]


# --- feedback ------------------------------------------------------------------------------

Decision = Literal["accepted", "rejected", "not_relevant", "interested"]
SUGGESTION_ID = r"^[0-9a-f]{32}$"


class _Judgement(BaseModel):
    suggestion_id: str = Field(min_length=32, max_length=32, pattern=SUGGESTION_ID)
    item_id: str = Field(min_length=1, max_length=60, description="course, person or post id")
    model_config = ConfigDict(extra="forbid")


class Approval(_Judgement):
    """Accepted, or (an ASN on a training) interested; a reason is welcome."""

    decision: Literal["accepted", "interested"]
    reason: str | None = Field(default=None, max_length=1000)


class Refusal(_Judgement):
    """Rejected or not relevant: must say why, since that is what retraining learns from."""

    decision: Literal["rejected", "not_relevant"]
    reason: str = Field(min_length=1, max_length=1000, pattern=r"\S")
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "suggestion_id": "3f2b9c4e7a1d4b8e9f0a1b2c3d4e5f60",
                "item_id": "C-MAN-004",
                "decision": "not_relevant",
                "reason": "sudah mengikuti pelatihan serupa di instansi lain",
            }
        }
    )


FeedbackIn = Annotated[Approval | Refusal, Field(discriminator="decision")]


class FeedbackOut(BaseModel):
    feedback_id: int
    suggestion_id: str
    item_id: str
    decision: Decision
    model: ModelRef | None
