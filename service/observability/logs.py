"""The service's logs: one line per event, JSON by default, each with the id of the request it
belongs to, configured the same way in every worker process.

`log_config` is a `logging.config.dictConfig` dictionary. `jenjang serve` hands it to uvicorn,
which applies it in each worker it starts (a worker is a fresh process: configuring the parent
alone would lose the workers' lines). The request id comes from `asgi_correlation_id`: taken
from a valid ``X-Request-ID`` header, else generated, returned in the answer's header and put on
every record logged while the request runs (``request_id``; ``-`` outside a request).

Nothing personal goes into a line: records carry ids, never a NIP or a name (a test greps a
whole session's logs for every NIP and name of the dataset).
"""

from __future__ import annotations

from typing import Any, Literal

LogFormat = Literal["json", "text"]

#: The fields of a JSON line, in `logging`'s names, and what they are called in the line.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(correlation_id)s %(message)s"
RENAMED = {
    "asctime": "time",
    "levelname": "level",
    "name": "logger",
    "process": "pid",
    "correlation_id": "request_id",
}
TEXT_FIELDS = "%(asctime)s %(levelname)s %(process)d [%(correlation_id)s] %(name)s: %(message)s"


def log_config(level: str = "INFO", log_format: LogFormat = "json") -> dict[str, Any]:
    """Logging for a service process: the root logger (the app's own modules) and uvicorn's
    loggers write to standard error through one handler, in `log_format`, at `level`."""
    formatter: dict[str, Any]
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": RENAMED,
        }
    else:
        formatter = {"format": TEXT_FIELDS}
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "line",
        "filters": ["request_id"],
    }
    uvicorn = {"handlers": ["out"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"}
        },
        "formatters": {"line": formatter},
        "handlers": {"out": handler},
        "root": {"handlers": ["out"], "level": level.upper()},
        "loggers": {
            "uvicorn": uvicorn,
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": uvicorn,
        },
    }
