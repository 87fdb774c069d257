"""Bounded loopback load: client threads, latency percentiles, RSS of the server from /proc.

Every load here targets 127.0.0.1 only and is bounded by a deadline and a request cap.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.stats import percentile

MIB = 1024 * 1024
# `make soak` sets SOAK_SECONDS (e.g. 60); `make test` runs the short version.
LOAD_SECONDS = float(os.environ.get("SOAK_SECONDS") or 10)
CLIENTS = int(os.environ.get("LOAD_CLIENTS") or 16)
REQUEST_CAP = 200_000  # a second bound besides the deadline
CLIENT_TIMEOUT = 35.0  # above the function timeout (30 s): a hang shows as an error


def rss_bytes(pid: int) -> int:
    """Resident set size of pid (VmRSS), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Outcome:
    status: int
    seconds: float
    body: Any = None
    error: str | None = None


def request(
    base: str, method: str, path: str, body: Any = None, timeout: float = CLIENT_TIMEOUT
) -> Outcome:
    """One request on a fresh connection (werkzeug's server closes after each answer)."""
    url = urlsplit(base)
    assert url.hostname == "127.0.0.1", f"loopback only, not {url.hostname}"
    data = None if body is None else json.dumps(body).encode()
    started = time.perf_counter()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        headers = {"content-type": "application/json"} if data is not None else {}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - started
        content_type = response.getheader("content-type", "")
        try:
            parsed = json.loads(raw)
        except ValueError:
            return Outcome(response.status, elapsed, raw[:200], "body is not JSON")
        if not content_type.startswith("application/json"):
            return Outcome(response.status, elapsed, parsed, f"content-type {content_type!r}")
        return Outcome(response.status, elapsed, parsed)
    except OSError as exc:
        return Outcome(0, time.perf_counter() - started, None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    ms = [sample * 1000 for sample in samples]
    return {f"p{q}_ms": percentile(ms, q) for q in (50, 90, 99)} | {"max_ms": max(ms)}


@dataclass
class LoadResult:
    seconds: float
    clients: int
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def rss_quarters(self) -> tuple[float, float]:
        """Median RSS (bytes) of the first and the last quarter of the samples."""
        values = [v for _, v in self.rss if v]
        quarter = max(1, len(values) // 4)
        return statistics.median(values[:quarter]), statistics.median(values[-quarter:])

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "requests": self.count,
            "rps": round(self.count / self.seconds, 1) if self.seconds else 0.0,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": len(self.errors),
            **{k: round(v, 1) for k, v in percentiles(self.latencies).items()},
        }
        if self.rss:
            first, last = self.rss_quarters()
            values = [v for _, v in self.rss if v]
            out["rss_first_quarter_mib"] = round(first / MIB, 1)
            out["rss_last_quarter_mib"] = round(last / MIB, 1)
            out["rss_max_mib"] = round(max(values) / MIB, 1)
            out["rss_samples"] = len(values)
        return out


Check = Callable[[Outcome], str | None]


def run_load(
    base: str,
    make_body: Callable[[int, int], Any],
    *,
    seconds: float = LOAD_SECONDS,
    clients: int = CLIENTS,
    pid: int | None = None,
    check: Check | None = None,
    stop: threading.Event | None = None,
    path: str = "/predict",
) -> LoadResult:
    """`clients` threads POST make_body(client, turn) to base+path until the deadline.

    check(outcome) returns a problem or None; statuses are always counted. RSS of pid
    is sampled every 0.2 s meanwhile.
    """
    result = LoadResult(seconds, clients)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    stop = stop or threading.Event()
    budget = iter(range(REQUEST_CAP))

    def client(index: int) -> None:
        turn = 0
        while time.monotonic() < deadline and not stop.is_set():
            with lock:
                if next(budget, None) is None:
                    return
            outcome = request(base, "POST", path, make_body(index, turn))
            problem = outcome.error or (check(outcome) if check else None)
            with lock:
                result.statuses[outcome.status] += 1
                result.latencies.append(outcome.seconds)
                if problem:
                    result.errors.append(f"client {index} turn {turn}: {outcome.status} {problem}")
            turn += 1
            if outcome.status == 0:
                time.sleep(0.05)  # connection refused: no busy loop until the deadline

    def sampler() -> None:
        while time.monotonic() < deadline and not stop.is_set():
            result.rss.append((time.monotonic(), rss_bytes(pid or 0)))
            time.sleep(0.2)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    if pid is not None:
        threads.append(threading.Thread(target=sampler, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 2 * CLIENT_TIMEOUT)
        assert not thread.is_alive(), "a load client hung past its bound"
    result.seconds = time.monotonic() - started
    return result


def only_200_predictions(expected: dict[int, list[float]] | None = None) -> Check:
    """200 with one finite prediction per record (and the reference ones, when given)."""

    def check(outcome: Outcome) -> str | None:
        if outcome.status != 200:
            return str(outcome.body)[:200]
        body = outcome.body
        if not isinstance(body, dict) or body.get("count") != len(body.get("predictions", [])):
            return f"malformed body {str(body)[:200]}"
        if expected is not None and body["predictions"] != expected.get(body["count"]):
            return "predictions differ from the reference"
        return None

    return check
