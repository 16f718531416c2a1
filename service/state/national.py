"""A national deployment's state: the country's answers of the day (`jenjang batch score`) and
its vacancy index (`jenjang batch index`), served without holding the country's records.

The province path holds its records in memory and scores on demand; the country's do not fit
(about 140 GB of features), and need not: everything a national request asks was computed by
the batch jobs. So a national service opens

- a **directory** of everyone in the answer set: employee id → region and agency on the day,
  sorted for binary search (5.6 million ids are about 60 MB as fixed-width bytes). The agency
  is what a planner's scope is checked against, as the province checks it on its snapshot;
- the **answer sets of single regions**, read when first asked and kept for the next requests
  (the least recently asked region goes first), each the province's `AnswerSet`;
- the **vacancy index** with the placement champion, for a post's candidates in the country.

Both are checked at start: the answers must be the training champion's version, and the
index's day must follow the placement champion's training cutoff; both are of a day on or
before the service's; what is missing says which batch job to run. They are opened at start
only: a new day's batch output, or a new champion, is served after a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from training import registry
from training.answers import MANIFEST, AnswerKey, AnswerSet
from training.contract import TRAINING_RECS
from training.national.scoring import AGENCY_COLUMN
from training.national.vacancies import VacancyIndex, placement_ranker

#: Regions whose answers a worker keeps in memory (each about 100,000 rows).
REGIONS_KEPT = 32


class NationalUnavailable(RuntimeError):
    """The national outputs the service was pointed at cannot be served (which job to run)."""


@dataclass(frozen=True)
class Directory:
    """Everyone in a national answer set: where their answers are and their agency."""

    ids: np.ndarray  # sorted, fixed-width bytes
    regions: np.ndarray  # the region code of each id
    agencies: np.ndarray  # the agency of each id on the day

    def find(self, employee_id: str) -> tuple[str, str] | None:
        """(region, agency) of a person in the set, or None."""
        key = employee_id.encode()
        at = int(np.searchsorted(self.ids, key))
        if at == len(self.ids) or self.ids[at] != key:
            return None
        return str(self.regions[at]), str(self.agencies[at])

    @classmethod
    def read(cls, folder: Path, subject: str) -> Directory:
        """The directory of a national answer set: per region, its subjects and agencies (two
        columns of its file; a person's rows are contiguous)."""
        ids, regions, agencies = [], [], []
        for part in sorted(folder.glob("region=*/part-0.parquet")):
            if AGENCY_COLUMN not in pq.read_schema(part).names:
                raise NationalUnavailable(
                    f"{part} has no {AGENCY_COLUMN} column (written by an older Jenjang): "
                    "run `jenjang batch score` again"
                )
            table = pq.read_table(part, columns=[subject, AGENCY_COLUMN], partitioning=None)
            people = table.column(subject).to_numpy()
            first = np.r_[True, people[1:] != people[:-1]] if len(people) else np.array([], bool)
            ids.append(people[first].astype(bytes))
            agencies.append(table.column(AGENCY_COLUMN).to_numpy()[first].astype(str))
            regions.append(np.full(int(first.sum()), part.parent.name.removeprefix("region=")))
        if not ids:
            raise NationalUnavailable(f"{folder} holds no region=<code>/part-0.parquet")
        every = np.concatenate(ids)
        order = np.argsort(every, kind="stable")
        return cls(every[order], np.concatenate(regions)[order], np.concatenate(agencies)[order])


class NationalAnswers:
    """One published national answer set: its key, manifest, directory and region sets."""

    def __init__(self, folder: Path, regions_kept: int = REGIONS_KEPT) -> None:
        self.folder = folder
        self.manifest = json.loads((folder / MANIFEST).read_text())
        self.key = AnswerKey(
            self.manifest["model"],
            str(self.manifest["version"]),
            dt.date.fromisoformat(self.manifest["as_of"]),
            self.manifest["snapshot_id"],
        )
        self.depth = int(self.manifest["depth"])
        self.directory = Directory.read(folder, self.manifest["subject"])
        self.regions_kept = regions_kept
        self._regions: OrderedDict[str, AnswerSet] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def latest(cls, root: Path, model: str, version: str, as_of: dt.date) -> NationalAnswers:
        """The newest complete national set of `model` v`version` for a day on or before
        `as_of` (a national batch runs daily; between runs the last one serves)."""
        base = Path(root) / model / f"version={version}"
        found = sorted(
            (
                folder
                for folder in base.glob("as_of=*/snapshot=*")
                if (folder / MANIFEST).is_file()
                and any(folder.glob("region=*"))
                and folder.parent.name.removeprefix("as_of=") <= as_of.isoformat()
            ),
            key=lambda f: (f.parent.name, (f / MANIFEST).stat().st_mtime),
        )
        if not found:
            raise NationalUnavailable(
                f"no national answers of {model} v{version} on or before {as_of} under {root}: "
                f"run `jenjang batch score --data … --out {root}`"
            )
        return cls(found[-1])

    def locate(self, employee_id: str) -> tuple[str, str] | None:
        return self.directory.find(employee_id)

    def lookup(self, employee_id: str, k: int) -> list[dict[str, Any]] | None:
        """The person's first `k` answers, or None when they are not in the set."""
        found = self.locate(employee_id)
        if found is None:
            return None
        return self._region(found[0]).lookup(employee_id, k)

    def _region(self, region: str) -> AnswerSet:
        with self._lock:  # two requests for a region not yet read read it once
            if region in self._regions:
                self._regions.move_to_end(region)
                return self._regions[region]
            part = self.folder / f"region={region}" / "part-0.parquet"
            texts = [f.name for f in pq.read_schema(part) if pa.types.is_string(f.type)]
            table = pq.read_table(part, read_dictionary=texts, partitioning=None)
            answers = AnswerSet(self.key, table, self.manifest)
            self._regions[region] = answers
            while len(self._regions) > self.regions_kept:
                self._regions.popitem(last=False)
            return answers


@dataclass
class National:
    """What a national deployment serves: the training answers, and the vacancy index with
    the placement champion's version and ranker (either may be absent: not configured)."""

    answers: NationalAnswers | None
    index: VacancyIndex | None
    ranker: tuple[str, Any] | None

    @classmethod
    def open(
        cls,
        settings: registry.RegistrySettings,
        answers_root: str | None,
        index_root: str | None,
        as_of: dt.date,
    ) -> National:
        """Open what is configured, checked against the registry's champions."""
        answers = index = ranker = None
        if answers_root:
            client = registry.configure(settings)
            version = registry.alias_version(client, TRAINING_RECS, registry.CHAMPION)
            if version is None:
                raise NationalUnavailable(f"{TRAINING_RECS} has no champion: promote one first")
            answers = NationalAnswers.latest(Path(answers_root), TRAINING_RECS, version, as_of)
        if index_root:
            try:
                index = _index_until(Path(index_root), as_of)
                ranker = placement_ranker(settings, index.as_of)
                index.load()  # at start (about 13 s for a country), not on a request
            except (FileNotFoundError, LookupError, ValueError) as error:
                raise NationalUnavailable(str(error)) from error
        return cls(answers, index, ranker)


def _index_until(root: Path, as_of: dt.date) -> VacancyIndex:
    """The newest vacancy index of a day on or before `as_of` (never one of a later day)."""
    days = sorted(
        {p.name.removeprefix("as_of=") for p in root.glob("*/version=*/as_of=*")},
        reverse=True,
    )
    for day in days:
        if day <= as_of.isoformat():
            try:
                return VacancyIndex.latest(root, pd.Timestamp(day))
            except FileNotFoundError:
                continue  # that day's index is of other feature code, or incomplete
    raise FileNotFoundError(
        f"no vacancy index of a day on or before {as_of} under {root}: build one with "
        "`jenjang batch index`"
    )
