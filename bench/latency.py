"""Warm latency: handler time per batch size, ours and the reference side by side.

Both containers stay up together and take turns in blocks of calls, so a change in
machine load during the series hits both alike; the first calls of each size are a
warm-up and are not counted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.sandbox import Runtime
from bench.stats import percentile

BLOCK = 20
WARMUP = 10


def _summary(durations: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": percentile(durations, 50),
        "p99_ms": percentile(durations, 99),
        "calls": len(durations),
        "samples_ms": durations,
    }


def measure(runtime: Runtime, bucket: str, events: dict[int, Path], calls: int) -> dict[str, Any]:
    """p50/p99 per batch size for each handler, and each container's memory."""
    first = events[min(events)]
    with (
        runtime.start(runtime.ours, bucket, first) as ours,
        runtime.start(runtime.reference, bucket, first) as reference,
    ):
        hosts = {"ours": ours, "reference": reference}
        latency: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in hosts}
        memory = {name: {"after_cold_start": host.cold} for name, host in hosts.items()}
        for size, event in sorted(events.items()):
            durations: dict[str, list[float]] = {name: [] for name in hosts}
            for host in hosts.values():
                host.calls(event, WARMUP)
            while len(durations["ours"]) < calls:
                block = min(BLOCK, calls - len(durations["ours"]))
                for name, host in hosts.items():
                    reply = host.calls(event, block)
                    durations[name] += reply["durations_ms"]
                    memory[name][f"after_{size}_records"] = reply
            for name in hosts:
                latency[name][size] = _summary(durations[name])
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
