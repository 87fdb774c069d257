"""One Lambda execution environment for the benchmarks, in a bare `python3.13 -I -S`.

    python3.13 -I -S bench/host.py SPEC.json SPAWNED_NS

Run as a script, never imported: until the handler module is imported only the
stdlib is loaded, as in the Lambda runtime, so the import time measured is the
function's own. SPAWNED_NS is the parent's time.time_ns() just before it started
this process, so "total" includes interpreter start-up, as an init duration does.

The host cold-starts (imports the handler, answers `first_event`), reports the phases
as one JSON line, then serves commands read from stdin, one JSON line each way.
Protocol lines go to the original stdout; the function's own stdout and stderr (its
logs) go to the spec's log file, as the runtime sends them to CloudWatch.
"""

import builtins
import contextlib
import functools
import importlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

spec = json.loads(Path(sys.argv[1]).read_text())
spawned_ns = int(sys.argv[2])
started_ns = time.time_ns()
if spec["cpus"]:
    os.sched_setaffinity(0, spec["cpus"])

protocol = os.fdopen(os.dup(1), "w", buffering=1)
log_fd = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.dup2(log_fd, 1)
os.dup2(log_fd, 2)
sys.path[:0] = spec["path"]


def send(message: dict[str, object]) -> None:
    protocol.write(json.dumps(message) + "\n")


def memory() -> dict[str, float]:
    """Current and peak resident set size in MiB, from the kernel's own accounting."""
    fields: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return {"rss_mib": fields["VmRSS"], "peak_rss_mib": fields["VmHWM"]}


class Context:
    function_name = "PredictFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:PredictFunction"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/PredictFunction"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


MAIN_THREAD = threading.get_ident()
real_import = builtins.__import__
# Nanoseconds: each phase's own time, and the imports that ran inside phases or the request.
spent = {"fetch": 0, "load": 0, "imports": 0}
nesting = 0


def counted_import(*args: Any, **kwargs: Any) -> Any:
    """builtins.__import__ that adds the main thread's outermost imports to spent["imports"].

    Unpickling a model imports lightgbm and scikit-learn: that is import time, whichever
    phase triggers it. Worker threads (s3transfer's) are left out so nothing counts twice.
    """
    global nesting
    if nesting or threading.get_ident() != MAIN_THREAD:
        return real_import(*args, **kwargs)
    nesting = 1
    began = time.perf_counter_ns()
    try:
        return real_import(*args, **kwargs)
    finally:
        nesting = 0
        spent["imports"] += time.perf_counter_ns() - began


@contextlib.contextmanager
def counting_imports() -> Iterator[None]:
    """Count imports only here: hooking every import of the handler module would slow it."""
    outer = builtins.__import__
    builtins.__import__ = counted_import
    try:
        yield
    finally:
        builtins.__import__ = outer


def timed(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its wall time less the imports it triggers to spent[phase]."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        imports_before = spent["imports"]
        began = time.perf_counter_ns()
        try:
            with counting_imports():
                return function(*args, **kwargs)
        finally:
            elapsed = time.perf_counter_ns() - began
            spent[phase] += elapsed - (spent["imports"] - imports_before)

    return wrapper


def ms(ns: int) -> float:
    return ns / 1e6


def import_floor() -> None:
    began = time.perf_counter_ns()
    for name in spec["imports"]:
        importlib.import_module(name)
    ended_ns = time.time_ns()
    send(
        {
            "interpreter_ms": ms(started_ns - spawned_ns),
            "imports_ms": ms(time.perf_counter_ns() - began),
            "total_ms": ms(ended_ns - spawned_ns),
            **memory(),
        }
    )


def cold_start() -> Callable[..., Any]:
    """Import the handler and answer the first event; phases split out by wrapping.

    The modules named in `preload` are imported first (their time counts as imports)
    so that the functions listed under each phase can be wrapped before any runs.
    """
    began = time.perf_counter_ns()
    for name in spec["preload"]:
        importlib.import_module(name)
    for phase, targets in spec["phases"].items():
        for target in targets:
            module_name, _, attribute = target.partition(":")
            module = sys.modules[module_name]
            setattr(module, attribute, timed(phase, getattr(module, attribute)))
    module_name, _, handler_name = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), handler_name)
    imported = time.perf_counter_ns()
    init = dict(spent)
    event = json.loads(Path(spec["first_event"]).read_text())
    began_request = time.perf_counter_ns()
    with counting_imports():
        response = handler(event, Context())
    answered = time.perf_counter_ns()
    answered_ns = time.time_ns()
    during = {name: spent[name] - init[name] for name in spent}
    send(
        {
            "status": response.get("statusCode"),
            "body": response.get("body") if response.get("statusCode") != 200 else None,
            "interpreter_ms": ms(started_ns - spawned_ns),
            # The handler import, less the phases' own time, plus imports the request ran.
            "imports_ms": ms(imported - began - init["fetch"] - init["load"] + during["imports"]),
            "fetch_ms": ms(spent["fetch"]),
            "load_ms": ms(spent["load"]),
            "first_prediction_ms": ms(answered - began_request - sum(during.values())),
            "total_ms": ms(answered_ns - spawned_ns),
            **memory(),
        }
    )
    return handler


def serve(handler: Callable[..., Any]) -> None:
    """Answer {"event": PATH, "calls": N} with N handler times; EOF ends the process."""
    for line in sys.stdin:
        command = json.loads(line)
        text = Path(command["event"]).read_text()
        durations: list[float] = []
        statuses: set[int] = set()
        for _ in range(command["calls"]):
            event = json.loads(text)  # a fresh event per call, as the runtime hands over
            began = time.perf_counter_ns()
            response = handler(event, Context())
            durations.append(ms(time.perf_counter_ns() - began))
            statuses.add(response.get("statusCode"))
        send({"durations_ms": durations, "statuses": sorted(statuses), **memory()})


if spec["mode"] == "floor":
    import_floor()
else:
    serve(cold_start())
