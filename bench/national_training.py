"""Training at national scale (issue 20): ``python -m bench.national_training`` (also part of
`make bench`) replaces its section of docs/benchmarks.md.

On the first 60 of the 552 national regions (38 provincial governments, 18 kabupaten, 4 kota;
about 600,000 ASN), with 6 regions held out by the design's seed:

- the training recommender (default settings) fitted on stratified samples of growing size
  (`SIZES`), each evaluated on the same held-out regions in the held-out cycle: how quality
  changes with the sample's size, and what each run costs;
- the **province model**: the same recommender fitted the province's way, on every person of
  three whole training regions (about 32,000 ASN, Gorontalo's size), evaluated on the same
  held-out regions: what the national sample is compared with (target: within 5%);
- the draw's cost per region, and from it the run's time for the country's 552 regions, said to
  be a projection.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import ROOT, measure
from bench.national import REGIONS, replace_section
from bench.steps import national

SECTION = "## National training"
DATA_REGIONS = 60
SIZES = (5_000, 10_000, 20_000, 40_000, 80_000)
METRICS = ("ndcg_at_10", "recall_at_10", "true_fit_gain_at_5")
PLOT = ROOT / "docs" / "national-training.png"


def training_lines(work: Path) -> list[str]:
    """Measure every sample size and the province model; the section's lines (plot beside)."""
    data = work / f"national-{DATA_REGIONS}"
    if not (data / "truth" / "manifest.json").is_file():
        measure(national.generate, regions=DATA_REGIONS, workers=2, out=str(data))
    url = f"sqlite:///{work / 'training.db'}"
    tracking, artifacts = f"sqlite:///{work / 'mlflow.db'}", str(work / "art")

    def train(size: int | None, regions: list[str] | None = None) -> dict[str, Any]:
        return measure(
            national.train_sample,
            data=str(data),
            size=size,
            url=url,
            tracking=tracking,
            artifacts=artifacts,
            regions=regions,
        )

    runs: dict[int | str, dict[str, Any]] = {size: train(size) for size in SIZES}
    province = _province_regions(data)
    runs["province"] = train(None, province)
    _plot(runs)
    return _lines(runs, province)


def _province_regions(data: Path) -> list[str]:
    """Three whole training regions, one of each kind (a provincial government, a kabupaten,
    a kota): about 32,000 ASN, as a province's own model is trained."""
    import json

    from training.national.sample import hold_out

    config = json.loads((data / "truth" / "manifest.json").read_text())["config"]
    kinds = {r["code"]: r["region_type"] for r in config["regions"]}
    training, _ = hold_out(list(kinds), 0.1, 0)
    return [
        next(r for r in training if kinds[r] == kind) for kind in ("provinsi", "kabupaten", "kota")
    ]


def _lines(runs: dict[int | str, dict[str, Any]], province: list[str]) -> list[str]:
    first = runs[SIZES[0]]["result"]
    lines = [
        SECTION,
        "",
        f"Measured by `python -m bench.national_training` on {dt.date.today():%Y-%m-%d}, "
        f"{os.cpu_count()} cores: `jenjang batch train` of the training recommender (default "
        f"settings) on the first {DATA_REGIONS} national regions "
        f"({first['population'] + first['held_out_people']:,}+ ASN in the window), "
        f"{first['held_out_regions']} regions held out by the design's seed; every model "
        f"evaluated on the same {first['held_out_people']:,} people of the held-out regions in "
        "the held-out cycle (true gains from the generator's truth). Time: the whole run (draw "
        "on 2 processes, fit, evaluation on the sample and on the held-out regions, MLflow "
        "logging and registration); peak: the run's process and its region readers, summed, "
        "sampled twice a second.",
        "",
        "| trained on | people | time | draw | fit | peak | "
        + " | ".join(f"held-out {m.replace('_at_', '@')}" for m in METRICS)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(METRICS),
    ]
    for key, run in runs.items():
        result = run["result"]
        stages = result["stages"]
        name = (
            f"province model: 3 whole regions ({', '.join(province)})"
            if key == "province"
            else f"stratified sample of {key:,}"
        )
        lines.append(
            f"| {name} | {result['people']:,} | {run['seconds']:.0f} s | "
            f"{stages['draw_sample'] + stages['draw_held_out']:.0f} s | "
            f"{stages['fit_learned']:.0f} s | {result['tree_peak_mib']:,.0f} MiB | "
            + " | ".join(
                f"{result['held_out'].get('held_out.' + m, float('nan')):.4f}" for m in METRICS
            )
            + " |"
        )
    base = runs["province"]["result"]["held_out"]
    lines += ["", "Against the province model on the same held-out regions:", ""]
    for size in SIZES:
        ratios = [
            runs[size]["result"]["held_out"]["held_out." + m] / base["held_out." + m]
            for m in METRICS
        ]
        within = all(r >= 0.95 for r in ratios)
        lines.append(
            f"- sample of {size:,}: "
            + ", ".join(
                f"{m.replace('_at_', '@')} {r:.1%}" for m, r in zip(METRICS, ratios, strict=True)
            )
            + (" (within 5%)" if within else " (**not** within 5%)")
        )
    country = REGIONS - round(REGIONS * 0.1)  # the training regions of the country
    lines += [
        "",
        f"**Projection, not a measurement**: a national run on the country's {country} "
        "training regions. The draw reads every training region twice, so its time grows with "
        "the regions (at the seconds per region each run measured); the rest of the run (fit, "
        "evaluations, logging) depends on the sample, not on the country (target ≤ 10 min):",
        "",
    ]
    for size in SIZES:
        run = runs[size]
        draw = run["result"]["stages"]["draw_sample"]
        per_region = draw / run["result"]["regions"]
        projected = per_region * country + run["seconds"] - draw
        lines.append(
            f"- sample of {size:,}: {per_region:.2f} s per region → about {projected / 60:.1f} min"
        )
    lines += [
        "",
        f"![quality against sample size]({PLOT.name})",
    ]
    return lines


def _plot(runs: dict[int | str, dict[str, Any]]) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.5))
    axes = figure.add_subplot()
    base = runs["province"]["result"]["held_out"]
    for metric, mark in zip(METRICS, "os^", strict=True):
        values = [
            runs[s]["result"]["held_out"]["held_out." + metric] / base["held_out." + metric]
            for s in SIZES
        ]
        axes.plot([s / 1000 for s in SIZES], values, mark + "-", label=metric.replace("_at_", "@"))
    axes.axhline(1.0, color="grey", lw=1)
    axes.axhline(0.95, color="grey", lw=1, ls="--")
    axes.set_xscale("log")
    axes.set_xlabel("sample size (thousand ASN)")
    axes.set_ylabel("held-out quality / province model")
    axes.set_title("National training: quality against sample size")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)


def main() -> None:
    work = Path(os.environ.get("JENJANG_BENCH_WORK") or tempfile.mkdtemp(prefix="jenjang-ntrain-"))
    lines = training_lines(work)
    replace_section(lines, SECTION)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
