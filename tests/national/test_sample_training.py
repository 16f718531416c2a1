"""Training at national scale: a stratified sample of the training regions, evaluated on
held-out regions, logged with its design in MLflow (`training.national.sample_training`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from features.store.regions import partition, region_records, regions_of
from service.cli import app
from tests.conftest import TINY
from training import registry
from training.courses.kind import TrainConfig, TrainingRecs
from training.national.sample import allocate, draw, hold_out, strata_of
from training.national.sample_training import Design, train_national
from training.registry import RegistrySettings
from training.split import TemporalSplit

SPLIT = TemporalSplit.last_cycles(2025)


def test_held_out_regions_are_a_seeded_share_never_trained_on() -> None:
    regions = [f"R{n:03d}" for n in range(40)]
    training, held = hold_out(regions, 0.1, seed=3)
    assert len(held) == 4 and not set(training) & set(held)
    assert sorted(training + held) == regions
    assert hold_out(regions, 0.1, seed=3) == (training, held)  # the seed fixes them
    assert hold_out(regions, 0.1, seed=4)[1] != held
    with pytest.raises(ValueError, match="at least two"):
        hold_out(["R000"], 0.1, seed=0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        hold_out(regions, 1.0, seed=0)


@given(
    counts=st.lists(st.integers(0, 5000), min_size=1, max_size=60).filter(lambda c: sum(c) > 0),
    share=st.floats(0.0, 1.0),
)
def test_allocation_is_proportional_and_adds_up_exactly(counts: list[int], share: float) -> None:
    population = pd.Series(counts, index=[f"s{i:02d}" for i in range(len(counts))])
    size = int(share * population.sum())
    quotas = allocate(population, size)
    assert quotas.sum() == size
    assert (quotas <= population).all()
    exact = population * size / population.sum()
    assert (np.abs(quotas - exact) < 1).all()  # within one person of its proportional share


def test_asking_more_than_the_population_is_refused() -> None:
    with pytest.raises(ValueError, match="sample of 11 asked from a population of 10"):
        allocate(pd.Series([4, 6]), 11)


@pytest.mark.slow
def test_the_sample_is_stratified_reproducible_and_whole_per_person(
    national_dataset: Path,
) -> None:
    regions = regions_of(national_dataset)
    sample = draw(national_dataset, regions, 300, seed=5, split=SPLIT)
    again = draw(national_dataset, list(reversed(regions)), 300, seed=5, split=SPLIT, workers=2)
    people = sample.records["employees"]["employee_id"]
    assert sample.size == 300 and sorted(people) == sorted(
        again.records["employees"]["employee_id"]
    )
    assert set(
        draw(national_dataset, regions, 300, 6, SPLIT).records["employees"]["employee_id"]
    ) != set(people)
    # every region, family and grade shows in the sample in proportion to the population
    population = pd.concat(
        {
            r: strata_of(region_records(national_dataset, r, _STRATA, "t")[0], SPLIT)
            for r in regions
        },
        names=["region", "employee_id"],
    ).reset_index()
    drawn = population[population["employee_id"].isin(people)]
    for column in ("region", "family"):
        expected = population[column].value_counts() * 300 / len(population)
        got = drawn[column].value_counts().reindex(expected.index, fill_value=0)
        assert (np.abs(got - expected) <= expected.size).all(), column  # rounding per stratum
    # a drawn person comes with every one of their records (read as an ingest reads them)
    person = people.iloc[0]
    region = population.set_index("employee_id").at[person, "region"]
    whole, _ = region_records(national_dataset, region, ("training_records", "courses"), "t")
    theirs = whole["training_records"].query("employee_id == @person")
    mine = sample.records["training_records"].query("employee_id == @person")
    assert len(mine) == len(theirs) > 0 and mine["course_id"].notna().any()
    assert set(sample.protected.index) == set(people)  # sex and birth date, apart


_STRATA = ("employees", "position_history", "positions", "units", "grade_history")


@pytest.mark.slow
def test_a_national_run_logs_its_sample_and_its_held_out_quality(
    national_dataset: Path, tmp_path: Path
) -> None:
    settings = RegistrySettings(
        database_url=f"sqlite:///{tmp_path / 'jenjang.db'}",
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=str(tmp_path / "artifacts"),
    )
    kind = TrainingRecs(TrainConfig(recommender=TINY))
    design = Design(size=700, seed=2, held_out_share=0.34, evaluation_size=400)
    result = train_national(kind, settings, national_dataset, design)
    _, held = hold_out(regions_of(national_dataset), 0.34, seed=2)
    assert result.held_out.regions == tuple(held) and len(held) == 1
    assert not set(result.sample.regions) & set(held)
    assert result.sample.size == 700 and result.held_out.size == 400
    client = registry.configure(settings)
    run = client.get_run(result.run.run_id)
    assert run.data.params["sample.size"] == "700"
    assert run.data.params["sample.seed"] == "2"
    assert run.data.params["sample.strata"] == "region,family,grade"
    assert run.data.params["held_out.regions"] == held[0]
    for metric in ("held_out.ndcg_at_10", "held_out.recall_at_10", "held_out.true_fit_gain_at_5"):
        assert math.isfinite(run.data.metrics[metric]), metric
    assert math.isfinite(run.data.metrics["ndcg_at_10"])  # the sample's own held-out cycle
    assert registry.alias_version(client, kind.name, registry.CHALLENGER) == result.run.version
    tags = client.get_model_version(kind.name, result.run.version).tags
    assert tags["data_snapshot"].startswith("sample-2")


def test_the_command_refuses_a_folder_that_is_not_national(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["batch", "train", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a dataset partitioned by region" in result.output


def test_the_command_refuses_an_unknown_model(national_dataset: Path) -> None:
    result = CliRunner().invoke(
        app, ["batch", "train", "--data", str(national_dataset), "--model", "horoscope"]
    )
    assert result.exit_code == 2 and "unknown model 'horoscope'" in result.output


def test_a_missing_region_table_is_named(national_dataset: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(national_dataset, copy)
    region = regions_of(copy)[0]
    partition(copy, "grade_history", region).unlink()
    with pytest.raises(FileNotFoundError, match=f"region {region} has no grade_history"):
        draw(copy, [region], 50, seed=0, split=SPLIT)


def test_a_key_clash_in_a_region_file_names_its_row(tmp_path: Path) -> None:
    from features.store.regions import once

    rows = pd.DataFrame(
        {
            "agency_id": ["A", "A", "B", "C", "B", "A"],
            "name": ["a", "a", "b", "c", "another b", "another a"],
            "region": "r",
            "region_type": "provinsi",
            "field": None,
        }
    )
    kept = once(rows.iloc[:4], "agencies", tmp_path / "agencies.parquet")
    assert kept["agency_id"].tolist() == ["A", "B", "C"]  # an exact repeat kept once
    with pytest.raises(ValueError, match=r"agencies.parquet, row 4: .*agency_id=B"):
        once(rows, "agencies", tmp_path / "agencies.parquet")
