"""The layout is the architecture (docs/architecture.md): imports run one way, between named
rooms, and every crossing is listed here. A new import across rooms fails until it is added to
`ALLOWED` on purpose, with the document updated if the rule changes."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("features", "training", "service")

#: The rooms: a folder (a subpackage) or a top-level module of a package. A module belongs to
#: the longest room its name starts with.
ROOMS = (
    "features",  # the package itself (its __init__)
    "features.schema",
    "features.reference",
    "features.store",
    "features.ingest",
    "features.synth",
    "features.asof",
    "features.rules",
    "features.view",
    "features.planning",
    "features.cli",
    "training",
    "training.kind",
    "training.kinds",
    "training.run",
    "training.environment",
    "training.contract",
    "training.answers",
    "training.evaluations",
    "training.split",
    "training.truth",
    "training.metrics",
    "training.fairness",
    "training.registry",
    "training.promotion",
    "training.drift",
    "training.feedback",
    "training.html",
    "training.comparison_report",
    "training.courses",
    "training.placement",
    "training.analyses",
    "training.national",
    "training.cli",
    "service",
    "service.settings",
    "service.observability",
    "service.state",
    "service.access",
    "service.api",
    "service.web",
    "service.dependencies",
    "service.errors",
    "service.app",
    "service.main",
    "service.cli",
)

_BASE = {"features.schema", "features.reference"}
_MODEL_SHARED = {
    "training.kind",
    "training.run",
    "training.contract",
    "training.split",
    "training.truth",
    "training.metrics",
    "training.fairness",
    "training.registry",
    "training.feedback",
    "training.html",
}
_FEATURES = {"features.store", "features.asof", "features.rules", "features.view"}
_FEATURES |= {"features.planning"} | _BASE
#: What each room may import besides itself. `features` imports nothing of ours; `training`
#: imports `features`; `service` imports `features` and, of `training`, only the registry, the
#: promotion gate, the pyfunc contract and the precomputed answers (national ones too;
#: `service.cli` assembles the one `jenjang` command from every package's subcommands).
ALLOWED: dict[str, set[str]] = {
    "features": set(),
    "features.schema": {"features.reference"},
    "features.reference": set(),
    "features.store": {"features.asof"} | _BASE,  # reads return asof's `Records`
    "features.ingest": {"features.store"} | _BASE,
    "features.synth": {"features.store"}
    | _BASE  # only `regions`: the layout it writes
    | {"features.rules"},  # the posts bound to a profession, which the world fills by the rule
    "features.asof": _BASE,
    "features.rules": {"features.asof"} | _BASE,
    "features.view": {"features.asof", "features.rules"},
    "features.planning": {"features.asof", "features.rules", "features.view"} | _BASE,
    "features.cli": {"features.store", "features.ingest", "features.synth"},
    "training": set(),
    "training.split": {"features.asof"},
    "training.environment": set(),  # what a registered model needs where jenjang is not installed
    "training.truth": {"features.asof", "features.synth"},  # the generator's hidden mechanisms
    "training.metrics": set(),
    "training.fairness": set(),
    "training.html": set(),
    "training.registry": {"features.store"},
    "training.contract": {"features.asof", "features.planning", "features.store", "features.view"},
    "training.answers": set(),  # the day's precomputed answers: written by a job, served
    "training.evaluations": set(),  # the gate's evaluations, kept per question
    "training.kind": {"features.asof", "features.store", "training.split"},
    "training.run": {
        "features.asof",
        "features.store",
        "training.contract",
        "training.environment",
        "training.kind",
        "training.registry",
        "training.split",
        "training.truth",
    },
    "training.feedback": {"features.store"},
    "training.courses": _FEATURES | _MODEL_SHARED,
    "training.placement": _FEATURES | _MODEL_SHARED,
    "training.kinds": {"training.kind", "training.courses", "training.placement"},
    "training.promotion": {
        "features.asof",
        "features.store",
        "training.contract",
        "training.evaluations",
        "training.kind",
        "training.kinds",
        "training.registry",
        "training.split",
    },
    "training.drift": {"features.asof", "features.view", "training.html", "training.split"},
    "training.comparison_report": {"training.html", "training.promotion"},
    "training.analyses": {
        "features.asof",
        "features.rules",
        "features.synth",  # the hidden truth, to check the estimates against
        "training.courses",  # course effects learned from re-assessments
        "training.truth",
    },
    "training.national": _FEATURES
    | {"training.answers", "training.contract", "training.registry", "training.split"}
    | {"training.kind", "training.kinds", "training.run"},  # a run on a national sample
    "training.cli": _FEATURES
    | {"features.cli", "features.ingest"}
    | {f"training.{room}" for room in ("kind", "kinds", "run", "contract", "registry")}
    | {f"training.{room}" for room in ("promotion", "drift", "comparison_report", "truth")}
    | {"training.courses", "training.placement", "training.analyses", "training.national"},
    "service": set(),
    "service.settings": {"training.registry"},  # the registry's settings, plus the service's
    "service.observability": set(),  # metrics and logs: every room of the service records
    "service.state": _FEATURES
    | {"service.settings", "service.observability"}
    | {"training.answers", "training.contract", "training.registry"}
    | {"training.national"},  # a national deployment's batch output: answers, vacancy index
    "service.access": {"features.store", "service.observability", "service.settings"}
    | {"service.state"},
    "service.dependencies": {"service.access", "service.state", "training.contract"},
    "service.api": _FEATURES
    | {"service.access", "service.dependencies", "service.state"}
    | {"training.contract", "training.registry"},
    "service.errors": {"service.state", "training.contract"},
    "service.web": {"features.reference", "service.access", "service.api", "service.errors"}
    | {"features.ingest"}  # the import templates an admin downloads
    | {"service.dependencies", "service.state"}
    | {"training.promotion", "training.registry"},
    "service.app": {"features.store", "service", "service.access", "service.api"}
    | {"service.errors", "service.observability", "service.settings", "service.state"}
    | {"service.web"},
    "service.main": {"service.app"},
    "service.cli": {"features.cli", "features.store", "service.access", "service.settings"}
    | {"service.observability", "service.state", "training.cli"},
}


def _module(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _room(module: str) -> str:
    return max((r for r in ROOMS if module == r or module.startswith(r + ".")), key=len)


def _exists(module: str) -> bool:
    base = ROOT / module.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _imported(path: Path) -> Iterator[str]:
    """Every module of ours that `path` imports (``from a import b`` counts ``a.b`` when b is
    a module, else ``a``), at module level or inside functions alike."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] not in PACKAGES:
                continue
            while not _exists(name):
                name = name.rpartition(".")[0]
            yield name


