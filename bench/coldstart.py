"""Cold starts: fresh processes until the first /predict response, split into phases.

Every scenario runs once per round and the rounds rotate their order, so a burst of
load from elsewhere on the machine lands on all scenarios alike; the import floor is
one of the scenarios, which makes it interleaved with the handlers' cold starts.
Round 0 only warms the page cache and the bytecode caches and is not counted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.sandbox import Runtime
from bench.stats import spread

PHASES = ("interpreter_ms", "imports_ms", "fetch_ms", "load_ms", "first_prediction_ms")
MEASURES = (*PHASES, "total_ms", "peak_rss_mib")


@dataclass(frozen=True)
class Scenario:
    name: str
    start: Callable[[], dict[str, Any]]


def scenarios(
    runtime: Runtime, event: Path, small_bucket: str, large_bucket: str, large_label: str
) -> list[Scenario]:
    """The import floor, then ours and the reference against each training CSV."""
    found = [Scenario("import floor", runtime.import_floor)]
    for suffix, bucket in (("", small_bucket), (f", {large_label}", large_bucket)):
        for impl, target in (("ours", runtime.ours), ("reference", runtime.reference)):
            found.append(
                Scenario(impl + suffix, lambda t=target, b=bucket: runtime.cold_start(t, b, event))
            )
    return found


def measure(runs: int, plan: list[Scenario]) -> dict[str, list[dict[str, Any]]]:
    samples: dict[str, list[dict[str, Any]]] = {s.name: [] for s in plan}
    for round_ in range(runs + 1):
        shift = round_ % len(plan)
        for scenario in plan[shift:] + plan[:shift]:
            sample = scenario.start()
            if round_:
                samples[scenario.name].append(sample)
            print(
                f"  cold start {round_}/{runs} {scenario.name:<32}{sample['total_ms']:>9.0f} ms"
                + ("" if round_ else " (warm-up, not counted)"),
                file=sys.stderr,
            )
    return samples


def summarize(samples: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per scenario: median/min/max of every measure it has, and the raw runs."""
    return {
        name: {
            **{m: spread([run[m] for run in runs]) for m in MEASURES if m in runs[0]},
            "runs": runs,
        }
        for name, runs in samples.items()
    }
