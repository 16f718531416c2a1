"""The organisation of one synthetic region: agencies, units, posts and their standards.

Agencies come from ``agencies.csv`` beside this module (the usual perangkat daerah of a
Gorontalo pemda); service units (schools, puskesmas, hospital instalasi) and kecamatan scale
with the region's size. Structural posts are created up front; functional and pelaksana
*formasi* are created when someone first holds them (`PositionRegistry.formasi`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from features import reference
from features.synth.config import Region

#: Relative staff weight of each unit type (how many people a unit of that type employs).
UNIT_WEIGHT: dict[str, float] = {
    "pimpinan": 0.0,
    "sekretariat": 10,
    "bidang": 9,
    "bagian": 8,
    "puskesmas": 30,
    "instalasi": 45,
    "sekolah": 14,
    "kecamatan": 12,
    "uptd": 8,
}
SCHOOL_STAFF_SHARE = 0.38  # teachers are the largest group of regional ASN
PUSKESMAS_STAFF_SHARE = 0.10
INSTALASI = (
    "Instalasi Rawat Jalan",
    "Instalasi Rawat Inap",
    "Instalasi Gawat Darurat",
    "Instalasi Bedah Sentral",
    "Instalasi Farmasi",
    "Instalasi Laboratorium",
)
LADDERS = {
    "keahlian": ("jf_ahli_pertama", "jf_ahli_muda", "jf_ahli_madya"),
    "keterampilan": ("jf_terampil", "jf_mahir", "jf_penyelia"),
    "pelaksana": ("pelaksana",),
}
FAMILY_SUFFIX = {
    "jf_ahli_pertama": "Ahli Pertama",
    "jf_ahli_muda": "Ahli Muda",
    "jf_ahli_madya": "Ahli Madya",
    "jf_terampil": "Terampil",
    "jf_mahir": "Mahir",
    "jf_penyelia": "Penyelia",
    "pelaksana": "",
}


#: Head count of a typical Gorontalo pemda; smaller regions keep fewer agencies and units.
FULL_REGION_STAFF = 2000
#: Agencies kept first when a small dataset cannot staff them all.
PRIORITY = ("DIKBUD", "DINKES", "RSUD", "SETDA", "BKD", "BPKAD")


def _agency_templates(region_type: str, scale: float) -> list[dict[str, str]]:
    path = Path(__file__).with_name("agencies.csv")
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["applies_to"] in ("all", region_type)]
    rows.sort(key=lambda r: PRIORITY.index(r["code"]) if r["code"] in PRIORITY else len(PRIORITY))
    keep = max(4, int(np.ceil(len(rows) * scale)))
    for row in rows[:keep]:
        units = row["units"].split(";")
        row["units"] = ";".join(units[: max(1, int(np.ceil(len(units) * scale)))])
    return rows[:keep]


def _unit_type(name: str) -> str:
    for prefix, kind in (("Sekretariat", "sekretariat"), ("Bagian", "bagian"), ("UPTD", "uptd")):
        if name.startswith(prefix):
            return kind
    return "bidang"


@dataclass(frozen=True)
class Unit:
    """A unit kerja of the simulated region."""

    unit_id: str
    agency_id: str
    name: str
    unit_type: str
    index: int
    field: str
    weight: float


@dataclass(frozen=True)
class Post:
    """A position (structural post or functional/pelaksana formasi) of the region."""

    position_id: str
    unit_id: str
    unit_index: int
    title: str
    family: str
    field: str | None
    occupation: str | None

    @property
    def structural(self) -> bool:
        return self.occupation is None


@dataclass
class Catalogues:
    """Reference tables the generator needs, with competency indices resolved."""

    competencies: pd.DataFrame
    occupations: pd.DataFrame
    families: pd.DataFrame
    code_index: dict[str, int] = field(init=False)
    field_codes: dict[str, list[str]] = field(init=False)
    general_codes: list[str] = field(init=False)
    occupation_rows: list[dict[str, str]] = field(init=False)
    occupation_by_code: dict[str, dict[str, str]] = field(init=False)
    family_levels: dict[str, tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.code_index = {c: i for i, c in enumerate(self.competencies["code"])}
        technical = self.competencies[self.competencies["kind"] == "technical"]
        self.field_codes = {str(f): list(g["code"]) for f, g in technical.groupby("field")}
        self.general_codes = list(
            self.competencies.loc[self.competencies["kind"] != "technical", "code"]
        )
        self.occupation_rows = [
            {str(k): str(v) for k, v in row.items()} for row in self.occupations.to_dict("records")
        ]
        self.occupation_by_code = {r["occupation"]: r for r in self.occupation_rows}
        self.family_levels = {
            str(f): (int(r["required_level"]), int(r["technical_level"]))
            for f, r in self.families.iterrows()
        }

    @classmethod
    def load(cls) -> Catalogues:
        return cls(
            reference.load("competencies"),
            reference.load("occupations"),
            reference.load("position_families").set_index("family"),
        )


@dataclass
class PositionRegistry:
    """Every position of a region, with its competency standard as dense arrays."""

    catalogues: Catalogues
    rng: np.random.Generator
    rows: list[Post] = field(default_factory=list)
    _required: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    _formasi: dict[tuple[int, str, str], int] = field(default_factory=dict)

    def add(
        self,
        unit: Unit,
        title: str,
        family: str,
        field_: str | None,
        occupation: str | None,
        technical: list[str],
    ) -> int:
        """Create a position and its standard; returns its index."""
        index = len(self.rows)
        self.rows.append(
            Post(
                f"{unit.unit_id}-P{index:05d}",
                unit.unit_id,
                unit.index,
                title,
                family,
                field_,
                occupation,
            )
        )
        if index == len(self._required):  # grow the standards matrix by doubling
            grown = np.zeros((max(2 * index, 256), len(self.catalogues.code_index)), np.float32)
            if index:
                grown[:index] = self._required[:index]
            self._required = grown
        self._required[index] = self._standard(family, technical)
        return index

    def _standard(self, family: str, technical: list[str]) -> np.ndarray:
        """Required level per competency (0 = not in the standard)."""
        general_level, technical_level = self.catalogues.family_levels[family]
        levels = np.zeros(len(self.catalogues.code_index), dtype=np.float32)
        for code in self.catalogues.general_codes:
            levels[self.catalogues.code_index[code]] = general_level
        for code in technical:
            jitter = (-1, 0, 0, 0, 1)[int(self.rng.integers(0, 5))]
            level = int(np.clip(technical_level + jitter, 1, 5))
            levels[self.catalogues.code_index[code]] = level
        return levels

    def formasi(self, unit: Unit, occupation: dict[str, str], family: str) -> int:
        """The functional/pelaksana position for (unit, occupation, family), made on first use."""
        key = (unit.index, occupation["occupation"], family)
        if key not in self._formasi:
            suffix = FAMILY_SUFFIX[family]
            name = str(occupation["name_id"]).removesuffix(" Ahli").removesuffix(" Terampil")
            title = f"{name} {suffix}".strip()
            technical = occupation["technical_competencies"].split(";")
            self._formasi[key] = self.add(
                unit, title, family, occupation["field"], occupation["occupation"], technical
            )
        return self._formasi[key]

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame([asdict(row) for row in self.rows])
        return frame.assign(structural=frame["occupation"].isna())

    def required_matrix(self) -> np.ndarray:
        """Required level per (position, competency); a view, valid until the next `add`."""
        return self._required[: len(self.rows)]


@dataclass
class Organisation:
    """A region's agencies and units, its posts, and who may staff each unit."""

    region: Region
    agencies: pd.DataFrame
    units: list[Unit]
    positions: PositionRegistry
    unit_occupations: list[tuple[np.ndarray, np.ndarray]]

    @property
    def unit_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(unit) for unit in self.units])


