"""The gate's evaluations kept per question: read back only for the very same question (model
run, cycle, data snapshot, people, truth and code), never half-written, and a damaged file is
computed again rather than trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from training import evaluations
from training.evaluations import Question, known, remember

ASKED = Question("training-recs", "2", "run-abc", 2025, "db-b1-x", None, "none")


def test_an_answer_is_read_back_for_the_same_question_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remember(ASKED, {"ndcg@10": 0.145, "recall@10": 0.277}, tmp_path)
    assert known(ASKED, tmp_path) == {"ndcg@10": 0.145, "recall@10": 0.277}
    for other in (
        Question("training-recs", "2", "run-new", 2025, "db-b1-x", None, "none"),  # new registry
        Question("training-recs", "2", "run-abc", 2026, "db-b1-x", None, "none"),
        Question("training-recs", "2", "run-abc", 2025, "db-b2-y", None, "none"),  # new data
        Question("training-recs", "2", "run-abc", 2025, "db-b1-x", 500, "none"),
        Question("training-recs", "2", "run-abc", 2025, "db-b1-x", None, "/truth"),
    ):
        assert known(other, tmp_path) is None
    monkeypatch.setattr(evaluations, "code_version", lambda: "changed-code")
    assert known(ASKED, tmp_path) is None  # the evaluating code changed
    assert not list(tmp_path.glob(".evaluation-*"))  # nothing half-written left behind


def test_no_folder_keeps_nothing_and_a_damaged_file_is_not_trusted(tmp_path: Path) -> None:
    remember(ASKED, {"ndcg@10": 0.1}, None)
    assert known(ASKED, None) is None
    ASKED.file(tmp_path).write_text('{"metrics": {"ndcg@10": ')
    assert known(ASKED, tmp_path) is None
