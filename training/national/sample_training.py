"""`jenjang batch train`: a model fitted on a stratified national sample, evaluated on regions it
never saw, logged and registered like any other run.

The run is the province's (`training.run.fit_and_register`: the kind's fit, evaluation, report,
MLflow logging, registration and ``challenger``) on the sample's records instead of a
database's, with two additions: the sample's design (size, seed, strata, regions) in the run's
parameters, and the model's quality on the held-out regions in the held-out cycle as
``held_out.*`` metrics. Those are the figures to compare a national model with another (a
province's, or a smaller sample's) on the same held-out regions.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from features.schema import TABLES
from features.store.database import create_db_engine, migrate
from features.store.regions import region_records, regions_of
from training.kind import ModelKind, RunData, Trained
from training.kinds import kind_of
from training.national.sample import Progress, Sample, draw, hold_out, write_truth
from training.registry import RegistrySettings, metric_name
from training.run import Addendum, OnLap, Stopwatch, TrainResult, fit_and_register
from training.split import TemporalSplit


@dataclass(frozen=True)
class Design:
    """How a national run samples: `size` people from the training regions (None: all),
    `held_out_share` of the regions kept out, `evaluation_size` people drawn from those."""

    size: int | None
    seed: int = 0
    held_out_share: float = 0.1
    evaluation_size: int | None = 20_000


@dataclass(frozen=True)
class NationalResult:
    """The registered run, with the two samples it read."""

    run: TrainResult
    sample: Sample
    held_out: Sample
    held_out_metrics: dict[str, float]


def train_national(
    kind: ModelKind,
    settings: RegistrySettings,
    folder: Path,
    design: Design,
    on_lap: OnLap | None = None,
    progress: Progress | None = None,
    training_regions: list[str] | None = None,
    workers: int = 1,
) -> NationalResult:
    """Draw the sample and the held-out set, fit, evaluate on both, log and register
    `kind` as challenger. `training_regions` narrows the regions sampled (a province's, to
    compare with); the held-out regions are the design's whatever it says. Regions are read on
    `workers` processes."""
    clock = Stopwatch(on_lap)
    regions = regions_of(folder)
    training, held = hold_out(regions, design.held_out_share, design.seed)
    if training_regions is not None:
        unknown = sorted(set(training_regions) - set(training))
        if unknown:
            raise ValueError(f"regions {unknown} are held out or not in {folder}")
        training = training_regions
    truth = (Path(folder) / "truth" / "courses.parquet").is_file()
    kept_truth = kind.truth_dir
    with tempfile.TemporaryDirectory(prefix="jenjang-sample-") as work:
        split = _split(kind, folder, training)
        sample = draw(folder, training, design.size, design.seed, split, workers, progress)
        kind.truth_dir = write_truth(folder, sample, Path(work) / "sample") if truth else None
        clock.lap("draw_sample")
        evaluation = draw(
            folder, held, design.evaluation_size, design.seed, split, workers, progress
        )
        held_truth = write_truth(folder, evaluation, Path(work) / "held") if truth else None
        clock.lap("draw_held_out")
        engine = create_db_engine(settings.database_url)
        migrate(engine)  # earlier suggestions' feedback, and the alias history, live there
        scores: dict[str, float] = {}

        def held_out(trained: Trained, split: TemporalSplit) -> dict[str, float]:
            scores.update(evaluate_held_out(kind, trained, evaluation, held_truth, split, engine))
            return scores

        try:
            run = fit_and_register(
                kind,
                settings,
                RunData(engine, sample.records, sample.protected),
                clock,
                Addendum(
                    design_params(design, sample, evaluation) | {"sample.data": str(folder)},
                    held_out,
                    records_of_database=False,
                ),
            )
        finally:
            kind.truth_dir = kept_truth  # the sample's truth goes with the temporary folder
    return NationalResult(run, sample, evaluation, scores)


def _split(kind: ModelKind, folder: Path, regions: list[str]) -> TemporalSplit:
    """The kind's split, read from the first whole region that has training records: it fixes
    the window the sample is drawn in (the regions of one export share its extraction date)."""
    for region in regions:
        records, _ = region_records(folder, region, tuple(TABLES), "probe")
        if len(records["training_records"]):
            return kind.split(records)
    raise ValueError(f"no training region of {folder} has training records: nothing to learn")


def evaluate_held_out(
    kind: ModelKind,
    trained: Trained,
    evaluation: Sample,
    truth: Path | None,
    split: TemporalSplit,
    engine: sa.Engine,
) -> dict[str, float]:
    """The fitted model's overall metrics on the held-out regions in the held-out cycle,
    against their truth where the dataset has one, as ``held_out.<metric>``."""
    judge = kind_of(kind.name, truth)
    data = RunData(engine, evaluation.records, evaluation.protected)
    overall = judge.evaluate([trained.learned], data, split.test_year)
    row = overall.iloc[0]
    return {
        f"held_out.{metric_name(str(name))}": float(value)
        for name, value in row.items()
        if isinstance(value, int | float) and name != "people"
    }


def design_params(design: Design, sample: Sample, evaluation: Sample) -> dict[str, object]:
    """The sample's design as run parameters: enough to draw the same people again."""
    return {
        "sample.size": sample.size,
        "sample.requested": design.size if design.size is not None else "all",
        "sample.seed": design.seed,
        "sample.strata": "region,family,grade",
        "sample.strata_count": sample.strata,
        "sample.population": sample.population,
        "sample.regions": len(sample.regions),
        "held_out.share": design.held_out_share,
        "held_out.regions": ",".join(evaluation.regions),
        "held_out.people": evaluation.size,
    }
