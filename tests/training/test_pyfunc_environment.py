"""A registered model loads where `jenjang` is not installed: its requirements name only real,
installed distributions (never `jenjang`, which is not on the package index), pinned to the
installed versions; `features/` and `training/` travel inside the version (``code_paths``); and
a fresh venv built from the champion's own requirements.txt, run from a folder outside the
checkout, loads both champions through the registry and answers (training.environment)."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import mlflow
import pandas as pd
import pytest
import yaml

from features.asof.records import active_at
from features.store.database import create_db_engine
from features.store.reads import load_records
from service.settings import ServiceSettings
from tests.test_packaging import _clean_env, _run
from training import environment, registry
from training.contract import PLACEMENT_SUCCESS, TRAINING_RECS
from training.kinds import KINDS
from training.registry import RegistrySettings
from training.run import register_pyfunc

ROOT = Path(__file__).resolve().parents[2]
#: The distributions the requirements name, normalised (``scikit-learn`` = ``scikit_learn``).
LISTED = {
    importlib.metadata.distribution(environment.distribution(r)).metadata["Name"].lower()
    for r in environment.DISTRIBUTIONS
}


def _normalised(name: str) -> str:
    return name.lower().replace("_", "-")


def _check_requirements(lines: list[str]) -> None:
    """No `jenjang`; every line ``name==version`` of an installed distribution at that
    version."""
    lines = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert lines, "no requirements"
    for line in lines:
        name, _, version = line.partition("==")
        base = environment.distribution(name)
        assert _normalised(base) != "jenjang", line
        assert version, f"{line}: not pinned"
        assert importlib.metadata.version(base) == version, f"{line}: not the installed version"


def test_requirements_are_installed_distributions_pinned_as_installed() -> None:
    requirements = environment.pip_requirements()
    _check_requirements(requirements)
    assert "psycopg[binary]" in {r.partition("==")[0] for r in requirements}


# --- every distribution the shipped code imports is listed -------------------------------


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(name: str, path: Path) -> set[str]:
    """Every module `path` imports, at module level or inside functions alike (``from a
    import b`` counts ``a`` and ``a.b``), relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*parts, node.module or ""]) if node.level else str(node.module)
            found |= {module.strip(".")} | {f"{module}.{a.name}" for a in node.names}
    return found


def _reached(entries: list[str]) -> tuple[set[str], set[str]]:
    """The modules of ours reached from `entries`, and the third-party top-level modules they
    import."""
    ours, third, todo = set(), set(), list(entries)
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in ours or path is None:
            continue
        ours.add(name)
        todo += [name.rpartition(".")[0]] if "." in name else []
        for imported in _imports(name, path):
            top = imported.split(".")[0]
            if top in environment.SHIPPED or top == "service":
                todo.append(imported)
            elif top not in sys.stdlib_module_names and top != "__future__":
                third.add(top)
    return ours, third


def test_requirements_cover_every_import_the_pyfunc_reaches() -> None:
    entries = [
        ".".join(kind.pyfunc_entry.relative_to(ROOT).with_suffix("").parts)
        for kind in KINDS.values()
    ]
    ours, third = _reached(entries)
    assert not {m for m in ours if m.split(".")[0] == "service"}, "a model must not need service"
    assert {"training.contract", "features.asof.frame"} <= ours
    providers = importlib.metadata.packages_distributions()
    missing = {
        f"{module} ({', '.join(providers.get(module, ['?']))})"
        for module in third
        if not {_normalised(d) for d in providers.get(module, [])}
        & {_normalised(n) for n in LISTED}
    }
    assert not missing, f"imported by the pyfunc, not in its requirements: {sorted(missing)}"


# --- a logged version carries its code and installable requirements -----------------------

_STUB_ENTRY = """
import mlflow
from mlflow.pyfunc import PythonModel


class Echo(PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


mlflow.models.set_model(Echo())
"""


def test_a_logged_version_carries_its_code_and_installable_requirements(tmp_path: Path) -> None:
    """Through `register_pyfunc`, as every training run logs, with a stub pyfunc (seconds)."""
    settings = RegistrySettings(
        database_url=f"sqlite:///{tmp_path / 'jenjang.db'}",
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=str(tmp_path / "artifacts"),
    )
    registry.configure(settings)
    entry = tmp_path / "stub_entry.py"
    entry.write_text(_STUB_ENTRY)
    kind: Any = SimpleNamespace(
        name="stub", artifact="stub", pyfunc_entry=entry, signature=lambda: None
    )
    with mlflow.start_run():
        version = register_pyfunc(
            {"fitted": True}, kind, pd.DataFrame({"x": [1.0]}), {}, settings.database_url
        )
    folder = Path(
        mlflow.artifacts.download_artifacts(f"models:/stub/{version}", dst_path=str(tmp_path / "m"))
    )

    _check_requirements((folder / "requirements.txt").read_text().splitlines())
    conda = yaml.safe_load((folder / "conda.yaml").read_text())
    (pip,) = [d["pip"] for d in conda["dependencies"] if isinstance(d, dict)]
    _check_requirements(pip)
    assert sorted(pip) == sorted((folder / "requirements.txt").read_text().split())

    flavor = yaml.safe_load((folder / "MLmodel").read_text())["flavors"]["python_function"]
    code = folder / flavor["code"]
    for shipped in (
        "features/__init__.py",
        "features/asof/frame.py",
        "features/asof/feature_names.txt",
        "features/reference/courses.csv",
        "features/store/migrations/env.py",
        "training/contract.py",
        "training/courses/pyfunc.py",
        "training/placement/pyfunc.py",
    ):
        assert (code / shipped).is_file(), f"{shipped} is not in the version's code"
    assert not list(code.rglob("__pycache__"))
    assert not (code / "service").exists()


