"""`jenjang batch …` and `jenjang data generate --scale national` refuse what they cannot do
with a clear error, before starting Spark or writing anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.settings import ServiceSettings

runner = CliRunner()


def _registry(monkeypatch: pytest.MonkeyPatch, settings: ServiceSettings) -> None:
    monkeypatch.setenv("JENJANG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("JENJANG_TRACKING_URI", settings.tracking_uri)
    monkeypatch.setenv("JENJANG_ARTIFACT_ROOT", settings.artifact_root)


def test_an_engine_other_than_spark_is_refused(national_dataset: Path, tmp_path: Path) -> None:
    done = runner.invoke(
        app,
        [
            "batch",
            "score",
            "--data",
            str(national_dataset),
            "--out",
            str(tmp_path),
            "--engine",
            "dask",
        ],
    )
    assert done.exit_code == 2 and "--engine must be one of spark, not 'dask'" in done.output


def test_a_province_folder_is_not_a_national_dataset(
    small_dataset: Path, tmp_path: Path, served: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _registry(monkeypatch, served)
    for command in ("score", "index"):
        done = runner.invoke(
            app, ["batch", command, "--data", str(small_dataset), "--out", str(tmp_path)]
        )
        assert done.exit_code == 2, done.output
        assert "is not a dataset partitioned by region" in done.output
    assert not list(tmp_path.iterdir())


def test_an_interrupted_generation_is_refused(national_dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    (copy / "employees" / "region=R000").mkdir(parents=True)
    (copy / "truth").mkdir()
    (copy / "truth" / "manifest.json").write_text(json.dumps({"complete": False}))
    done = runner.invoke(app, ["batch", "score", "--data", str(copy), "--out", str(tmp_path / "o")])
    assert done.exit_code == 2 and "holds an incomplete dataset" in done.output


def test_no_champion_is_said_plainly(
    national_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JENJANG_DATABASE_URL", f"sqlite:///{tmp_path / 'j.db'}")
    monkeypatch.setenv("JENJANG_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("JENJANG_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    done = runner.invoke(
        app, ["batch", "score", "--data", str(national_dataset), "--out", str(tmp_path / "o")]
    )
    assert done.exit_code == 2 and "training-recs has no champion" in done.output


def test_candidates_without_an_index_say_how_to_build_one(tmp_path: Path) -> None:
    done = runner.invoke(
        app, ["batch", "candidates", "R000-U0000-P00000", "--index", str(tmp_path)]
    )
    assert done.exit_code == 2 and "build one with `jenjang batch index`" in done.output


def test_national_generation_options_are_checked(tmp_path: Path) -> None:
    out = str(tmp_path / "d")
    cases = {
        ("--scale", "national", "--workers", "0"): "--workers must be at least 1",
        (
            "--scale",
            "province",
            "--regions",
            "3",
        ): "--regions and --workers are for --scale national",
        ("--scale", "national", "--regions", "600"): "--regions must be from 1 to 552",
        ("--scale", "national", "--format", "csv", "--regions", "1"): "written as Parquet",
    }
    for options, message in cases.items():
        done = runner.invoke(app, ["data", "generate", "--out", out, *options])
        assert done.exit_code == 2 and message in done.output, (options, done.output)
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").rglob("*.parquet"))