def build_organisation(
    region: Region, staff: int, rng: np.random.Generator, catalogues: Catalogues
) -> Organisation:
    """Agencies, units and structural posts for `region`, sized for about `staff` ASN."""
    agencies: list[dict[str, str]] = []
    units: list[Unit] = []
    registry = PositionRegistry(catalogues, rng)

    def add_unit(agency: dict[str, str], name: str, unit_type: str) -> Unit:
        unit = Unit(
            f"{region.code}-U{len(units):04d}",
            agency["agency_id"],
            name,
            unit_type,
            len(units),
            agency["field"],
            UNIT_WEIGHT[unit_type],
        )
        units.append(unit)
        return unit

    schools = max(1, round(SCHOOL_STAFF_SHARE * staff / UNIT_WEIGHT["sekolah"]))
    puskesmas = (
        0
        if region.region_type == "provinsi"
        else max(1, round(PUSKESMAS_STAFF_SHARE * staff / UNIT_WEIGHT["puskesmas"]))
    )
    scale = min(1.0, staff / FULL_REGION_STAFF)
    for template in _agency_templates(region.region_type, scale):
        name = template["name"].format(hospital=region.hospital)
        full = name if template["code"] == "RSUD" else f"{name} {region.name}"
        agency = {
            "agency_id": f"{region.code}-{template['code']}",
            "name": full,
            "region": region.name,
            "region_type": region.region_type,
            "field": template["field"],
        }
        agencies.append(agency)
        head_family = template["head_family"]
        if template["code"] == "SETDA" and region.region_type == "provinsi":
            head_family = "jpt_madya"
        head = add_unit(agency, f"Pimpinan {full}", "pimpinan")
        head_title = template["head_title"].format(name=name)
        registry.add(
            head,
            head_title,
            head_family,
            agency["field"],
            None,
            structural_technical("pimpinan", head_title, agency["field"], catalogues),
        )
        for unit_name in template["units"].split(";"):
            _add_structured_unit(
                add_unit(agency, unit_name, _unit_type(unit_name)), registry, catalogues
            )
        service = template["service_units"]
        instalasi = max(1, int(np.ceil(len(INSTALASI) * scale)))
        count = {"sekolah": schools, "puskesmas": puskesmas, "instalasi": instalasi}.get(service, 0)
        for i in range(count):
            unit_name = _service_unit_name(service, i, region)
            _add_structured_unit(add_unit(agency, unit_name, service), registry, catalogues)
    for k in range(int(np.ceil(region.kecamatan * scale))):
        agency = {
            "agency_id": f"{region.code}-KEC{k:02d}",
            "name": f"Kecamatan {k + 1:02d} {region.name}",
            "region": region.name,
            "region_type": region.region_type,
            "field": "pemerintahan",
        }
        agencies.append(agency)
        _add_structured_unit(add_unit(agency, agency["name"], "kecamatan"), registry, catalogues)
    allowed = [_allowed_occupations(u, catalogues) for u in units]
    return Organisation(region, pd.DataFrame(agencies), units, registry, allowed)