# --- the champions load and answer in a fresh venv outside the checkout -------------------

_PROBE = """
import importlib.util, json, sys
import mlflow, pandas as pd

assert importlib.util.find_spec("features") is None, "features importable before the load"
asked = json.loads(sys.argv[1])
out = {}
for name, question in asked.items():
    model = mlflow.pyfunc.load_model(
        f"models:/{name}@champion", model_config={"database_url": question["database_url"]}
    )
    answer = model.predict(pd.DataFrame(question["rows"]))
    out[name] = {"rows": len(answer), "subjects": sorted(set(answer[question["key"]]))}
import features, training
out["code"] = [features.__file__, training.__file__]
print(json.dumps(out))
"""


def _questions(served: ServiceSettings, small_dataset: Path) -> dict[str, dict[str, Any]]:
    """Three people active at the recommender's cutoff, three supervisory posts in the
    placement model's test year: what each champion is asked."""
    client = registry.configure(served)
    recs = client.get_model_version_by_alias(TRAINING_RECS, "champion").tags
    posts = client.get_model_version_by_alias(PLACEMENT_SUCCESS, "champion").tags
    as_of = recs["training_cutoff"]
    records = load_records(create_db_engine(served.database_url))
    history = records["position_history"]
    placed = set(history.loc[history["start_date"] < pd.Timestamp(as_of), "employee_id"])
    people = [str(p) for p in active_at(records, pd.Timestamp(as_of))["employee_id"] if p in placed]
    positions = pd.read_parquet(small_dataset / "positions.parquet")
    supervisory = positions.loc[positions["family"] == "pengawas", "position_id"].tolist()
    day = f"{posts['test_year']}-06-01"
    return {
        TRAINING_RECS: {
            "key": "employee_id",
            "database_url": served.database_url,
            "rows": {"employee_id": people[:3], "k": [5] * 3, "as_of": [as_of] * 3},
        },
        PLACEMENT_SUCCESS: {
            "key": "position_id",
            "database_url": served.database_url,
            "rows": {"position_id": supervisory[:3], "k": [5] * 3, "as_of": [day] * 3},
        },
    }


@pytest.mark.slow
def test_the_champions_load_and_answer_in_a_fresh_venv_outside_the_checkout(
    served: ServiceSettings, small_dataset: Path, tmp_path: Path
) -> None:
    """The venv has no system site-packages and no pip of its own: this process's pip installs
    the champion's requirements.txt into it from the machine's package index, without
    compiling bytecode (about 25 s instead of 2 minutes with the venv's bundled pip)."""
    started = time.monotonic()
    questions = _questions(served, small_dataset)
    requirements = [
        Path(mlflow.pyfunc.get_model_dependencies(f"models:/{name}@champion")) for name in questions
    ]
    texts = {path.read_text() for path in requirements}
    assert len(texts) == 1, "the two champions need different environments"
    _check_requirements(next(iter(texts)).splitlines())

    env = _clean_env(tmp_path)
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", "--without-pip", venv], tmp_path, env)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet"]
    _run([*install, "--no-compile", "-r", requirements[0]], tmp_path, env, timeout=600)
    installed = time.monotonic()

    probe = work / "probe.py"
    probe.write_text(_PROBE)
    env["MLFLOW_TRACKING_URI"] = served.tracking_uri
    answers = json.loads(_run([python, probe, json.dumps(questions)], work, env).splitlines()[-1])

    for name, question in questions.items():
        asked = sorted(question["rows"][question["key"]])
        assert answers[name]["subjects"] == asked, name
        assert 3 <= answers[name]["rows"] <= 15, name
    for path in map(Path, answers["code"]):  # the version's own copy, not the checkout's
        assert not path.is_relative_to(ROOT) and not path.is_relative_to(venv), path
        assert path.parent.parent.name == "code", path
    print(
        f"fresh venv: install {installed - started:.0f} s, "
        f"load and answer {time.monotonic() - installed:.0f} s"
    )
