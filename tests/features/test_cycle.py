"""The next cycle: the generator continues a dataset by a year, and `jenjang cycle ingest`
loads it with a report of what was added, changed and rejected."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from features.ingest.cycle import CycleRefused, fact_column, ingest_cycle
from features.ingest.upsert import IngestRejected
from features.schema import LOAD_ORDER
from features.schema import TABLES as TABLE_SPECS
from features.store.database import create_db_engine
from features.store.settings import get_settings
from features.synth import CATALOGUE_TABLES, GeneratorConfig, generate_dataset, next_cycle_config
from service.cli import app

YEAR = 2025
EXTRACTION = dt.date(YEAR + 1, 6, 30)
NEXT_EXTRACTION = dt.date(YEAR + 2, 6, 30)
#: The tables a generated export holds (the catalogues ship with the code).
TABLES = [name for name in LOAD_ORDER if name not in CATALOGUE_TABLES]


@pytest.fixture(scope="module")
def cycles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 150-person dataset ending in 2025 (CSV) and its next cycle."""
    root = tmp_path_factory.mktemp("cycles")
    config = GeneratorConfig.for_scale("province", employees=150, seed=11, file_format="csv")
    generate_dataset(config, root / "2025")
    generate_dataset(next_cycle_config(root / "2025"), root / "2026")
    return root / "2025", root / "2026"


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _as_known_at_the_earlier_extraction(name: str, frame: pd.DataFrame, earlier: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The next cycle's rows as the earlier export saw them: facts up to 31 December of the
    earlier year, recorded by its extraction, with later end dates not yet known."""
    cut, extraction = f"{YEAR}-12-31", f"{YEAR + 1}-06-30 23:59:59"
    column = fact_column(TABLE_SPECS[name])
    if column == "year":
        frame = frame[frame["year"].astype(int) <= YEAR]
    elif column is not None:
        frame = frame[frame[column] <= cut]
    if "recorded_at" in frame and name != "employees":
        frame = frame[frame["recorded_at"] <= extraction]
    frame = frame.copy()
    if name == "employees":
        late = frame["exit_date"] > cut
        frame.loc[late, ["exit_date", "exit_reason"]] = ""
    if name == "position_history":
        frame.loc[frame["end_date"] > cut, "end_date"] = ""
    if name in ("positions", "position_standards"):
        frame = frame[frame["position_id"].isin(earlier["position_id"])]
    if name == "assessment_levels":
        frame = frame[frame["assessment_id"].isin(earlier["assessment_id"])]
    return frame


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns].sort_values(columns).reset_index(drop=True)


def test_the_next_cycle_repeats_the_earlier_export_row_for_row(cycles: tuple[Path, Path]) -> None:
    earlier, later = cycles
    for name in TABLES:
        before = _read(earlier, name)
        after = _read(later, name)
        restricted = _as_known_at_the_earlier_extraction(name, after, before)
        # A formasi's capacity is the most holders it ever had (× 1.1): one more year may
        # raise it. Everything else must be byte-identical.
        columns = [c for c in before.columns if not (name == "positions" and c == "capacity")]
        pd.testing.assert_frame_equal(
            _sorted(before, columns), _sorted(restricted, columns), obj=name
        )
        assert len(after) >= len(before), name
    manifest = json.loads((later / "truth" / "manifest.json").read_text())
    assert manifest["config"]["end_year"] == YEAR + 1
    assert manifest["config"]["growth_end_year"] == YEAR
    assert manifest["extraction_date"] == NEXT_EXTRACTION.isoformat()
    evaluations = _read(later, "evaluations")
    assert (evaluations["year"].astype(int) == YEAR + 1).sum() > 100  # the new SKP cycle


def test_ingesting_the_next_cycle_reports_additions_and_exactly_the_expected_changes(
    cycles: tuple[Path, Path], sqlite_engine: sa.Engine
) -> None:
    earlier, later = cycles
    first = ingest_cycle(earlier, sqlite_engine, YEAR, extracted_on=EXTRACTION)
    assert first.result.total("updated") == 0
    second = ingest_cycle(later, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION)
    counts = second.result.counts
    before_employees, after_employees = _read(earlier, "employees"), _read(later, "employees")
    left = after_employees.merge(before_employees, on="employee_id", suffixes=("", "_before"))
    left = left[left["exit_date"] != left["exit_date_before"]]
    assert len(left) > 0 and (left["exit_date"] > f"{YEAR}-12-31").all()
    assert counts["employees"].updated == len(left)
    assert set(counts["employees"].changed_columns) == {"exit_date", "exit_reason"}
    before_history = _read(earlier, "position_history")
    after_history = _read(later, "position_history")
    ended = after_history.merge(
        before_history, on=["employee_id", "position_id", "start_date"], suffixes=("", "_b")
    )
    ended = ended[(ended["end_date_b"] == "") & (ended["end_date"] != "")]
    assert counts["position_history"].updated == len(ended) > 0
    assert set(counts["position_history"].changed_columns) == {"end_date"}
    assert set(counts["positions"].changed_columns) <= {"capacity"}
    untouched = set(counts) - {"employees", "position_history", "positions"}
    assert all(counts[name].updated == 0 for name in untouched)
    # Every row already held is recognised: unchanged + updated = what the database had.
    for name in TABLES:
        assert counts[name].updated + counts[name].unchanged == (
            first.result.counts[name].inserted
        ), name
    evaluations = second.added_by_year["evaluations"]
    assert evaluations["cycle"] > 100 and evaluations["later"] == 0
    frame = second.to_frame().set_index("table")
    assert frame.loc["evaluations", f"of {YEAR + 1}"] == evaluations["cycle"]
    assert pd.isna(frame.loc["assessment_levels", f"of {YEAR + 1}"])
    again = ingest_cycle(later, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION)
    assert again.result.total("inserted") == again.result.total("updated") == 0


def _batches(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM ingest_batches")).scalar_one())


def test_a_cycle_that_does_not_fit_is_refused_and_nothing_is_written(
    cycles: tuple[Path, Path], sqlite_engine: sa.Engine
) -> None:
    earlier, later = cycles
    with pytest.raises(CycleRefused, match=f"later than the cycle {YEAR}"):
        ingest_cycle(later, sqlite_engine, YEAR, extracted_on=NEXT_EXTRACTION)
    # the wrong year is named even when the export also has dates after the one given
    with pytest.raises(CycleRefused, match=f"later than the cycle {YEAR}"):
        ingest_cycle(later, sqlite_engine, YEAR, extracted_on=dt.date(YEAR + 1, 12, 31))
    with pytest.raises(CycleRefused, match=f"no annual SKP evaluations of {YEAR + 5}"):
        ingest_cycle(later, sqlite_engine, YEAR + 5, extracted_on=NEXT_EXTRACTION)
    assert _batches(sqlite_engine) == 0
    with pytest.raises(IngestRejected) as rejected:  # the 2026 export holds 2027 dates
        ingest_cycle(later, sqlite_engine, YEAR + 1, extracted_on=dt.date(YEAR + 1, 12, 31))
    assert any("in the future" in p.message for p in rejected.value.report.errors)
    ingest_cycle(later, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION)
    with pytest.raises(CycleRefused, match="already holds the cycle 2026"):
        ingest_cycle(earlier, sqlite_engine, YEAR, extracted_on=EXTRACTION)
    assert _batches(sqlite_engine) == 1


def _edited(
    source: Path, target: Path, name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]
) -> Path:
    """A copy of the export `source` at `target` with table `name` changed by `edit`."""
    shutil.copytree(source, target)
    edit(_read(target, name)).to_csv(target / f"{name}.csv", index=False)
    return target


def _with_bad_ratings(source: Path, target: Path, rows: int) -> Path:
    """A copy of the export where the first `rows` evaluations of the cycle have a rating
    that does not exist."""

    def bad(frame: pd.DataFrame) -> pd.DataFrame:
        cycle = frame.index[frame["year"].astype(int) == YEAR + 1][:rows]
        frame.loc[cycle, "rating"] = "luar_biasa"
        return frame

    return _edited(source, target, "evaluations", bad)


def test_bad_rows_refuse_the_cycle_unless_rejecting_them_is_asked(
    cycles: tuple[Path, Path], sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    earlier, later = cycles
    ingest_cycle(earlier, sqlite_engine, YEAR, extracted_on=EXTRACTION)
    bad = _with_bad_ratings(later, tmp_path / "bad", rows=2)
    with pytest.raises(IngestRejected):
        ingest_cycle(bad, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION)
    assert _batches(sqlite_engine) == 1
    found = ingest_cycle(
        bad, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION, reject_bad_rows=True
    )
    assert len({p.row for p in found.rejected}) == 2
    assert all(p.column == "rating" and "evaluations" in p.source for p in found.rejected)
    assert found.to_frame().set_index("table").loc["evaluations", "rejected"] == 2
    total = len(_read(bad, "evaluations"))
    with sqlite_engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM evaluations")).scalar_one()
    assert stored == total - 2


def test_a_broken_export_is_refused_whole_even_when_rejecting_rows(
    cycles: tuple[Path, Path], sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    _, later = cycles
    bad = _with_bad_ratings(later, tmp_path / "broken", rows=200)
    with pytest.raises(CycleRefused, match="looks broken"):
        ingest_cycle(
            bad, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION, reject_bad_rows=True
        )
    assert _batches(sqlite_engine) == 0


def test_only_a_complete_dataset_of_this_generator_can_be_continued(
    cycles: tuple[Path, Path], tmp_path: Path
) -> None:
    earlier, _ = cycles
    with pytest.raises(ValueError, match="no truth/manifest.json"):
        next_cycle_config(tmp_path)
    copy = tmp_path / "old"
    shutil.copytree(earlier, copy)
    manifest = json.loads((copy / "truth" / "manifest.json").read_text())
    manifest["generator_version"] = "2"
    (copy / "truth" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="generator version 2"):
        next_cycle_config(copy)
    manifest["generator_version"] = json.loads((earlier / "truth" / "manifest.json").read_text())[
        "generator_version"
    ]
    manifest["mechanism_constants"]["appraisal"]["CAMPAIGN_SHARE"] = 0.9
    (copy / "truth" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="appraisal.CAMPAIGN_SHARE"):
        next_cycle_config(copy)


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    path = tmp_path / "cli.db"
    monkeypatch.setenv("JENJANG_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_the_commands_generate_and_ingest_a_cycle(
    cycles: tuple[Path, Path], cli_database: Path, tmp_path: Path
) -> None:
    earlier, _ = cycles
    runner = CliRunner()
    same = runner.invoke(
        app, ["data", "generate", "--next-cycle-of", str(earlier), "--out", str(earlier)]
    )
    assert same.exit_code == 2 and "must differ" in same.output
    seeded = runner.invoke(
        app,
        ["data", "generate", "--next-cycle-of", str(earlier), "--seed", "3", "--out", "x"],
    )
    assert seeded.exit_code == 2 and "leave those options out" in " ".join(seeded.output.split())
    out = tmp_path / "next"
    made = runner.invoke(
        app, ["data", "generate", "--next-cycle-of", str(earlier), "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    first = ["cycle", "ingest", str(earlier), "--year", "2025", "--extracted-on", "2026-06-30"]
    assert runner.invoke(app, first).exit_code == 0
    early = runner.invoke(app, ["cycle", "ingest", str(out), "--year", "2026"])
    assert early.exit_code == 1 and "--extracted-on" in early.output
    report = tmp_path / "cycle.csv"
    done = runner.invoke(
        app,
        [
            "cycle",
            "ingest",
            str(out),
            "--year",
            "2026",
            "--extracted-on",
            "2027-06-30",
            "--report",
            str(report),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "of 2026" in done.output and "exit_date" in done.output
    assert "jenjang cycle drift --year 2026" in done.output
    written = pd.read_csv(report).set_index("table")
    assert written.loc["evaluations", "added"] > 100
    older = runner.invoke(app, first)
    assert older.exit_code == 1 and "already holds the cycle 2026" in older.output
    bad_date = runner.invoke(
        app, ["cycle", "ingest", str(out), "--year", "2026", "--extracted-on", "30/06/2027"]
    )
    assert bad_date.exit_code == 2 and "not a date" in bad_date.output
    engine = create_db_engine(f"sqlite:///{cli_database}")
    assert _batches(engine) == 2
    engine.dispose()


def test_a_rejected_employee_takes_the_rows_that_refer_to_them_and_the_batch_says_so(
    cycles: tuple[Path, Path], sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    _, later = cycles
    history = _read(later, "position_history")
    person = history["employee_id"].value_counts().index[0]  # someone with several moves

    def unreadable_hire_date(employees: pd.DataFrame) -> pd.DataFrame:
        employees.loc[employees["employee_id"] == person, "hire_date"] = "not a date"
        return employees

    bad = _edited(later, tmp_path / "bad-employee", "employees", unreadable_hire_date)
    found = ingest_cycle(
        bad, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION, reject_bad_rows=True
    )
    frame = found.to_frame().set_index("table")
    assert frame.loc["employees", "rejected"] == 1
    assert frame.loc["position_history", "rejected"] == (history["employee_id"] == person).sum()
    assert found.rejection.own == {"employees.csv": found.rejection.own["employees.csv"]}
    assert "position_history.csv" in found.rejection.knock_on
    with sqlite_engine.connect() as connection:
        counts = connection.execute(sa.text("SELECT counts FROM ingest_batches")).scalar_one()
        stored = connection.execute(
            sa.text("SELECT count(*) FROM position_history WHERE employee_id = :p"), {"p": person}
        ).scalar_one()
    counts = json.loads(counts) if isinstance(counts, str) else counts
    assert counts["employees"]["rejected"] == 1 and stored == 0


def test_personal_data_never_appears_in_the_problems_of_rejected_rows(
    cycles: tuple[Path, Path], sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    _, later = cycles

    def personal_mistakes(employees: pd.DataFrame) -> pd.DataFrame:
        employees.loc[0, "nip"] = "19650418199303100"  # 17 digits
        employees.loc[1, "birth_date"] = "2031-01-01"
        return employees

    bad = _edited(later, tmp_path / "bad-nip", "employees", personal_mistakes)
    with pytest.raises(IngestRejected) as rejected:
        ingest_cycle(bad, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION)
    messages = " ".join(str(p) for p in rejected.value.report.errors)
    assert "[nip]" in messages and "[birth_date]" in messages
    assert "19650418199303100" not in messages and "2031" not in messages


def test_quarterly_ratings_of_the_next_year_do_not_make_a_cycle(
    cycles: tuple[Path, Path], sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    _, later = cycles

    def with_a_first_quarter(evaluations: pd.DataFrame) -> pd.DataFrame:
        row = evaluations[evaluations["year"] == str(YEAR + 1)].iloc[[0]].copy()
        row["year"], row["period"] = str(YEAR + 2), "q1"
        row["period_start"], row["period_end"] = f"{YEAR + 2}-01-01", f"{YEAR + 2}-03-31"
        row["recorded_at"] = f"{YEAR + 2}-04-15 09:00:00"
        return pd.concat([evaluations, row])

    quarterly = _edited(later, tmp_path / "quarterly", "evaluations", with_a_first_quarter)
    found = ingest_cycle(quarterly, sqlite_engine, YEAR + 1, extracted_on=NEXT_EXTRACTION)
    assert found.added_by_year["evaluations"]["later"] == 1
    with pytest.raises(CycleRefused, match=f"no annual SKP evaluations of {YEAR + 2}"):
        ingest_cycle(quarterly, sqlite_engine, YEAR + 2, extracted_on=NEXT_EXTRACTION)
