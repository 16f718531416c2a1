"""The synthetic generator: deterministic, calibrated, with its mechanisms really present."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import reference
from features.schema import TABLES
from features.synth import GeneratorConfig, generate_dataset, mechanisms
from features.synth.calibration import compare


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    config = GeneratorConfig.for_scale("province", employees=150, seed=11)
    generate_dataset(config, tmp_path / "a")
    generate_dataset(config, tmp_path / "b")
    generate_dataset(GeneratorConfig.for_scale("province", employees=150, seed=12), tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert (
        _digest(tmp_path / "a")["employees.parquet"] != _digest(tmp_path / "c")["employees.parquet"]
    )


def test_observable_tables_follow_the_schema_and_truth_stays_apart(small_dataset: Path) -> None:
    for name, spec in TABLES.items():
        frame = pd.read_parquet(small_dataset / f"{name}.parquet")
        assert list(frame.columns) == spec.column_names, name
    truth = {p.stem for p in (small_dataset / "truth").iterdir()}
    assert {
        "people",
        "levels",
        "course_takes",
        "placements",
        "placement_candidates",
        "courses",
        "manifest",
    } <= truth
    observable = set().union(*(t.column_names for t in TABLES.values()))
    assert not {"ability", "true_gain", "true_success_probability"} & observable


def test_nips_are_unique_and_consistent(small_dataset: Path) -> None:
    employees = pd.read_parquet(small_dataset / "employees.parquet")
    assert employees["nip"].is_unique
    born = pd.to_datetime(employees["birth_date"]).dt.strftime("%Y%m%d")
    assert (employees["nip"].str[:8] == born).all()
    assert (employees["nip"].str[14].map({"1": "M", "2": "F"}) == employees["sex"]).all()


def test_band_weight_is_one_inside_and_falls_outside() -> None:
    levels = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    weight = mechanisms.band_weight(levels, 2.0, 3.0)
    assert weight[1] == weight[2] == 1.0
    assert weight[0] < 1.0 and weight[4] < weight[3] < 1.0


def test_learners_in_a_course_band_gain_more(small_dataset: Path) -> None:
    truth = small_dataset / "truth"
    takes = pd.read_parquet(truth / "course_takes.parquet")
    takes["year"] = takes["start_date"].dt.year
    levels = pd.read_parquet(truth / "levels.parquet")
    main = (
        reference.load("course_competencies")
        .sort_values("nominal_gain")
        .groupby("course_id")
        .tail(1)
        .set_index("course_id")
    )
    takes = takes[takes["course_id"].isin(main.index) & (takes["year"] > 2016)]
    before = levels.set_index(["employee_id", "year"])
    rows = []
    for take in takes.itertuples():
        key = (take.employee_id, take.year - 1)
        if key not in before.index:
            continue
        code = main.at[take.course_id, "competency_code"]
        level = before.at[key, code] / 100
        band = (
            float(main.at[take.course_id, "level_min"]) - 0.5
            <= level
            <= float(main.at[take.course_id, "level_max"]) + 0.5
        )
        rows.append((band, take.true_gain))
    gains = pd.DataFrame(rows, columns=["in_band", "gain"]).groupby("in_band")["gain"].mean()
    assert gains[True] > 1.5 * gains[False]


def test_each_take_carries_its_own_effect(small_dataset: Path) -> None:
    takes = pd.read_parquet(small_dataset / "truth" / "course_takes.parquet")
    takes["year"] = takes["start_date"].dt.year
    several = takes.groupby(["employee_id", "year"]).filter(lambda g: len(g) >= 3)
    repeated = several.groupby(["employee_id", "year"])["true_fit_gain"].agg(
        lambda gains: gains.nunique() == 1 and gains.iloc[0] > 0
    )
    assert len(repeated) > 50 and not repeated.any()  # no yearly figure copied onto each take
    assert (takes["true_fit_gain"] == 0).any() and (takes["true_fit_gain"] > 0).any()
    assert (takes["true_gain"] >= 0).all() and takes["true_fit_gain"].ge(-1e-9).all()


def test_ratings_follow_true_performance(small_dataset: Path) -> None:
    evaluations = pd.read_parquet(small_dataset / "evaluations.parquet")
    performance = pd.read_parquet(small_dataset / "truth" / "performance.parquet")
    merged = evaluations.merge(performance, on=["employee_id", "year"])
    numeric = merged[merged["scheme"] == "numeric_2011"]
    assert numeric["score"].corr(numeric["performance"]) > 0.8
    ordinal = {"sangat_baik": 5, "baik": 4, "butuh_perbaikan": 3, "kurang": 2, "sangat_kurang": 1}
    recent = merged[merged["scheme"] == "predikat_2022"]
    assert recent["rating"].map(ordinal).corr(recent["performance"], method="spearman") > 0.4


def test_the_forced_distribution_caps_baik_in_baik_units(small_dataset: Path) -> None:
    evaluations = pd.read_parquet(small_dataset / "evaluations.parquet")
    units = pd.read_parquet(small_dataset / "unit_evaluations.parquet")
    merged = evaluations.merge(units, on=["unit_id", "year"], suffixes=("", "_unit"))
    in_baik_units = merged[merged["rating_unit"] == "baik"]
    share = (in_baik_units["rating"] == "baik").mean()
    assert 0.5 < share <= 0.72


def test_placement_success_follows_true_fit(small_dataset: Path) -> None:
    placements = pd.read_parquet(small_dataset / "truth" / "placements.parquet")
    assert len(placements) > 20
    assert placements["true_fit"].corr(placements["true_success_probability"]) > 0.8


def test_generation_refuses_bad_options() -> None:
    with pytest.raises(ValueError, match="--scale"):
        GeneratorConfig.for_scale("kecamatan")
    with pytest.raises(ValueError, match="--employees"):
        GeneratorConfig.for_scale("province", employees=3)
    national = GeneratorConfig.for_scale("national")
    assert len(national.regions) == 552 and sum(national.region_sizes()) == 5_588_245


@pytest.mark.slow
def test_province_scale_matches_the_calibration_targets(province_dataset: Path) -> None:
    table = compare(province_dataset)
    misses = table[~table["ok"]]
    assert misses.empty, misses[["statistic", "target", "measured", "tolerance"]].to_string()
    employees = pd.read_parquet(province_dataset / "employees.parquet")
    active = employees["exit_date"].isna().sum()
    assert abs(active - 31_898) / 31_898 < 0.03


@pytest.mark.slow
def test_historical_placements_carry_a_findable_bias(province_dataset: Path) -> None:
    candidates = pd.read_parquet(province_dataset / "truth" / "placement_candidates.parquet")
    sex = pd.read_parquet(province_dataset / "employees.parquet").set_index("employee_id")["sex"]
    rates = (
        candidates.assign(sex=candidates["employee_id"].map(sex)).groupby("sex")["chosen"].mean()
    )
    assert rates["F"] / rates["M"] < 0.9  # impact ratio visibly below parity
    chosen = candidates[candidates["chosen"]]
    best = candidates.groupby("vacancy")["true_success_probability"].max()
    assert (
        chosen.set_index("vacancy")["true_success_probability"] < best[chosen["vacancy"]].to_numpy()
    ).mean() > 0.3


def test_national_regions_in_parallel_give_the_same_bytes_as_in_one_process(
    tmp_path: Path,
) -> None:
    """Region-parallel generation: one or two workers write the same files, and a region's rows
    are the ones the one-process generator writes for it, NIPs included (their serials are
    unique nationally, so they are issued in region order)."""
    from dataclasses import replace

    from features.store.regions import partition, regions_of
    from features.synth.partitioned import generate_partitioned

    config = replace(GeneratorConfig.for_scale("national", seed=5).first_regions(3), employees=300)
    generate_partitioned(config, tmp_path / "one", workers=1)
    generate_partitioned(config, tmp_path / "two", workers=2)
    one, two = _digest(tmp_path / "one"), _digest(tmp_path / "two")
    assert one == two
    assert regions_of(tmp_path / "one") == ["R000", "R001", "R002"]
    assert "employees/region=R002/part-0.parquet" in one
    assert "truth/course_takes/region=R001/part-0.parquet" in one

    generate_dataset(config, tmp_path / "flat")
    for name in ("employees", "position_history", "training_records", "evaluations"):
        flat = pd.read_parquet(tmp_path / "flat" / f"{name}.parquet")
        parts = pd.concat(
            [
                pd.read_parquet(partition(tmp_path / "one", name, r))
                for r in ("R000", "R001", "R002")
            ],
            ignore_index=True,
        )
        pd.testing.assert_frame_equal(parts, flat, check_dtype=False)
    employees = pd.read_parquet(tmp_path / "one" / "employees")
    assert employees["nip"].is_unique and len(employees) > 300


def test_national_generation_refuses_bad_options(tmp_path: Path) -> None:
    from features.synth.partitioned import generate_partitioned

    config = GeneratorConfig.for_scale("national", seed=5)
    with pytest.raises(ValueError, match="--regions must be from 1 to 552"):
        config.first_regions(553)
    with pytest.raises(ValueError, match="--workers must be at least 1"):
        generate_partitioned(config.first_regions(1), tmp_path, workers=0)
    csv = GeneratorConfig.for_scale("national", seed=5, file_format="csv").first_regions(1)
    with pytest.raises(ValueError, match="partitioned by region is written as Parquet"):
        generate_partitioned(csv, tmp_path, workers=1)
