"""`jenjang batch score --engine spark`: the country's answers are the province path's answers.

A national job is only worth its name if it says, person by person, what `jenjang score` would
say with the same model on the same day, however Spark cuts the work and whatever fails on the
way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import mlflow
import pandas as pd
import pytest

from tests.national.conftest import AS_OF
from training.answers import MANIFEST
from training.contract import TRAINING_RECS, Data, served
from training.national.scoring import read_answers, score_country

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from features.asof.records import Records

pytestmark = [pytest.mark.slow, pytest.mark.spark]

KEY = ["employee_id", "rank"]


def _run(
    spark: SparkSession,
    data: Path,
    out: Path,
    champion_model: tuple[str, Path],
    partitions: int | None = None,
    fail_once: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, dict[str, object]]:
    version, folder = champion_model
    written = score_country(
        spark,
        data,
        out,
        folder,
        TRAINING_RECS,
        version,
        AS_OF,
        partitions=partitions,
        fail_once=fail_once,
    )
    manifest = json.loads((written.folder / MANIFEST).read_text())
    answers = read_answers(written.folder).sort_values(KEY, ignore_index=True)
    return answers, manifest


def _in_process(country: tuple[Records, pd.Series], folder: Path) -> pd.DataFrame:
    """What the province path answers for everyone of the whole dataset at once."""
    records, births = country
    model = served(mlflow.pyfunc.load_model(str(folder), suppress_warnings=True))
    model.use_data(Data(records, births))
    rows = [row for chunk in model.precompute(AS_OF, model.depth) for row in chunk]  # type: ignore[attr-defined]
    return pd.DataFrame(rows).sort_values(KEY, ignore_index=True)


@pytest.fixture(scope="module")
def by_region(national_answers: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    """The job as run by default: one task per region (`national_answers`)."""
    (folder,) = national_answers.glob("*/version=*/as_of=*/snapshot=*")
    manifest = json.loads((folder / MANIFEST).read_text())
    return read_answers(folder).sort_values(KEY, ignore_index=True), manifest


def test_every_person_gets_the_answer_of_the_province_path(
    by_region: tuple[pd.DataFrame, dict[str, object]],
    whole_country: tuple[Records, pd.Series],
    champion_model: tuple[str, Path],
) -> None:
    answers, manifest = by_region
    expected = _in_process(whole_country, champion_model[1])
    answers = answers.assign(reasons=[json.loads(text) for text in answers["reasons"]])
    assert len(expected) > 5000  # 3 regions of about 500 active people, 10 courses each
    assert expected["employee_id"].nunique() > 1000
    pd.testing.assert_frame_equal(answers[list(expected.columns)], expected, check_dtype=False)
    # what the service needs beside the answer: which version said it, on which day, where
    assert set(answers["model_version"]) == {champion_model[0]}
    assert set(answers["as_of"]) == {AS_OF.date().isoformat()}
    assert set(answers["region"]) == {"R000", "R001", "R002"}
    assert set(answers.groupby("employee_id")["region"].nunique()) == {1}
    assert manifest["subjects"] == expected["employee_id"].nunique()
    assert manifest["rows"] == len(expected)
    assert manifest["version"] == champion_model[0] and manifest["depth"] == 10
    # the reasons came through whole: a code and both languages' sentences
    said = [one for reasons in answers["reasons"] for one in reasons]
    assert len(said) > len(answers) / 2
    assert all(one["code"] and one["text_id"] and one["text_en"] for one in said)


def test_a_day_before_the_models_cutoff_is_refused_before_any_work(
    spark: SparkSession, national_dataset: Path, champion_model: tuple[str, Path], tmp_path: Path
) -> None:
    version, folder = champion_model
    with pytest.raises(ValueError, match="before training-recs v1's training cutoff"):
        score_country(
            spark,
            national_dataset,
            tmp_path,
            folder,
            TRAINING_RECS,
            version,
            pd.Timestamp("2018-01-01"),
        )
    assert not list(tmp_path.iterdir())


def test_partition_boundaries_change_nothing(
    spark: SparkSession,
    national_dataset: Path,
    champion_model: tuple[str, Path],
    by_region: tuple[pd.DataFrame, dict[str, object]],
    tmp_path: Path,
) -> None:
    for partitions in (1, 7):
        answers, _ = _run(
            spark, national_dataset, tmp_path / str(partitions), champion_model, partitions
        )
        pd.testing.assert_frame_equal(answers, by_region[0])


def test_a_failed_task_is_retried_without_writing_any_answer_twice(
    spark: SparkSession,
    national_dataset: Path,
    champion_model: tuple[str, Path],
    by_region: tuple[pd.DataFrame, dict[str, object]],
    tmp_path: Path,
) -> None:
    """The task holding R001 fails on its first attempt after writing part of R001's answers:
    Spark tries it again, and only the second attempt's rows are in the set."""
    context = spark.sparkContext
    context.setJobGroup("a task fails once", "retry test")
    answers, manifest = _run(
        spark, national_dataset, tmp_path, champion_model, partitions=2, fail_once=("R001",)
    )
    tracker = context.statusTracker()
    failed = [
        tracker.getStageInfo(stage).numFailedTasks  # type: ignore[union-attr]
        for job in tracker.getJobIdsForGroup("a task fails once")
        for stage in tracker.getJobInfo(job).stageIds  # type: ignore[union-attr]
    ]
    context.setJobGroup("after the retry test", "")
    assert sum(failed) == 1  # the failure did happen, and once
    assert not answers.duplicated(KEY).any()
    pd.testing.assert_frame_equal(answers, by_region[0])
    assert manifest["rows"] == len(by_region[0])
    assert not list(tmp_path.rglob(".writing-*"))  # nothing half-written left behind
    assert not list(tmp_path.rglob(".part-*"))
