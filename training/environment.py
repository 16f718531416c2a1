"""What a registered model needs to load and answer where `jenjang` is not installed (``mlflow
models serve``, or `mlflow.pyfunc.load_model` in a fresh environment built from the model's own
requirements): our packages, shipped inside every version, and the third-party distributions
their code imports, pinned to the versions the model was trained with.

Why MLflow's ``code_paths`` and not a wheel of `jenjang` logged as an artifact:
- nothing is built at training time: a deployment that trains from an installed wheel has no
  source tree (no pyproject) to build one from, and the copy is a few hundred kB;
- the model's environment holds only what inference imports (about 90 distributions), not the
  service's web stack and Spark that a `jenjang` wheel would pull in, nor a second `jenjang`
  distribution beside the service's own;
- every version carries the code that trained it, data files (reference catalogues) included.

MLflow prepends the version's ``code`` folder to ``sys.path`` when it loads the model. A process
that has already imported `features` and `training` (the service, `jenjang` commands, the
tests) keeps its own, installed code; the contract and feature-set versions
(`training.contract`) refuse a model that code cannot serve. ``infer_code_paths`` is not used:
it copies only the Python files imported under the working directory, so it would drop the
catalogues (and it is experimental).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re

#: Our packages a loaded model imports: its pyfunc, the classes its joblib artifact was
#: pickled from, the feature builders and the database reads. Shipped whole.
SHIPPED = ("features", "training")

#: The distributions the shipped code imports when a model is loaded and asked, found by
#: following its imports from the pyfunc entries (tests/training/test_pyfunc_environment.py
#: fails when a new one is not listed), plus two that are reached by name only at run time:
#: pyarrow (pandas' Arrow-backed strings, inside the pickled artifacts) and psycopg (the
#: driver of a PostgreSQL ``database_url``).
DISTRIBUTIONS = (
    "mlflow",
    "scikit-learn",
    "pandas",
    "numpy",
    "scipy",
    "joblib",
    "pyarrow",
    "sqlalchemy",
    "alembic",
    "pydantic-settings",
    "psycopg[binary]",
)


def code_paths() -> list[str]:
    """The folders of the shipped packages, wherever they are installed (this checkout, or a
    wheel's site-packages), for ``log_model(code_paths=...)``."""
    folders = []
    for package in SHIPPED:
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        if len(locations) != 1:
            raise RuntimeError(f"cannot ship {package!r}: it is not one installed package folder")
        folders.append(locations[0])
    return folders


def pip_requirements() -> list[str]:
    """Each distribution pinned to the installed version (``name==version``, as MLflow writes
    when it infers them): a fitted scikit-learn model unpickles reliably only in the version
    that wrote it, and a pin leaves no room for a look-alike release. No `jenjang`: its code
    travels in the model (`code_paths`)."""
    return [f"{name}=={importlib.metadata.version(distribution(name))}" for name in DISTRIBUTIONS]


def distribution(requirement: str) -> str:
    """The distribution a requirement names, without extras or version (``psycopg[binary]``
    → ``psycopg``)."""
    return re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0]
