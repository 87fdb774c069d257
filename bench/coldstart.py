"""Cold starts: fresh processes until the first /predict response, split into phases.

Every scenario runs once per round and the rounds rotate their order, so a burst of
load from elsewhere on the machine lands on all scenarios alike; the import floor is
one of the scenarios, which makes it interleaved with the handlers' cold starts.
Round 0 only warms the page cache and the bytecode caches and is not counted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import IO, Any

from bench.handlers import Handler, answer
from bench.stats import spread

PHASES = (
    "interpreter_ms",
    "imports_ms",
    "fetch_ms",
    "load_ms",
    "restore_ms",
    "first_prediction_ms",
)
MEASURES = (*PHASES, "init_ms", "total_ms", "peak_rss_mib")
RESTORE = "ours, SnapStart restore"
Scenario = Callable[[], dict[str, float]]


def cold_start(
    handler: Handler, bucket: str, event: dict[str, Any], log: IO[str], cpus: list[int] | None
) -> dict[str, float]:
    """Spawn to first answer, from the host's replies: its init, then the first request.

    Imports are what init took beyond the timed phases, plus the imports the first
    request ran (unpickling imports lightgbm); the first prediction is what remains of
    the request once its phases and imports are taken out.
    """
    with handler.start(bucket, log, cpus) as container:
        init = container.first
        sample = {"interpreter_ms": init["interpreter_ms"]}
        if not handler.layout.handler:  # the import floor
            return {
                **sample,
                "imports_ms": init["init_ms"],
                "total_ms": init["at_ms"],
                **_rss(init),
            }
        first = answer(container, event)
    phases = [name for name in init["spent_ms"] if name != "imports"]
    during = {name: first["spent_ms"][name] - init["spent_ms"][name] for name in init["spent_ms"]}
    return {
        **sample,
        "imports_ms": init["init_ms"]
        - sum(init["spent_ms"][p] for p in phases)
        + during["imports"],
        "init_ms": init["init_ms"],
        **{f"{name}_ms": first["spent_ms"][name] for name in phases},
        "first_prediction_ms": first["duration_ms"] - sum(during.values()),
        "total_ms": first["at_ms"],
        **_rss(first),
    }


def restore(
    handler: Handler, bucket: str, event: dict[str, Any], log: IO[str], cpus: list[int] | None
) -> dict[str, float]:
    """SnapStart: init and the before-snapshot warm-up happen once, at publish time; what a
    new environment pays is the restore (hooks; Lambda adds loading the snapshot) and the
    first request."""
    with handler.start(bucket, log, cpus, snapstart=True) as container:
        init = container.first
        first = answer(container, event)
    return {
        "init_ms": init["init_ms"] + init["snapshot_ms"],
        "restore_ms": init["restore_ms"],
        "first_prediction_ms": first["duration_ms"],
        "total_ms": init["restore_ms"] + first["duration_ms"],
        **_rss(first),
    }


def scenarios(
    handlers: dict[str, Handler],
    event: dict[str, Any],
    buckets: dict[str, str],
    log: IO[str],
    cpus: list[int] | None,
) -> dict[str, Scenario]:
    """The import floor, then ours and the reference against each training CSV (buckets:
    label suffix → bucket)."""
    plan: dict[str, Scenario] = {
        "import floor": partial(cold_start, handlers["import floor"], "", event, log, cpus)
    }
    for suffix, bucket in buckets.items():
        for name in ("ours", "reference"):
            plan[name + suffix] = partial(cold_start, handlers[name], bucket, event, log, cpus)
    first_bucket = next(iter(buckets.values()))
    plan[RESTORE] = partial(restore, handlers["ours"], first_bucket, event, log, cpus)
    return plan


def _rss(reply: dict[str, Any]) -> dict[str, float]:
    return {"rss_mib": reply["rss_mib"], "peak_rss_mib": reply["peak_rss_mib"]}


def measure(runs: int, plan: dict[str, Scenario]) -> dict[str, list[dict[str, float]]]:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in plan}
    names = list(plan)
    for round_ in range(runs + 1):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            sample = plan[name]()
            if round_:
                samples[name].append(sample)
            print(
                f"  cold start {round_}/{runs} {name:<32}{sample['total_ms']:>9.0f} ms"
                + ("" if round_ else " (warm-up, not counted)"),
                file=sys.stderr,
            )
    return samples


def summarize(samples: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, Any]]:
    """Per scenario: median/min/max of every measure it has, and the raw runs."""
    return {
        name: {
            **{m: spread([run[m] for run in runs]) for m in MEASURES if m in runs[0]},
            "runs": runs,
        }
        for name, runs in samples.items()
    }
