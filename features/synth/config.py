"""Generator configuration: scale, seed, years, and the regions of the synthetic world."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Region:
    """A pemerintah daerah: its name, type, share of the ASN and number of kecamatan."""

    code: str
    name: str
    region_type: str
    share: float
    kecamatan: int
    hospital: str


#: Provinsi Gorontalo and its six kabupaten/kota. Shares are a heuristic split of the ~31,898
#: ASN (no official per-region split found); kecamatan counts are the real ones.
GORONTALO: tuple[Region, ...] = (
    Region("PROV", "Provinsi Gorontalo", "provinsi", 0.22, 0, "RSUD dr. Hasri Ainun Habibie"),
    Region("KAB", "Kabupaten Gorontalo", "kabupaten", 0.21, 19, "RSUD Dr. M.M. Dunda Limboto"),
    Region("KOTA", "Kota Gorontalo", "kota", 0.15, 9, "RSUD Prof. Dr. H. Aloei Saboe"),
    Region("BONBOL", "Kabupaten Bone Bolango", "kabupaten", 0.13, 18, "RSUD Toto Kabila"),
    Region("POH", "Kabupaten Pohuwato", "kabupaten", 0.11, 13, "RSUD Bumi Panua"),
    Region("BOA", "Kabupaten Boalemo", "kabupaten", 0.10, 7, "RSUD Tani dan Nelayan"),
    Region("GORUT", "Kabupaten Gorontalo Utara", "kabupaten", 0.08, 11, "RSUD Zainal Umar Sidiki"),
)

PROVINCE_ASN = 31_898  # BKN, April 2025 (about)
NATIONAL_ASN = 5_588_245  # BKN, 2025-11-01
NATIONAL_REGIONS = 552  # 38 provinces + 514 kabupaten/kota


def national_regions() -> tuple[Region, ...]:
    """Synthetic stand-ins for Indonesia's 552 regional governments (names are generated).

    Central agencies (about a quarter of ASN) are not modelled; their share is spread over the
    regions so the total matches the national figure.
    """
    regions = []
    for i in range(NATIONAL_REGIONS):
        kind = "provinsi" if i < 38 else ("kota" if i % 5 == 0 else "kabupaten")
        label = {"provinsi": "Provinsi", "kota": "Kota", "kabupaten": "Kabupaten"}[kind]
        regions.append(
            Region(
                f"R{i:03d}",
                f"{label} Sintetis {i:03d}",
                kind,
                1.0 / NATIONAL_REGIONS,
                0 if kind == "provinsi" else 8 + i % 14,
                f"RSUD Sintetis {i:03d}",
            )
        )
    return tuple(regions)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. `employees` is the target number of active ASN at the end of
    `growth_end_year` (by default `end_year`); the simulation lands within a few percent of it
    (exits are random). Years after `growth_end_year` continue the same growth line: that is
    how the next cycle of a dataset is simulated without changing its earlier years."""

    employees: int = PROVINCE_ASN
    seed: int = 42
    start_year: int = 2016
    end_year: int = 2025
    regions: tuple[Region, ...] = GORONTALO
    file_format: str = "parquet"
    scale: str = "province"
    extras: dict[str, float] = field(default_factory=dict)
    growth_end_year: int | None = None

    @property
    def growth_end(self) -> int:
        """The year whose end the head count `employees` is planned for."""
        return self.end_year if self.growth_end_year is None else self.growth_end_year

    def next_cycle(self) -> GeneratorConfig:
        """The same world simulated one year further, with the same growth line."""
        return replace(self, end_year=self.end_year + 1, growth_end_year=self.growth_end)

    @classmethod
    def from_manifest(cls, config: Mapping[str, Any]) -> GeneratorConfig:
        """The configuration recorded in a dataset's manifest (`truth/manifest.json`)."""
        values = dict(config)
        values["regions"] = tuple(Region(**r) for r in values["regions"])
        values["extras"] = dict(values.get("extras") or {})
        return cls(**values)

    @classmethod
    def for_scale(
        cls, scale: str, employees: int | None = None, seed: int = 42, file_format: str = "parquet"
    ) -> GeneratorConfig:
        """Province (Gorontalo) or national defaults, optionally with another head count."""
        if file_format not in ("parquet", "csv"):
            raise ValueError(f"--format must be parquet or csv, not {file_format!r}")
        if scale == "province":
            config = cls(seed=seed, file_format=file_format)
        elif scale == "national":
            config = cls(
                employees=NATIONAL_ASN,
                seed=seed,
                regions=national_regions(),
                file_format=file_format,
                scale="national",
            )
        else:
            raise ValueError(f"--scale must be province or national, not {scale!r}")
        if employees is not None:
            if employees < 50:
                raise ValueError("--employees must be at least 50")
            config = replace(config, employees=employees)
        return config

    def first_regions(self, count: int) -> GeneratorConfig:
        """Only the first `count` regions, each as large as in the whole (a national dataset
        of 10 regions is about 100,000 ASN: the sizes of a scaling curve, a small test)."""
        if not 1 <= count <= len(self.regions):
            raise ValueError(f"--regions must be from 1 to {len(self.regions)}, not {count}")
        sizes = self.region_sizes()[:count]
        return replace(self, regions=self.regions[:count], employees=sum(sizes))

    def region_sizes(self) -> list[int]:
        """Active ASN per region at the end, summing exactly to `employees`."""
        total = sum(r.share for r in self.regions)
        raw = [self.employees * r.share / total for r in self.regions]
        sizes = [int(x) for x in raw]
        for i in sorted(range(len(raw)), key=lambda i: raw[i] - sizes[i], reverse=True):
            if sum(sizes) == self.employees:
                break
            sizes[i] += 1
        return sizes