def _service_unit_name(service: str, i: int, region: Region) -> str:
    if service == "sekolah":
        level = (
            ("SMA Negeri", "SMK Negeri")
            if region.region_type == "provinsi"
            else ("SD Negeri", "SD Negeri", "SMP Negeri")
        )
        return f"{level[i % len(level)]} {i // len(level) + 1} {region.name.split(' ', 1)[1]}"
    if service == "puskesmas":
        return f"Puskesmas {i + 1:02d} {region.name.split(' ', 1)[1]}"
    return INSTALASI[i]


def _add_structured_unit(unit: Unit, registry: PositionRegistry, catalogues: Catalogues) -> None:
    """Structural posts of a unit: its head and section heads, by unit type."""
    name, kind, field_ = unit.name, unit.unit_type, unit.field
    heads = {
        "sekretariat": [
            ("administrator", "Sekretaris"),
            ("pengawas", "Kepala Subbagian Umum dan Kepegawaian"),
            ("pengawas", "Kepala Subbagian Keuangan"),
        ],
        "bidang": [
            ("administrator", f"Kepala {name}"),
            ("pengawas", f"Kepala Seksi Perencanaan ({name})"),
            ("pengawas", f"Kepala Seksi Pembinaan ({name})"),
        ],
        "bagian": [
            ("administrator", f"Kepala {name}"),
            ("pengawas", f"Kepala Subbagian Administrasi ({name})"),
        ],
        "kecamatan": [
            ("administrator", "Camat"),
            ("pengawas", "Kepala Seksi Pemerintahan"),
            ("pengawas", "Kepala Seksi Pelayanan Umum"),
        ],
        "puskesmas": [
            ("pengawas", f"Kepala {name}"),
            ("pengawas", f"Kepala Subbagian Tata Usaha {name}"),
        ],
        "instalasi": [("pengawas", f"Kepala {name}")],
        "uptd": [("pengawas", f"Kepala {name}")],
    }.get(kind, [])
    if name.startswith("Inspektur Pembantu"):
        heads = [("administrator", name)]  # an Irban is itself the post; its staff are auditors
    for family, title in heads:
        technical = structural_technical(kind, title, field_, catalogues)
        registry.add(unit, title, family, field_, None, technical)


