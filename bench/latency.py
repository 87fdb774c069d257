"""Warm latency: handler time per batch size, ours and the reference side by side.

Both containers stay up together and take turns in blocks of calls, so a change in
machine load during the series hits both alike; the first calls of each size are a
warm-up and are not counted. The time is the handler call's, measured in the host.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import IO, Any

from bench.handlers import Handler, answer
from bench.stats import percentile

BLOCK = 20
WARMUP = 10


def measure(
    handlers: dict[str, Handler],
    bucket: str,
    events: dict[int, dict[str, Any]],
    calls: int,
    log: IO[str],
    cpus: list[int] | None,
) -> dict[str, Any]:
    """p50/p99 per batch size for each handler, and each container's memory."""
    with ExitStack() as stack:
        hosts = {n: stack.enter_context(handlers[n].start(bucket, log, cpus)) for n in handlers}
        memory = {
            name: {"after_cold_start": answer(host, events[min(events)])}
            for name, host in hosts.items()
        }
        latency: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in hosts}
        for size, event in sorted(events.items()):
            durations: dict[str, list[float]] = {name: [] for name in hosts}
            for host in hosts.values():
                for _ in range(WARMUP):
                    answer(host, event)
            while len(durations["ours"]) < calls:
                block = min(BLOCK, calls - len(durations["ours"]))
                for name, host in hosts.items():
                    replies = [answer(host, event) for _ in range(block)]
                    durations[name] += [reply["duration_ms"] for reply in replies]
                    memory[name][f"after_{size}_records"] = replies[-1]
            for name, samples in durations.items():
                latency[name][size] = {
                    "p50_ms": percentile(samples, 50),
                    "p99_ms": percentile(samples, 99),
                    "calls": len(samples),
                    "samples_ms": samples,
                }
            print(
                f"  warm {size:>5} records: ours p50 {latency['ours'][size]['p50_ms']:.1f} ms, "
                f"reference p50 {latency['reference'][size]['p50_ms']:.1f} ms",
                file=sys.stderr,
            )
    return {
        "latency": latency,
        "memory": {
            name: {
                when: {"rss_mib": reply["rss_mib"], "peak_rss_mib": reply["peak_rss_mib"]}
                for when, reply in stages.items()
            }
            for name, stages in memory.items()
        },
    }
