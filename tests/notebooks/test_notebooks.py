"""Every notebook in notebooks/ (jupytext percent format) runs end to end on a small dataset, in
a real kernel; the executed notebooks are kept in tests/artifacts/notebooks/ to read."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.py"))
EXECUTED = ROOT / "tests" / "artifacts" / "notebooks"


def test_the_notebooks_are_there() -> None:
    names = {n.name for n in NOTEBOOKS}
    assert {
        "1.0-data-overview.py",
        "2.0-new-cycle-retraining.py",
        "3.0-training-impact.py",
        "4.0-fairness-audit.py",
    } <= names


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_the_notebook_runs_end_to_end(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JENJANG_NOTEBOOK_PEOPLE", "400")  # the kernel inherits the environment
    monkeypatch.setenv("JENJANG_NOTEBOOK_MIN_TAKERS", "10")
    monkeypatch.setenv("JENJANG_NOTEBOOK_MAX_ITER", "40")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = jupytext.read(path)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()  # raises CellExecutionError, naming the cell, when one fails
    last = notebook.cells[-1].get("outputs", [])
    assert last, "the notebook's last cell (its conclusion) printed nothing"
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, EXECUTED / f"{path.stem}.ipynb")