@cache
def _structural_standards() -> tuple[tuple[str, re.Pattern[str] | None, str, list[str]], ...]:
    """The rows of ``structural_standards.csv`` beside this module: unit type, title pattern
    and field (each empty for any), and the technical competencies of the posts they match."""
    path = Path(__file__).with_name("structural_standards.csv")
    with path.open(encoding="utf-8") as handle:
        return tuple(
            (
                row["unit_type"],
                re.compile(row["title_pattern"], re.IGNORECASE) if row["title_pattern"] else None,
                row["field"],
                row["technical_competencies"].split(";"),
            )
            for row in csv.DictReader(handle)
        )


def structural_technical(
    unit_type: str, title: str, field_: str, catalogues: Catalogues
) -> list[str]:
    """The technical competencies of a structural post: those of its own function (a
    sekretariat's planning, finance and staffing; a school office's management and
    supervision, not a teacher's lesson planning), from the first matching row of
    ``structural_standards.csv``; otherwise the first three of its unit's field."""
    for kind, pattern, of_field, codes in _structural_standards():
        if kind and kind != unit_type:
            continue
        if pattern is not None and not pattern.search(title):
            continue
        if of_field and of_field != field_:
            continue
        return codes
    return catalogues.field_codes[field_][:3]


def _allowed_occupations(unit: Unit, catalogues: Catalogues) -> tuple[np.ndarray, np.ndarray]:
    """Occupation row indices a unit employs and their relative weights."""
    occ = catalogues.occupations
    share = occ["share"].astype(float).to_numpy()
    kind, field_ = unit.unit_type, unit.field
    pelaksana = (occ["ladder"] == "pelaksana").to_numpy()
    own_field = (occ["field"] == field_).to_numpy()
    if kind in ("sekolah", "puskesmas", "instalasi"):
        weights = np.where(own_field & ~pelaksana, share, 0.0)
        weights += np.where(pelaksana, share * 0.3, 0.0)
    elif kind == "pimpinan":
        weights = np.zeros(len(occ))
    else:
        support = occ["field"].isin(["perencanaan", "keuangan", "kepegawaian"]).to_numpy()
        weights = np.where(own_field & ~pelaksana, share * 4, 0.0)
        weights += np.where(support & ~pelaksana & ~own_field, share * 0.3, 0.0)
        weights += np.where(pelaksana, share * 3.0, 0.0)
        if field_ != "pendidikan":
            weights[(occ["field"] == "pendidikan").to_numpy() & ~pelaksana] = 0.0
        if field_ != "kesehatan":
            weights[(occ["field"] == "kesehatan").to_numpy() & ~pelaksana] = 0.0
    index = np.flatnonzero(weights > 0)
    return index, weights[index] / weights[index].sum() if len(index) else weights[index]
