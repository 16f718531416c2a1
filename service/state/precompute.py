"""`jenjang score`: the day's answers of the champions, computed for everyone and written where
the service looks them up (`training.answers`).

Run it after a promotion and each day for the service's date (the demo runs it before serving).
Each champion is loaded from the registry as the service loads it, handed the records of the
database, and asked for everyone's answers at once; a set is keyed by the model version, the
date and the data snapshot, so a service on other data or another version never reads it. A
service already running picks the new set up on its next reload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd

from features.store.database import create_db_engine, migrate
from service.settings import ServiceSettings
from service.state.snapshot import service_date
from training import registry
from training.answers import AnswerKey, Written, already_written, write_answers
from training.contract import Data, Precomputing, check_contract, served

log = logging.getLogger(__name__)


class AnswersNotWritten(RuntimeError):
    """A day's answers could not be written (a full disk, say): none were published."""


@dataclass(frozen=True)
class Scored:
    """One champion's answers of the day, written."""

    model: str
    version: str
    as_of: pd.Timestamp
    written: Written


#: Told, for each model, how many subjects it will answer for, then each chunk's count.
Progress = Callable[[str, int], Callable[[int], None]]


def score_day(
    settings: ServiceSettings,
    names: tuple[str, ...],
    depth: int | None = None,
    progress: Progress | None = None,
    again: bool = False,
) -> list[Scored]:
    """Write the day's answers of each named champion that can precompute them (the others
    are answered on demand and are skipped), each list `depth` deep (default: the model's
    own). A set already written for the same version, date and data is kept unless `again`
    (its answers would be the same). Raises LookupError when a model has no champion,
    AnswersNotWritten when a set cannot be written."""
    engine = create_db_engine(settings.database_url)
    try:
        migrate(engine)  # a database ingested before the extraction date was recorded
        as_of = service_date(settings, engine)
    finally:
        engine.dispose()
    client = registry.configure(settings)
    data = Data.from_database(settings.database_url, settings.records_cache_folder())
    out = []
    for name in names:
        version = registry.alias_version(client, name, registry.CHAMPION)
        if version is None:
            raise LookupError(f"{name} has no champion: promote a version first")
        check_contract(client.get_model_version(name, version).tags, name, version)
        model = served(mlflow.pyfunc.load_model(f"models:/{name}/{version}"))
        if not isinstance(model, Precomputing):
            log.info("%s answers on demand: nothing to precompute", name)
            continue
        model.use_data(data)
        key = AnswerKey(name, version, as_of.date(), data.records.snapshot_id)
        existing = None if again else already_written(key, Path(settings.answers_dir))
        if existing is not None:
            out.append(Scored(name, version, as_of, existing))
            continue
        told = progress(name, model.subjects(as_of)) if progress else None
        deep = depth or model.depth
        try:
            written = write_answers(
                key,
                model.precompute(as_of, deep),
                Path(settings.answers_dir),
                subject=model.key,
                depth=deep,
                structured=model.structured,
                types=model.types,
                progress=told,
            )
        except OSError as error:  # the set is written aside and moved in whole: none is seen
            raise AnswersNotWritten(
                f"{name} v{version}: writing the answers of {as_of.date()} into "
                f"{settings.answers_dir} failed ({error}); none were published, so the "
                "service answers on demand"
            ) from error
        out.append(Scored(name, version, as_of, written))
    return out
