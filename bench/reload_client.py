"""The client side of bench/load_reload.py: keep-alive connections asking a running service
for training recommendations, each answer timed and kept with its model version and suggestion
id; the champion moved at set times meanwhile; and the figures of what the clients saw.

Modelled on tests/service/test_under_load.py (`_ask`, `_versions_now`), with two differences a
benchmark needs: every request is timed, and a failed request is counted and the connection
opened again, so one failure does not silence a client for the rest of the run.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: A move of the champion: seconds into the load, and what moves it (returns the versions it
#: moved from and to, as ``{"from": …, "version": …}``).
Move = tuple[float, Callable[[], dict[str, str]]]


@dataclass
class Client:
    """What one connection saw: per answer, when it was sent (seconds into the load), how long
    it took (seconds), its model version and suggestion id; per failure, when and what."""

    sent: list[float] = field(default_factory=list)
    took: list[float] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    failures: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class Answers:
    """Every client's answers, merged (each client keeps its own lists: no lock per answer)."""

    clients: list[Client]

    def column(self, name: str) -> np.ndarray:
        return np.array([x for c in self.clients for x in getattr(c, name)])

    def failures(self) -> list[tuple[float, str]]:
        return sorted(f for c in self.clients for f in c.failures)

    def suggestions(self) -> set[str]:
        return {s for c in self.clients for s in c.suggestions}

    def count(self) -> int:
        return sum(len(c.sent) for c in self.clients)


def _ask(
    port: int,
    token: str,
    people: list[str],
    client: Client,
    stop: threading.Event,
    seed: int,
    began: float,
) -> None:
    """One client: a keep-alive connection asking for random people's trainings until `stop`;
    after a failure it connects again."""
    draw = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    connection: http.client.HTTPConnection | None = None
    while not stop.is_set():
        connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        path = f"/api/v1/employees/{draw.choice(people)}/trainings?k=10"
        sent = time.perf_counter()
        try:
            connection.request("GET", path, None, headers)
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as error:
            client.failures.append((sent - began, f"{type(error).__name__}: {error}"))
            connection.close()
            connection = None
            continue
        if answer.status != 200:
            client.failures.append((sent - began, f"{answer.status}: {body[:200]!r}"))
            continue
        shown = json.loads(body)
        client.sent.append(sent - began)
        client.took.append(time.perf_counter() - sent)
        client.versions.append(str(shown["model"]["version"]))
        client.suggestions.append(str(shown["suggestion_id"]))
    if connection is not None:
        connection.close()


def load(
    port: int, token: str, people: list[str], connections: int, seconds: float, moves: list[Move]
) -> tuple[Answers, list[dict[str, Any]]]:
    """`connections` clients for `seconds`, the `moves` made at their times; the answers and
    each move's time (when the alias was set) and versions."""
    stop = threading.Event()
    clients = [Client() for _ in range(connections)]
    began = time.perf_counter()
    threads = [
        threading.Thread(target=_ask, args=(port, token, people, c, stop, i, began), daemon=True)
        for i, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    made = []
    for at, move in moves:
        time.sleep(max(0.0, began + at - time.perf_counter()))
        versions = move()
        made.append({"at": time.perf_counter() - began} | versions)
    time.sleep(max(0.0, began + seconds - time.perf_counter()))
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return Answers(clients), made


def versions_now(port: int, token: str, people: list[str], asks: int = 60) -> list[str]:
    """The versions that answer new connections (the workers take them in turn)."""
    seen = set()
    for person in people[:asks]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}"}
        connection.request("GET", f"/api/v1/employees/{person}/trainings?k=1", None, headers)
        answer = connection.getresponse()
        if answer.status == 200:
            seen.add(str(json.loads(answer.read())["model"]["version"]))
        connection.close()
    return sorted(seen)


