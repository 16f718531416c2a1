"""National scale on this machine (issue 20): `make bench` runs it after the province steps, with
the champions they trained; ``python -m bench.national`` runs it alone (training both champions
on the province first) and replaces only its section of docs/benchmarks.md.

Measured: region-parallel generation of 0.1, 0.5 and 1 million ASN (the first 10, 50 and 100 of
the 552 regions) on 2 worker processes; ``jenjang batch score --engine spark`` over each on
``local[2]``, and over the smallest on ``local[1]`` too (the speed-up of a second core); the
time against size as a table and a plot (docs/national-scaling.png). The whole country (552
regions, 5.6 million) is projected from the largest size measured, and said to be a projection.
``JENJANG_BENCH_NATIONAL_REGIONS`` (comma-separated) measures other sizes, ``552`` included.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import ROOT, measure
from bench.steps import dataset, national

NATIONAL = 5_588_245
REGIONS = 552
SIZES = (10, 50, 100)
PLOT = ROOT / "docs" / "national-scaling.png"
SECTION = "## National scale"


def sizes() -> tuple[int, ...]:
    chosen = os.environ.get("JENJANG_BENCH_NATIONAL_REGIONS")
    return tuple(int(x) for x in chosen.split(",")) if chosen else SIZES


def national_lines(work: Path, tracking: str, artifacts: str) -> list[str]:
    """Measure every size; the section of docs/benchmarks.md (its plot written beside it)."""
    points: list[dict[str, Any]] = []
    for regions in sizes():
        data = work / f"national-{regions}"
        gen = measure(national.generate, regions=regions, workers=2, out=str(data))
        runs = {}
        for master in ("local[2]", "local[1]") if regions == min(sizes()) else ("local[2]",):
            runs[master] = measure(
                national.batch_score,
                data=str(data),
                out=str(work / f"answers-{regions}-{master[6]}"),
                master=master,
                tracking=tracking,
                artifacts=artifacts,
            )
        index = measure(
            national.batch_index,
            data=str(data),
            out=str(work / f"index-{regions}"),
            master="local[2]",
            tracking=tracking,
            artifacts=artifacts,
        )
        found = measure(
            national.search,
            index=str(work / f"index-{regions}"),
            tracking=tracking,
            artifacts=artifacts,
        )
        points.append(
            {
                "regions": regions,
                "asn": gen["result"]["asn"],
                "gen": gen,
                "runs": runs,
                "index": index,
                "search": found,
            }
        )
    largest = points[-1]
    country = measure(
        national.country_index,
        index=str(work / f"index-{largest['regions']}"),
        out=str(work / "index-country"),
        asn=largest["asn"],
        people=NATIONAL,
    )
    country_search = measure(
        national.search, index=str(work / "index-country"), tracking=tracking, artifacts=artifacts
    )
    _plot(points)
    return _lines(points, country, country_search)


def _lines(
    points: list[dict[str, Any]], country: dict[str, Any], country_search: dict[str, Any]
) -> list[str]:
    machine = f"{os.cpu_count()} cores"
    lines = [
        SECTION,
        "",
        f"Measured by `python -m bench.national` (also part of `make bench`) on "
        f"{dt.date.today():%Y-%m-%d}, {machine}. Generation: `generate_partitioned` on 2 worker "
        "processes (peak: the parent's and the largest worker's). Batch scoring: `jenjang batch "
        "score --engine spark` as a user runs it, the champion trained on the province with "
        "default settings, top 10 with reasons for everyone; its peak is the whole process tree "
        "(driver, JVM, Python workers), sampled every 0.5 s; its time includes starting Spark.",
        "",
        "| ASN (regions) | generation | ASN/s | batch score, local[2] | people/s | peak |",
        "|---|---|---|---|---|---|",
    ]
    for p in points:
        gen, run = p["gen"], p["runs"]["local[2]"]
        lines.append(
            f"| {p['asn']:,} ({p['regions']}) | {gen['seconds']:.0f} s, peak "
            f"{gen['peak_mib']:,.0f} + {gen['result']['worker_peak_mib']:,.0f} MiB/worker | "
            f"{p['asn'] / gen['seconds']:,.0f} | {run['seconds']:.0f} s | "
            f"{p['asn'] / run['seconds']:,.0f} | {run['result']['tree_peak_mib']:,.0f} MiB |"
        )
    lines += [
        "",
        "Vacancy search (`jenjang batch index` on local[2], then `VacancyIndex.search`: a post's "
        "top 10 among the eligible of its family in the whole country, ranked by the placement "
        "champion; 60 structural posts drawn at random. Cold: the first search, which reads the "
        "index into memory; the others find it there):",
        "",
        "| ASN | index build | largest family pool | cold (max) | p50 | p99 | search peak |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in points:
        index, found = p["index"], p["search"]["result"]
        lines.append(
            f"| {p['asn']:,} | {index['seconds']:.0f} s, peak "
            f"{index['result']['tree_peak_mib']:,.0f} MiB | {max(found['pools'].values()):,} | "
            f"{found['cold_max_ms']:.0f} ms | "
            f"{found['p50_ms']:.0f} ms | {found['p99_ms']:.0f} ms | "
            f"{p['search']['peak_mib']:,.0f} MiB |"
        )
    copies, found = country["result"], country_search["result"]
    lines.append(
        f"| **{copies['asn']:,}** ({copies['copies']} copies of the {points[-1]['asn']:,}) | "
        f"copied in {country['seconds']:.0f} s | {max(found['pools'].values()):,} | "
        f"{found['cold_max_ms']:.0f} ms | **{found['p50_ms']:.0f} ms** | "
        f"**{found['p99_ms']:.0f} ms** | **{country_search['peak_mib']:,.0f} MiB** |"
    )
    lines += [
        "",
        f"The last row is a country-size index: the {points[-1]['asn']:,} ASN's index copied "
        f"{copies['copies']} times, each copy's regions, people, posts and agencies renamed "
        "(`bench.steps.national.country_index`), so a family holds as many eligible as the "
        "country's would. A search's work grows with its family's eligible, not with who they "
        f"are. Targets: p99 ≤ 1 s, ≤ 4 GB. The searching process holds "
        f"{found['held_mib']:,.0f} MiB of index for {found['people']:,} eligible people; its "
        "cold search is the index read into memory (the service does it at start).",
    ]
    first = points[0]
    if "local[1]" in first["runs"]:
        one, two = first["runs"]["local[1]"]["seconds"], first["runs"]["local[2]"]["seconds"]
        lines += [
            "",
            f"Scaling, same job on {first['asn']:,} ASN: local[1] {one:.0f} s, local[2] "
            f"{two:.0f} s: speed-up **{one / two:.2f}×** (target ≥ 1.6×).",
        ]
    last = points[-1]
    if last["regions"] < REGIONS:
        gen_rate = last["asn"] / last["gen"]["seconds"]
        score_rate = last["asn"] / last["runs"]["local[2]"]["seconds"]
        lines += [
            "",
            f"**Projection, not a measurement**: at the rates of the largest size measured "
            f"({last['asn']:,} ASN), the whole country ({NATIONAL:,} ASN, {REGIONS} regions) "
            f"takes about {NATIONAL / gen_rate / 60:.0f} min to generate (target ≤ 30) and "
            f"{NATIONAL / score_rate / 60:.0f} min to score on local[2] (target ≤ 30). Memory "
            "does not grow with the size: a worker holds one region.",
        ]
    lines += ["", f"![time against size]({PLOT.name})"]
    return lines


def _plot(points: list[dict[str, Any]]) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.5))
    axes = figure.add_subplot()
    asn = [p["asn"] / 1e6 for p in points]
    axes.plot(asn, [p["gen"]["seconds"] / 60 for p in points], "o-", label="generation (2 workers)")
    axes.plot(
        asn,
        [p["runs"]["local[2]"]["seconds"] / 60 for p in points],
        "s-",
        label="batch score (local[2])",
    )
    axes.set_xlabel("million ASN")
    axes.set_ylabel("minutes")
    axes.set_title("National jobs: time against size (2 cores)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)


def replace_section(lines: list[str], section_title: str = SECTION) -> None:
    """Put a section into docs/benchmarks.md in place of the old one (or at its end)."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = "\n".join(lines) + "\n"
    pattern = re.compile(rf"^{re.escape(section_title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="jenjang-national-"))
    province = work / "province"
    measure(dataset.generate, scale="province", seed=42, regions=None, out=str(province))
    url = f"sqlite:///{work / 'bench.db'}"
    measure(dataset.ingest, folder=str(province), url=url)
    tracking, artifacts = f"sqlite:///{work / 'mlflow.db'}", str(work / "artifacts")
    measure(national.champion, url=url, tracking=tracking, artifacts=artifacts, truth=str(province))
    lines = national_lines(work, tracking, artifacts)
    replace_section(lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
