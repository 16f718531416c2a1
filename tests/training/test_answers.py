"""The store of precomputed answers: what is written is what is looked up, a set is never seen
half-written, and a question the set cannot answer goes back to the model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from training.answers import AnswerKey, AnswerSet, write_answers

KEY = AnswerKey("training-recs", "3", dt.date(2025, 1, 1), "snap1")


def _rows(person: str, n: int) -> list[dict[str, object]]:
    return [
        {
            "employee_id": person,
            "rank": r,
            "course_id": f"C{r:03d}",
            "score": 1.0 / r,
            "reasons": [{"code": "gap_current", "text": f"alasan {r}"}],
        }
        for r in range(1, n + 1)
    ]


def _write(root: Path, chunks: list[list[dict[str, object]]], depth: int = 3) -> None:
    write_answers(
        KEY, iter(chunks), root, subject="employee_id", depth=depth, structured=("reasons",)
    )


def test_what_is_written_is_looked_up(tmp_path: Path) -> None:
    _write(tmp_path, [_rows("E1", 3) + _rows("E2", 2), _rows("E3", 3)])
    answers = AnswerSet.load(KEY, tmp_path)
    assert answers is not None and len(answers) == 3
    assert answers.lookup("E1", 3) == _rows("E1", 3)  # reasons back as lists of dicts
    assert answers.lookup("E3", 2) == _rows("E3", 2)
    # E2 has only two courses to suggest: a longer question still has its whole answer
    assert answers.lookup("E2", 10) == _rows("E2", 2)


def test_a_question_deeper_than_the_stored_lists_goes_to_the_model(tmp_path: Path) -> None:
    _write(tmp_path, [_rows("E1", 3)], depth=3)
    answers = AnswerSet.load(KEY, tmp_path)
    assert answers is not None
    assert answers.lookup("E1", 4) is None  # more may exist beyond the stored 3
    assert answers.lookup("E9", 1) is None  # not in the set: scored on demand


def test_another_version_date_or_snapshot_finds_nothing(tmp_path: Path) -> None:
    _write(tmp_path, [_rows("E1", 3)])
    for other in (
        AnswerKey("training-recs", "4", KEY.as_of, KEY.snapshot_id),
        AnswerKey("training-recs", "3", dt.date(2025, 1, 2), KEY.snapshot_id),
        AnswerKey("training-recs", "3", KEY.as_of, "snap2"),
    ):
        assert AnswerSet.load(other, tmp_path) is None


def test_a_failed_job_leaves_the_old_set_whole(tmp_path: Path) -> None:
    _write(tmp_path, [_rows("E1", 3)])

    def failing() -> object:
        yield _rows("E1", 1)
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        write_answers(KEY, failing(), tmp_path, subject="employee_id", depth=3)  # type: ignore[arg-type]
    answers = AnswerSet.load(KEY, tmp_path)
    assert answers is not None and answers.lookup("E1", 3) == _rows("E1", 3)
    leftovers = [p.name for p in KEY.folder(tmp_path).parent.iterdir()]
    assert leftovers == [KEY.folder(tmp_path).name]  # no half-written folder left behind


def test_a_new_set_replaces_the_old_one_whole(tmp_path: Path) -> None:
    _write(tmp_path, [_rows("E1", 3) + _rows("E2", 3)])
    _write(tmp_path, [_rows("E3", 3)])
    answers = AnswerSet.load(KEY, tmp_path)
    assert answers is not None
    assert answers.lookup("E1", 1) is None and answers.lookup("E3", 1) == _rows("E3", 1)


def test_the_set_is_a_partitioned_parquet_dataset(tmp_path: Path) -> None:
    """Readable as one dataset by other engines (here pyarrow's), partitions included."""
    import pyarrow.dataset as ds

    _write(tmp_path, [_rows("E1", 3), _rows("E2", 3)])
    table = ds.dataset(tmp_path / "training-recs", partitioning="hive").to_table()
    assert table.num_rows == 6
    assert set(table.column("version").to_pylist()) == {3}
    assert set(table.column("snapshot").to_pylist()) == {"snap1"}
