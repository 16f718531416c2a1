"""Champion/challenger: compare on the same held-out cycle, promote through a gate, roll back.

The comparison loads both registered versions' fitted models and evaluates them on one batch —
the challenger's held-out cycle, with today's records — so neither is flattered by different
people or candidates. Each registered model's kind (`training.kinds`) says how it is evaluated
and which metrics the gate compares. A version whose training cutoff is after the start of that
cycle has seen it: the comparison refuses rather than report a flattering number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import mlflow
import pandas as pd
import sqlalchemy as sa

from features.asof.frame import FEATURE_SET_VERSION
from features.asof.records import Records
from features.store.database import create_db_engine, migrate
from features.store.reads import load_records
from training import registry
from training.contract import CONTRACT_VERSION, TRAINING_RECS, check_contract
from training.evaluations import Question, known, remember
from training.kind import ModelKind, RunData
from training.kinds import kind_of
from training.registry import RegistrySettings
from training.split import cycle_start

log = logging.getLogger(__name__)


@dataclass
class Comparison:
    """Champion and challenger on the same cycle, metric by metric, and the gate's verdict."""

    champion: str | None
    challenger: str
    test_year: int
    metrics: pd.DataFrame  # rows: metric; columns: champion, challenger, relative, passes
    passed: bool
    tolerance: float

    def evidence(self) -> dict[str, Any]:
        return {
            "champion": self.champion,
            "challenger": self.challenger,
            "test_year": self.test_year,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "metrics": self.metrics.rename_axis("metric").reset_index().to_dict("records"),
        }


def load_fitted(name: str, version: str) -> tuple[Any, dict[str, str]]:
    """A registered version's fitted model object (named ``v<version>``) and its tags."""
    client = mlflow.MlflowClient()
    tags = client.get_model_version(name, version).tags
    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{version}"))
    path = next(folder.rglob(f"{kind_of(name).artifact}.joblib"))
    fitted = joblib.load(path)
    fitted.name = f"v{version}"
    return fitted, tags


def compare(
    settings: RegistrySettings,
    name: str = TRAINING_RECS,
    truth_dir: Path | None = None,
    people: int | None = None,
) -> Comparison:
    """Evaluate champion and challenger on the challenger's held-out cycle."""
    kind = kind_of(name, truth_dir)
    client = registry.configure(settings)
    challenger = registry.alias_version(client, name, registry.CHALLENGER)
    if challenger is None:
        raise LookupError(f"{name} has no challenger: run `jenjang train` for it first")
    champion = registry.alias_version(client, name, registry.CHAMPION)
    if champion is None:
        # the first champion has nothing to be compared with: its own run holds its metrics
        empty = pd.DataFrame(columns=["challenger", "champion", "passes", "relative"])
        return Comparison(None, challenger, -1, empty, True, settings.promotion_tolerance)
    champion_tags = client.get_model_version(name, champion).tags
    if champion_tags.get("contract_version", "1") != CONTRACT_VERSION:
        # this code cannot load or serve the champion: replacing it cannot make things worse
        log.warning("%s champion v%s was built for another pyfunc contract", name, champion)
        empty = pd.DataFrame(columns=["challenger", "champion", "passes", "relative"])
        return Comparison(champion, challenger, -1, empty, True, settings.promotion_tolerance)
    challenger_of = client.get_model_version(name, challenger)
    test_year = int(challenger_of.tags["test_year"])
    versions = {challenger: challenger_of.run_id or str(challenger_of.source)}
    if champion != challenger:
        if pd.Timestamp(champion_tags["training_cutoff"]) > cycle_start(test_year):
            raise ValueError(
                f"champion v{champion} was trained with data up to "
                f"{champion_tags['training_cutoff']}, after the start of the challenger's test "
                f"cycle {test_year}: not comparable"
            )
        champion_of = client.get_model_version(name, champion)
        versions[champion] = champion_of.run_id or str(champion_of.source)
    engine = create_db_engine(settings.database_url)
    try:
        migrate(engine)
        records = load_records(engine, cache=settings.records_cache_folder())
        overall = _evaluated(kind, engine, records, versions, test_year, people, settings)
    finally:
        engine.dispose()  # the service calls this per request: no pool left behind
    return _verdict(
        overall, champion, challenger, test_year, settings.promotion_tolerance, kind.gated
    )


