"""Settings of the service: the data layer's and the registry's (`training.registry`) plus what
serving needs.

``environment`` is ``demo`` (the embedded default of `make demo`) or ``production``. Production
refuses to start without a ``secret_key`` of its own (`check_for_start`); the demo generates one
per process, so its tokens end with the process.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache
from typing import Literal

from pydantic import Field

from training.registry import RegistrySettings

#: Shortest secret accepted in production (bytes of URL-safe text).
MIN_SECRET_LENGTH = 32


class ServiceSettings(RegistrySettings):
    """``model_cache_dir``: where the last successfully loaded champion of each model is kept,
    so the service can start from it when the registry is unreachable. ``answers_dir``: the
    day's precomputed answers (`jenjang score`)."""

    environment: Literal["demo", "production"] = "demo"
    secret_key: str | None = None
    token_minutes: int = 60
    model_cache_dir: str = "models/cache"
    #: Where `jenjang score` writes the day's precomputed answers and the service reads them
    #: (`training.answers`; partitioned by model, version, date and data snapshot).
    answers_dir: str = "models/answers"
    #: A national deployment: where `jenjang batch score --out` wrote the country's training
    #: answers, and where `jenjang batch index --out` wrote the vacancy index; served under
    #: /api/v1/national (`service.state.national`). Unset: a province deployment only.
    national_answers_dir: str | None = None
    national_index_dir: str | None = None
    #: How often each worker looks for new champions or new data and reloads (0: never; a
    #: reload then reaches only the worker asked by `POST /models/reload`).
    reload_poll_seconds: float = 10.0
    #: The date answers hold for (a demo or a rehearsal may pin it). Unset: the extraction
    #: date of the data in the database (the latest its ingests recorded), else today.
    as_of: dt.date | None = None
    #: Threads that run the synchronous endpoints of one worker process (None: anyio's 40).
    #: In one load test 4 threads cut the trivial endpoint's p99 at 16 connections from 142 to
    #: 9 ms but raised the training recommendations' from 65 to 174 ms (docs/service.md).
    threads: int | None = None
    #: The largest request body accepted, in bytes; a larger one is refused with 413 before it
    #: is parsed (`service.access.guards`). The API's bodies and the pages' forms are a few
    #: kilobytes; no route takes a file.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: Sign-in throttling (`service.access.sign_in`), counted in the database for every worker:
    #: this many refused sign-ins of one account within the window lock it for the lockout
    #: time; this many from one client address within the window refuse that address (429)
    #: for the lockout time. Both end by themselves.
    sign_in_account_failures: int = Field(default=5, ge=1)
    sign_in_address_failures: int = Field(default=20, ge=1)
    sign_in_window_minutes: int = Field(default=15, ge=1)
    sign_in_lockout_minutes: int = Field(default=15, ge=1)
    #: The fewest people an aggregate cell may show to someone who may not see them one by one
    #: (an analyst without a grant); smaller cells, and those that would give them back from a
    #: total, are withheld (`service.access.disclosure`). 5 is the usual threshold of
    #: statistical offices and health-data rules for counts of people; 2 is the least (a cell
    #: of 1 names its person).
    min_cell_size: int = Field(default=5, ge=2)
    #: Days the audit log keeps its rows; `jenjang audit prune` deletes older ones (except the
    #: suggestions feedback judged, the retraining's evaluation data, and the prunings' own
    #: rows). 730: two SKP cycles, time enough to object to a decision and to review it
    #: (`service.access.retention`). 0: keep everything (prune then needs --before).
    audit_retention_days: int = Field(default=730, ge=0)
    #: The service's log lines (`service.observability.logs`): JSON (one object per line, for a
    #: log collector) or text (for a person at a terminal; `make demo` uses it); both carry
    #: the request id.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: Set: ``GET /metrics`` wants ``Authorization: Bearer <token>``. Unset: it answers anyone
    #: who reaches the port (keep the port private then).
    metrics_token: str | None = None

    def check_for_start(self) -> ServiceSettings:
        """These settings, ready to serve: a secret in production, a generated one in the demo."""
        if self.secret_key is None or not self.secret_key.strip():
            if self.environment == "production":
                raise ValueError(
                    "JENJANG_SECRET_KEY is not set: production refuses to start without its own "
                    "secret (generate one with `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`)"
                )
            return self.model_copy(update={"secret_key": secrets.token_urlsafe(48)})
        if self.environment == "production" and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"JENJANG_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters: too weak"
            )
        return self


@lru_cache
def get_service_settings() -> ServiceSettings:
    """The process's service settings (cached; tests pass their own to `create_app`)."""
    return ServiceSettings()
