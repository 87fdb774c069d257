"""One Lambda execution environment: this process, laid out by local.runner.

    python3.13 [-I -S | -P] local/host.py SPEC_JSON SPAWNED_NS

Stdlib only until the handler is imported, as in the python3.13 runtime, so a cold start
measures the function's own imports. The host imports the handler at once (the init
phase) and replies one JSON line, then one line per command line on stdin:
{"invoke": EVENT, "request_id": ID, "deadline": EPOCH} or {"inspect": true}. Replies go
to the original stdout; the function's own stdout goes to stderr, as the runtime sends
both to CloudWatch. SPAWNED_NS, the parent's time.time_ns() just before the spawn, lets
replies count interpreter start-up, as an Init Duration does.

SPEC: {"path": [...], "handler": "module.function" or "" (imports only), "preload":
[modules imported first], "phases": {"name": ["module:function", ...]}, "cpus": [...]}.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any


class LambdaContext:
    """The python3.13 runtime's context object, filled from the runtime's environment."""

    def __init__(self, request_id: str, deadline: float) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        where = f"{env.get('AWS_REGION', '')}:{env.get('AWS_ACCOUNT_ID', '')}"
        self.invoked_function_arn = f"arn:aws:lambda:{where}:function:{self.function_name}"
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = request_id
        self.identity = self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def lambda_error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's error object; exactly these keys, which is how SAM tells an error from a result."""
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_exception(exc),
    }


class Phases:
    """Nanoseconds spent in named functions, less the imports they ran, and in those imports.

    Unpickling a model imports lightgbm: that is import time, whichever phase runs it.
    builtins.__import__ is hooked only inside the timed functions and the first request:
    hooking every import would slow them.
    """

    def __init__(self, names: list[str]) -> None:
        self.spent = dict.fromkeys([*names, "imports"], 0)
        self._real_import = builtins.__import__
        self._main = threading.get_ident()
        self._nested = False

    def _import(self, *args: Any, **kwargs: Any) -> Any:
        # Only the main thread's outermost imports: s3transfer's threads would count twice.
        if self._nested or threading.get_ident() != self._main:
            return self._real_import(*args, **kwargs)
        self._nested, began = True, time.perf_counter_ns()
        try:
            return self._real_import(*args, **kwargs)
        finally:
            self._nested = False
            self.spent["imports"] += time.perf_counter_ns() - began

    @contextmanager
    def counting_imports(self) -> Iterator[None]:
        outer, builtins.__import__ = builtins.__import__, self._import
        try:
            yield
        finally:
            builtins.__import__ = outer

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            imports, began = self.spent["imports"], time.perf_counter_ns()
            try:
                with self.counting_imports():
                    return function(*args, **kwargs)
            finally:
                own = time.perf_counter_ns() - began - (self.spent["imports"] - imports)
                self.spent[phase] += own

        return wrapper


class Host:
    def __init__(self, spec: dict[str, Any], spawned_ns: int) -> None:
        self.spec, self.spawned_ns = spec, spawned_ns
        self.interpreter_ms = (time.time_ns() - spawned_ns) / 1e6
        self.phases = Phases(list(spec.get("phases", {})))
        self.replies = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)
        self.handler: Callable[[Any, Any], Any] | None = None
        self.invoked = False

    def reply(self, message: dict[str, Any]) -> None:
        """`message` and the figures every reply carries: time since spawn, phases, memory."""
        lines = Path("/proc/self/status").read_text().splitlines()
        kib = {
            k: int(v.split()[0]) for k, _, v in (x.partition(":") for x in lines) if k[:2] == "Vm"
        }
        message.update(
            at_ms=(time.time_ns() - self.spawned_ns) / 1e6,
            spent_ms={name: ns / 1e6 for name, ns in self.phases.spent.items()},
            rss_mib=kib["VmRSS"] / 1024,
            peak_rss_mib=kib["VmHWM"] / 1024,
        )
        self.replies.write(json.dumps(message) + "\n")
        self.replies.flush()

    def init(self) -> None:
        began = time.perf_counter_ns()
        for name in self.spec.get("preload", ()):
            importlib.import_module(name)
        for phase, targets in self.spec.get("phases", {}).items():
            for target in targets:
                module, _, name = target.partition(":")
                timed = self.phases.timed(phase, getattr(sys.modules[module], name))
                setattr(sys.modules[module], name, timed)
        if self.spec["handler"]:
            module, _, name = self.spec["handler"].rpartition(".")
            self.handler = getattr(importlib.import_module(module), name)
        init_ms = (time.perf_counter_ns() - began) / 1e6
        restore = self.snapshot_and_restore() if self.spec.get("snapstart") else {}
        self.reply(
            {"ok": True, "init_ms": init_ms, "interpreter_ms": self.interpreter_ms, **restore}
        )

    def snapshot_and_restore(self) -> dict[str, float]:
        """SnapStart in one process: before-snapshot hooks, then the restored copy's world
        (no S3 to reach: all it needs is in the snapshot), then after-restore hooks."""
        import snapshot_restore_py as hooks

        began = time.perf_counter_ns()
        for function, args, kwargs in hooks._before_snapshot_registry:
            function(*args, **kwargs)
        snapshot_ms = (time.perf_counter_ns() - began) / 1e6
        os.environ["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9"  # the discard port: closed
        began = time.perf_counter_ns()
        for function, args, kwargs in hooks._after_restore_registry:
            function(*args, **kwargs)
        return {"snapshot_ms": snapshot_ms, "restore_ms": (time.perf_counter_ns() - began) / 1e6}

    def invoke(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.handler is not None, "an imports-only host takes no invocations"
        context = LambdaContext(command["request_id"], command["deadline"])
        counting = nullcontext() if self.invoked else self.phases.counting_imports()
        began = time.perf_counter_ns()
        try:  # the first request is still the cold start's: its imports are counted
            with counting:
                result = self.handler(command["invoke"], context)
            outcome: dict[str, Any] = {"payload": json.dumps(result)}
        except Exception as exc:  # the handler's, or a result JSON cannot carry
            outcome = {"error": lambda_error(exc)}
        self.invoked = True
        return {**outcome, "duration_ms": (time.perf_counter_ns() - began) / 1e6}


def inspect() -> dict[str, Any]:
    files = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
    maps = Path("/proc/self/maps").read_text().splitlines()
    return {
        "modules": sorted(f for f in files if f and f != __file__),
        "shared_objects": sorted({line.split()[-1] for line in maps if ".so" in line}),
        "path": sys.path,
    }


def main() -> None:
    spec, spawned_ns = json.loads(sys.argv[1]), int(sys.argv[2])
    # The parent ends this process (EOF or SIGKILL); Ctrl-C in its terminal is its to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if spec.get("cpus"):
        os.sched_setaffinity(0, spec["cpus"])
    sys.path[:0] = spec["path"]
    host = Host(spec, spawned_ns)
    try:
        host.init()
    except Exception as exc:  # Lambda reports a failed init; the next invoke starts anew
        traceback.print_exc()
        host.reply({"ok": False, "error": lambda_error(exc, "Runtime.ImportModuleError")})
        return
    for line in sys.stdin:
        command = json.loads(line)
        host.reply(inspect() if "inspect" in command else host.invoke(command))


if __name__ == "__main__":
    main()