def _evaluated(
    kind: ModelKind,
    engine: sa.Engine,
    records: Records,
    versions: dict[str, str],
    test_year: int,
    people: int | None,
    settings: RegistrySettings,
) -> pd.DataFrame:
    """The gated metrics of each version (by number, with its run id) on `test_year`: read back
    when this very question was answered before (`training.evaluations`), else evaluated, all
    missing versions on one batch."""
    kept = settings.records_cache_folder()
    folder = None if kept is None else kept / "evaluations"
    truth = str(Path(kind.truth_dir).resolve()) if kind.truth_dir else "none"
    questions = {
        version: Question(kind.name, version, run, test_year, records.snapshot_id, people, truth)
        for version, run in versions.items()
    }
    rows = {f"v{v}": found for v, q in questions.items() if (found := known(q, folder))}
    missing = [version for version in versions if f"v{version}" not in rows]
    if missing:
        shown = ", ".join(f"v{version}" for version in missing)
        log.info("%s: evaluating %s on %d", kind.name, shown, test_year)
        models = [load_fitted(kind.name, version)[0] for version in missing]
        overall = kind.evaluate(models, RunData.load(engine, records), test_year, people)
        for version in missing:
            values = overall.loc[f"v{version}"].to_dict()
            rows[f"v{version}"] = {m: float(values[m]) for m in kind.gated if m in values}
            remember(questions[version], rows[f"v{version}"], folder)
    else:
        log.info("%s: the evaluations on %d were kept: none run again", kind.name, test_year)
    return pd.DataFrame.from_dict(rows, orient="index")


def _verdict(
    overall: pd.DataFrame,
    champion: str | None,
    challenger: str,
    test_year: int,
    tolerance: float,
    metrics: tuple[str, ...],
) -> Comparison:
    gated = [m for m in metrics if m in overall.columns]
    table = pd.DataFrame({"challenger": overall.loc[f"v{challenger}", gated]})
    if champion is None or champion == challenger:
        table["champion"] = float("nan")
        table["passes"] = True
    else:
        table["champion"] = overall.loc[f"v{champion}", gated]
        table["passes"] = table["challenger"] >= table["champion"] * (1 - tolerance)
    table["relative"] = table["challenger"] / table["champion"] - 1
    return Comparison(
        champion, challenger, test_year, table, bool(table["passes"].all()), tolerance
    )


def promote(
    settings: RegistrySettings,
    name: str = TRAINING_RECS,
    reason: str = "",
    force: bool = False,
    by: str | None = None,
    truth_dir: Path | None = None,
    people: int | None = None,
) -> Comparison:
    """Move ``champion`` to the challenger if it passes the gate (or `force` with a reason)."""
    if force and not reason.strip():
        raise ValueError("--force needs a --reason: say why the gate is overridden")
    comparison = compare(settings, name, truth_dir, people)
    if comparison.champion == comparison.challenger:
        raise ValueError(f"v{comparison.challenger} is already the champion of {name}")
    if not comparison.passed and not force:
        raise PromotionRefused(
            f"challenger v{comparison.challenger} is worse than champion v{comparison.champion} "
            f"beyond the tolerance of {comparison.tolerance:.0%}",
            comparison.evidence(),
        )
    default_reason = "passed the promotion gate" if comparison.passed else ""
    _move_champion(
        settings,
        name,
        comparison.challenger,
        by,
        reason.strip() or default_reason,
        forced=force and not comparison.passed,
        evidence=comparison.evidence(),
    )
    return comparison


def rollback(
    settings: RegistrySettings,
    name: str = TRAINING_RECS,
    reason: str = "",
    to_version: str | None = None,
    by: str | None = None,
) -> str:
    """Point ``champion`` back at `to_version` or at the champion before the current one."""
    if not reason.strip():
        raise ValueError("a rollback needs a --reason")
    client = registry.configure(settings)
    if to_version is None:
        engine = create_db_engine(settings.database_url)
        try:
            migrate(engine)
            moves = registry.history(engine, name)
        finally:
            engine.dispose()
        moves = moves[moves["alias"] == registry.CHAMPION]
        previous = moves.iloc[-1]["previous_version"] if len(moves) else None
        if previous is None or pd.isna(previous):
            raise LookupError(f"{name} has no earlier champion to roll back to")
        to_version = str(previous)
    target = client.get_model_version(name, to_version)  # raises if it does not exist
    built_on = target.tags.get("feature_set_version")
    if built_on != FEATURE_SET_VERSION:
        raise ValueError(
            f"v{to_version} was built on feature set {built_on!r}; this code computes "
            f"{FEATURE_SET_VERSION!r}: the service could not load it"
        )
    check_contract(target.tags, name, to_version)
    _move_champion(settings, name, to_version, by, f"rollback: {reason.strip()}")
    return to_version


def _move_champion(
    settings: RegistrySettings,
    name: str,
    version: str,
    by: str | None,
    reason: str,
    forced: bool = False,
    evidence: dict[str, Any] | None = None,
) -> None:
    """Point ``champion`` at `version` and record who moved it from which version, and why."""
    client = registry.configure(settings)
    engine = create_db_engine(settings.database_url)
    try:
        migrate(engine)
        registry.move_alias(
            client,
            engine,
            registry.AliasMove(
                name,
                registry.CHAMPION,
                version,
                registry.alias_version(client, name, registry.CHAMPION),
                by or registry.current_user(),
                reason,
                forced=forced,
                evidence=evidence,
            ),
        )
    finally:
        engine.dispose()


class PromotionRefused(RuntimeError):
    """The challenger is worse than the champion beyond the tolerance (not forced)."""

    def __init__(self, message: str, evidence: dict[str, Any]) -> None:
        super().__init__(message)
        self.evidence = evidence