def workers_versions(port: int, model: str) -> dict[str, str]:
    """The version of `model` each live worker process serves, from ``/metrics``
    (``jenjang_model_in_service``, one series per worker's pid)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    found = {}
    for line in text.splitlines():
        if not line.startswith("jenjang_model_in_service{") or not line.endswith(" 1.0"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
        if labels.get("model") == model:
            found[labels.get("pid", "?")] = labels.get("version", "?")
    return found


def _ms(values: np.ndarray) -> str:
    if not len(values):
        return "no answers"
    p50, p95, p99 = np.percentile(values * 1000, [50, 95, 99])
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"


def _phases(answers: Answers, moves: list[dict[str, Any]], seconds: float) -> list[str]:
    """One row per phase (before, between and after the moves): requests, latency, versions."""
    sent, took, versions = (
        answers.column("sent"),
        answers.column("took"),
        answers.column("versions"),
    )
    bounds = [0.0, *(m["at"] for m in moves), seconds + 60]
    rows = []
    for i, (low, high) in enumerate(zip(bounds, bounds[1:], strict=False)):
        inside = (sent >= low) & (sent < high)
        label = "before the first move" if i == 0 else f"after move {i}"
        span = f"{low:.0f}–{min(high, seconds):.0f} s"
        counts = zip(*np.unique(versions[inside], return_counts=True), strict=True)
        answered = ", ".join(f"v{v}: {n:,}" for v, n in counts)
        rows.append(
            f"| {label} ({span}) | {inside.sum():,} answers ({answered}); {_ms(took[inside])} |"
        )
    return rows


def _switches(answers: Answers, moves: list[dict[str, Any]]) -> list[str]:
    """Per move: how long until the new version first answered, and until the one it replaced
    last did (every worker had reloaded by then)."""
    sent, versions = answers.column("sent"), answers.column("versions")
    rows = []
    for i, move in enumerate(moves, 1):
        new, old, at = move["version"], move["from"], move["at"]
        first = sent[(versions == new) & (sent >= at)]
        old_after = sent[(versions == old) & (sent >= at)]
        last_old = f"{old_after.max() - at:.1f} s" if len(old_after) else "none after the move"
        came = f"{first.min() - at:.1f} s" if len(first) else "never"
        rows.append(
            f"| move {i} at {at:.1f} s (v{old} → v{new}) | first answer by v{new} "
            f"{came} after the move; last answer by v{old} {last_old} after it |"
        )
    return rows


def report_lines(found: dict[str, Any]) -> list[str]:
    """The figures as a table, with the preparation's times and the checks' verdicts."""
    answers: Answers = found["answers"]
    moves, after = found["moves"], found["after"]
    failures, took = answers.failures(), answers.column("took")
    seconds = max(answers.column("sent").max(initial=0.0), 1.0)
    last = moves[-1]["version"] if moves else "?"
    on_last = (
        set(after["per worker (/metrics)"].values()) == {last} == set(after["fresh connections"])
    )
    prepared = ", ".join(f"{k} {v:.0f} s" for k, v in found["prepared"].items())
    return [
        f"Preparation: {prepared}; the service ready (both workers' first) after "
        f"{found['started']:.1f} s.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| requests answered | {answers.count():,} ({answers.count() / seconds:,.0f} req/s) |",
        f"| failed requests | {len(failures)} (target 0: {'met' if not failures else 'NOT met'})"
        + (f"; first: {failures[0][1]} at {failures[0][0]:.1f} s" if failures else "")
        + " |",
        f"| latency, whole run | {_ms(took)}, max {took.max(initial=0) * 1000:.0f} ms |",
        *_phases(answers, moves, seconds),
        *_switches(answers, moves),
        f"| versions after the load | new connections: "
        f"{', '.join('v' + v for v in after['fresh connections'])}; per worker (/metrics): "
        + ", ".join(f"pid {p}: v{v}" for p, v in sorted(after["per worker (/metrics)"].items()))
        + f" (all on v{last}: {'yes' if on_last else 'NO'}) |",
        f"| audit log | {len(answers.suggestions()):,} suggestion ids received, "
        f"{found['unaudited']} without their row (target 0: "
        f"{'met' if found['unaudited'] == 0 else 'NOT met'}) |",
    ]