def _crossings() -> set[tuple[str, str, str]]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            source = _room(_module(path))
            for target in _imported(path):
                if _room(target) != source:
                    found.add((source, _room(target), str(path.relative_to(ROOT))))
    return found


def test_every_room_is_declared() -> None:
    assert set(ROOMS) == set(ALLOWED)
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            assert _room(_module(path)) in ROOMS


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_cross_rooms_only_where_allowed(package: str) -> None:
    wrong = sorted(
        f"{where} imports {target} ({source} → {target})"
        for source, target, where in _crossings()
        if source.split(".")[0] == package and target not in ALLOWED[source]
    )
    assert not wrong, "imports against the architecture:\n" + "\n".join(wrong)


def test_the_flow_runs_one_way() -> None:
    """Whatever the list allows: features never imports training or service, training never
    imports service, and service reaches training only through the registry, the promotion
    gate, the pyfunc contract, the precomputed answers and the national batch output (and the
    CLI's subcommands)."""
    for source, targets in ALLOWED.items():
        package = source.split(".")[0]
        reached = {t.split(".")[0] for t in targets}
        if package == "features":
            assert reached <= {"features"}, source
        if package == "training":
            assert "service" not in reached, source
        if package == "service":
            into_training = {t for t in targets if t.startswith("training")}
            assert into_training <= {
                "training.answers",
                "training.registry",
                "training.promotion",
                "training.contract",
                "training.national",
                "training.cli",
            }, source
            assert "training.national" not in into_training or source == "service.state", source
            assert "training.cli" not in into_training or source == "service.cli", source


def test_no_generic_helper_modules() -> None:
    names = {p.name for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    assert not names & {"utils.py", "helpers.py", "common.py", "misc.py"}


def test_the_document_it_cites_exists() -> None:
    document = (ROOT / "docs" / "architecture.md").read_text()
    for room in ("features/store", "features/asof", "training/courses", "service/web"):
        assert room in document
