"""The canonical ASN data model: every table Jenjang stores, its columns and natural keys.

This module is the single source of truth. The database tables (`features.store.database`), the
validation schemas (`features.ingest.validation`) and the documentation (`docs/schema.md`) are all
derived from `TABLES`, so a column is added in one place.

Enumerated columns name a *vocabulary* (``enum="grade"``); the allowed values come from the
reference data files in ``features/reference/`` (see `features.reference`), not from code.
Columns flagged ``personal`` are personal data under UU 27/2022: they are never model features
and never written to logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DType = Literal["str", "int", "float", "date", "datetime", "bool"]

NIP_PATTERN = r"^\d{18}$"


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    dtype: DType
    nullable: bool = False
    enum: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    personal: bool = False
    unique: bool = False
    doc: str = ""


@dataclass(frozen=True)
class ForeignKey:
    """`column` must match `ref_table.ref_column` (in the same batch or already stored)."""

    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, natural key (for upserts) and references."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    period: tuple[str, str | None] | None = None
    recorded_after: str | None = None
    reference: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _recorded_at() -> Column:
    return Column(
        "recorded_at", "datetime", doc="when the fact became known (finalised, signed, issued)"
    )


def _fk(column: str, table: str, ref: str | None = None) -> ForeignKey:
    return ForeignKey(column, table, ref or column)


TABLES: dict[str, Table] = {}


def _add(table: Table) -> None:
    TABLES[table.name] = table


_add(
    Table(
        "agencies",
        "Instansi / perangkat daerah (OPD).",
        (
            Column("agency_id", "str"),
            Column("name", "str", doc="official name, e.g. Dinas Kesehatan Kota Gorontalo"),
            Column("region", "str", doc="pemerintah daerah, e.g. Kota Gorontalo"),
            Column("region_type", "str", enum="region_type"),
            Column("field", "str", nullable=True, enum="field", doc="main technical field"),
        ),
        key=("agency_id",),
    )
)
_add(
    Table(
        "units",
        "Unit kerja inside an agency (bidang, puskesmas, sekolah, instalasi ...).",
        (
            Column("unit_id", "str"),
            Column("agency_id", "str"),
            Column("name", "str"),
            Column("unit_type", "str", enum="unit_type"),
        ),
        key=("unit_id",),
        foreign_keys=(_fk("agency_id", "agencies"),),
    )
)
_add(
    Table(
        "competencies",
        "Competency dictionary (PermenPANRB 38/2017 + technical per field).",
        (
            Column("code", "str"),
            Column("kind", "str", enum="competency_kind"),
            Column("field", "str", nullable=True, enum="field"),
            Column("name_id", "str"),
            Column("name_en", "str"),
            Column("description_id", "str", nullable=True),
        ),
        key=("code",),
        reference=True,
    )
)
_add(
    Table(
        "positions",
        "Jabatan: a post (structural, capacity 1) or a formasi (JF/pelaksana).",
        (
            Column("position_id", "str"),
            Column("unit_id", "str"),
            Column("title", "str"),
            Column("family", "str", enum="position_family"),
            Column("field", "str", nullable=True, enum="field"),
            Column("occupation", "str", nullable=True, doc="JF/pelaksana occupation code"),
            Column("capacity", "int", min=1, doc="number of holders the formasi allows"),
        ),
        key=("position_id",),
        foreign_keys=(_fk("unit_id", "units"),),
    )
)
_add(
    Table(
        "position_standards",
        "Standar kompetensi jabatan: required level per competency.",
        (
            Column("position_id", "str"),
            Column("competency_code", "str"),
            Column("required_level", "int", min=1, max=5),
        ),
        key=("position_id", "competency_code"),
        foreign_keys=(
            _fk("position_id", "positions"),
            _fk("competency_code", "competencies", "code"),
        ),
    )
)
_add(
    Table(
        "employees",
        "ASN (PNS and PPPK). NIP, name, sex and birth date are personal data.",
        (
            Column("employee_id", "str", doc="internal id; not derived from the NIP"),
            Column("nip", "str", pattern=NIP_PATTERN, personal=True, unique=True),
            Column("name", "str", personal=True),
            Column("sex", "str", enum="sex", personal=True),
            Column("birth_date", "date", personal=True),
            Column("employment_type", "str", enum="employment_type"),
            Column("education", "str", enum="education"),
            Column("hire_date", "date", doc="TMT CPNS / TMT PPPK"),
            Column("exit_date", "date", nullable=True),
            Column("exit_reason", "str", nullable=True, enum="exit_reason"),
            _recorded_at(),
        ),
        key=("employee_id",),
        period=("hire_date", "exit_date"),
    )
)
_add(
    Table(
        "position_history",
        "Riwayat jabatan: who held which position from when to when.",
        (
            Column("employee_id", "str"),
            Column("position_id", "str"),
            Column("start_date", "date", doc="TMT jabatan"),
            Column("end_date", "date", nullable=True),
            Column("reason", "str", enum="move_reason"),
            Column("decree_number", "str", nullable=True),
            _recorded_at(),
        ),
        key=("employee_id", "start_date"),
        foreign_keys=(_fk("employee_id", "employees"), _fk("position_id", "positions")),
        period=("start_date", "end_date"),
    )
)
_add(
    Table(
        "grade_history",
        "Riwayat golongan/pangkat (TMT of each grade).",
        (
            Column("employee_id", "str"),
            Column("grade", "str", enum="grade"),
            Column("start_date", "date", doc="TMT golongan"),
            _recorded_at(),
        ),
        key=("employee_id", "start_date"),
        foreign_keys=(_fk("employee_id", "employees"),),
        period=("start_date", None),
    )
)
_add(
    Table(
        "assessments",
        "Asesmen kompetensi/potensi: one sitting; levels in assessment_levels.",
        (
            Column("assessment_id", "str"),
            Column("employee_id", "str"),
            Column("assessed_on", "date"),
            Column("method", "str", enum="assessment_method"),
            Column("potential_score", "float", nullable=True, min=0, max=100),
            Column("potential_tier", "str", nullable=True, enum="potential_tier"),
            _recorded_at(),
        ),
        key=("assessment_id",),
        foreign_keys=(_fk("employee_id", "employees"),),
        period=("assessed_on", "assessed_on"),
        recorded_after="assessed_on",
    )
)
_add(
    Table(
        "assessment_levels",
        "Measured level (1-5) of each competency in an assessment.",
        (
            Column("assessment_id", "str"),
            Column("competency_code", "str"),
            Column("level", "int", min=1, max=5),
        ),
        key=("assessment_id", "competency_code"),
        foreign_keys=(
            _fk("assessment_id", "assessments"),
            _fk("competency_code", "competencies", "code"),
        ),
    )
)
_add(
    Table(
        "evaluations",
        "SKP: numeric 0-100 before 2022 (PP 46/2011), predikat matrix from 2022.",
        (
            Column("employee_id", "str"),
            Column("year", "int", min=1990, max=2100),
            Column("period", "str", enum="evaluation_period"),
            Column("scheme", "str", enum="evaluation_scheme"),
            Column("score", "float", nullable=True, min=0, max=100),
            Column("work_result", "str", nullable=True, enum="expectation"),
            Column("work_behaviour", "str", nullable=True, enum="expectation"),
            Column("rating", "str", enum="rating"),
            Column("unit_id", "str", nullable=True, doc="unit at the time of the evaluation"),
            Column("period_start", "date"),
            Column("period_end", "date"),
            _recorded_at(),
        ),
        key=("employee_id", "year", "period"),
        foreign_keys=(_fk("employee_id", "employees"), _fk("unit_id", "units")),
        period=("period_start", "period_end"),
        recorded_after="period_start",
    )
)
_add(
    Table(
        "unit_evaluations",
        "The unit's own predikat (PermenPANRB 6/2022), which caps its staff's.",
        (
            Column("unit_id", "str"),
            Column("year", "int", min=1990, max=2100),
            Column("rating", "str", enum="unit_rating"),
            _recorded_at(),
        ),
        key=("unit_id", "year"),
        foreign_keys=(_fk("unit_id", "units"),),
    )
)
_add(
    Table(
        "disciplinary_records",
        "Hukuman disiplin (PP 94/2021): ringan, sedang, berat.",
        (
            Column("employee_id", "str"),
            Column("severity", "str", enum="discipline_severity"),
            Column("decided_on", "date"),
            Column("start_date", "date"),
            Column("end_date", "date", nullable=True),
            _recorded_at(),
        ),
        key=("employee_id", "decided_on"),
        foreign_keys=(_fk("employee_id", "employees"),),
        period=("start_date", "end_date"),
        recorded_after="decided_on",
    )
)
_add(
    Table(
        "credit_records",
        "Riwayat angka kredit of functional officials (PermenPANRB 1/2023): credit per period.",
        (
            Column("employee_id", "str"),
            Column("period_start", "date"),
            Column("period_end", "date"),
            Column("main_credit", "float", nullable=True, min=0, doc="kredit utama baru"),
            Column("supporting_credit", "float", nullable=True, min=0, doc="kredit penunjang"),
            Column("total_credit", "float", min=0, doc="kredit baru total"),
            Column("decree_number", "str", nullable=True),
            Column("decided_on", "date", nullable=True, doc="tanggal SK (PAK)"),
            _recorded_at(),
        ),
        key=("employee_id", "period_start"),
        foreign_keys=(_fk("employee_id", "employees"),),
        period=("period_start", "period_end"),
    )
)
_add(
    Table(
        "courses",
        "Course catalogue (pelatihan, diklat, kursus) with JP and provider.",
        (
            Column("course_id", "str"),
            Column("title_id", "str"),
            Column("title_en", "str"),
            Column("kind", "str", enum="course_kind"),
            Column("delivery", "str", enum="course_delivery"),
            Column("jp", "int", min=1),
            Column("provider", "str"),
            Column("field", "str", nullable=True, enum="field"),
            Column("mandatory_for", "str", nullable=True, enum="mandate"),
            Column("description_id", "str", nullable=True),
        ),
        key=("course_id",),
        reference=True,
    )
)
_add(
    Table(
        "course_competencies",
        "Competencies a course develops, for learners in a level band.",
        (
            Column("course_id", "str"),
            Column("competency_code", "str"),
            Column("level_min", "int", min=1, max=5),
            Column("level_max", "int", min=1, max=5),
            Column("nominal_gain", "float", min=0, max=2, doc="catalogue's claim, not the truth"),
        ),
        key=("course_id", "competency_code"),
        foreign_keys=(
            _fk("course_id", "courses"),
            _fk("competency_code", "competencies", "code"),
        ),
        reference=True,
    )
)
_add(
    Table(
        "course_prerequisites",
        "Course B must be completed before course A.",
        (Column("course_id", "str"), Column("prerequisite_id", "str")),
        key=("course_id", "prerequisite_id"),
        foreign_keys=(_fk("course_id", "courses"), _fk("prerequisite_id", "courses", "course_id")),
        reference=True,
    )
)
_add(
    Table(
        "course_audiences",
        "Who a course is for: the occupations, position families or fields of the people a BKD "
        "would send to it (any row suffices; a course without rows is open to every ASN).",
        (
            Column("course_id", "str"),
            Column("kind", "str", enum="audience_kind", doc="occupation, family or field"),
            Column("value", "str", doc="an occupation code, a position family or a field"),
            Column("basis", "str", doc="legal basis, or heuristic: why"),
        ),
        key=("course_id", "kind", "value"),
        foreign_keys=(_fk("course_id", "courses"),),
        reference=True,
    )
)
_add(
    Table(
        "training_records",
        "Riwayat diklat/kursus as recorded (free-text title, JP).",
        (
            Column("employee_id", "str"),
            Column("title", "str", doc="title as written on the certificate"),
            Column("course_id", "str", nullable=True, doc="catalogue match, when known"),
            Column("jp", "int", min=1, max=2000, doc="jumlah jam (JP)"),
            Column("start_date", "date"),
            Column("end_date", "date"),
            Column("provider", "str", nullable=True),
            Column("certificate_number", "str", nullable=True),
            _recorded_at(),
        ),
        key=("employee_id", "title", "start_date"),
        foreign_keys=(_fk("employee_id", "employees"), _fk("course_id", "courses")),
        period=("start_date", "end_date"),
        recorded_after="start_date",
    )
)

#: Order in which tables can be loaded so that every reference points backwards.
LOAD_ORDER: tuple[str, ...] = tuple(TABLES)

#: Columns that are personal data (never features, never logged).
PERSONAL_COLUMNS: frozenset[str] = frozenset(
    c.name for t in TABLES.values() for c in t.columns if c.personal
)
