"""One Lambda execution environment, in-process: init once, then one invocation at a time.

Lambda never runs two invocations in one environment at once, and handlers (Powertools
included) keep per-request state in module globals. So every invocation runs on the
container's single worker thread, in arrival order. The handler module is imported on
that thread at the first invocation, like Lambda's on-demand init, so the first request
after start is a cold start and pays for the import and the artifact download.

A handler that overruns the timeout cannot be killed in-process (threads cannot be
stopped): the caller gets the timeout at once, and the worker finishes the stray call
before taking the next one, as a slow container would delay its own queue.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.template import ACCOUNT_ID, REGION, Function

log = logging.getLogger("local")

# Lambda's synchronous invocation limit, for the request and the response alike.
PAYLOAD_LIMIT = 6_291_556
LAMBDA_TMP = Path("/tmp")  # Lambda's only writable disk; remapped per container below


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an invocation produced: the return value, or Lambda's error object."""

    response: Any = None
    error: dict[str, Any] | None = None
    timed_out: bool = False


class LambdaContext:
    """The attributes and method of the Python runtime's context object."""

    def __init__(self, function: Function, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function.name}"
        self.memory_limit_in_mb = str(function.memory)  # a string in the real runtime too
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def lambda_variables(function: Function, shell: Mapping[str, str]) -> dict[str, str]:
    """The runtime's own variables (as `sam local` sets them), credentials from the shell."""
    region = shell.get("AWS_REGION") or shell.get("AWS_DEFAULT_REGION") or REGION
    variables = {
        "AWS_SAM_LOCAL": "true",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
        "AWS_LAMBDA_FUNCTION_HANDLER": function.handler,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": function.logging.get("LogGroup")
        or f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": shell.get("AWS_ACCESS_KEY_ID", "defaultkey"),
        "AWS_SECRET_ACCESS_KEY": shell.get("AWS_SECRET_ACCESS_KEY", "defaultsecret"),
    }
    if function.logging.get("LogFormat"):
        variables["AWS_LAMBDA_LOG_FORMAT"] = function.logging["LogFormat"]
    return variables


def import_roots(function: Function, from_build: bool) -> list[Path]:
    """sys.path entries the handler is imported from, first wins.

    From the build: the built function dir and each layer's python/ (Lambda's /var/task
    and /opt/python). From source: the folder holding the handler's package; CodeUri may
    name the package folder itself when a makefile build nests it under the artifact root.
    """
    if from_build:
        return [function.code_dir, *(layer / "python" for layer in function.layer_dirs)]
    package = function.handler.split(".", 1)[0]
    code = function.code_dir
    nested = (code / package).is_dir() or (code / f"{package}.py").is_file()
    return [code if nested or code.name != package else code.parent]


def library_dirs(function: Function) -> list[Path]:
    """Layer lib/ dirs: /opt/lib is on LD_LIBRARY_PATH in Lambda."""
    return [layer / "lib" for layer in function.layer_dirs if (layer / "lib").is_dir()]


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def _check_origins(roots: list[Path]) -> None:
    """From a build, every module it ships must load from it: a venv copy would hide a gap.

    A name shipped by several roots must come from the first, as sys.path order decides.
    """
    seen: set[str] = set()
    for root in roots:
        for entry in root.iterdir():
            name = entry.name.split(".", 1)[0]
            loaded = sys.modules.get(name)
            origin = getattr(loaded, "__file__", None)
            if name in seen or not origin:
                continue
            seen.add(name)
            if not Path(origin).resolve().is_relative_to(root):
                raise ImportError(f"{name} was imported from {origin}, not from {root}")


class Container:
    def __init__(
        self, function: Function, environment: Mapping[str, str], *, from_build: bool = False
    ) -> None:
        self.function = function
        self.from_build = from_build
        # Each container gets an empty /tmp of its own, as in Lambda; paths under /tmp
        # (ARTIFACT_DIR) are moved into it so a start is as cold as a new container.
        self.tmp = Path(tempfile.mkdtemp(prefix=f"lambda-{function.name}-"))
        self.environment = {k: self._rebase(v) for k, v in environment.items()}
        # Like /var/task and /opt/python, the import roots exist before init; putting them
        # first now also makes later imports (boto3's deps) resolve as they do in Lambda.
        self.roots = import_roots(function, from_build)
        for root in reversed(self.roots):
            sys.path.insert(0, str(root))
        self._handler: Callable[[Any, Any], Any] | None = None
        self._queue: queue.SimpleQueue[tuple[Future[Outcome], dict[str, Any], str, float]]
        self._queue = queue.SimpleQueue()
        # Daemon: a handler stuck past its timeout must not keep the process alive at exit.
        threading.Thread(target=self._work, name=function.name, daemon=True).start()

    def _rebase(self, value: str) -> str:
        path = Path(value)
        if path.is_absolute() and path.is_relative_to(LAMBDA_TMP):
            return str(self.tmp / path.relative_to(LAMBDA_TMP))
        return value

    def invoke(self, event: dict[str, Any], request_id: str) -> Outcome:
        """Run one invocation; waits at most the function timeout, queueing included."""
        deadline = time.time() + self.function.timeout
        future: Future[Outcome] = Future()
        self._queue.put((future, event, request_id, deadline))
        try:
            return future.result(timeout=self.function.timeout)
        except FutureTimeout:
            future.cancel()  # only succeeds while still queued; a running call finishes
            log.warning(
                "%s Task timed out after %.2f seconds", request_id, float(self.function.timeout)
            )
            return Outcome(timed_out=True)

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _work(self) -> None:
        while True:
            future, event, request_id, deadline = self._queue.get()
            if future.set_running_or_notify_cancel():
                future.set_result(self._run(event, request_id, deadline))

    def _init(self) -> Callable[[Any, Any], Any]:
        os.environ.update(self.environment)
        module_name, _, attr = self.function.handler.rpartition(".")
        module = importlib.import_module(module_name)
        if self.from_build:
            _check_origins(self.roots)
        return getattr(module, attr)

    def _run(self, event: dict[str, Any], request_id: str, deadline: float) -> Outcome:
        started = time.perf_counter()
        init_ms = None
        if self._handler is None:
            try:
                self._handler = self._init()
            except Exception as exc:  # Lambda reports any init failure and retries next time
                log.exception("%s init failed", request_id)
                return Outcome(error=_error(exc, "Runtime.ImportModuleError"))
            init_ms = (time.perf_counter() - started) * 1000
        invoke_started = time.perf_counter()
        context = LambdaContext(self.function, request_id, deadline)
        try:
            # Lambda hands the handler a fresh copy decoded from JSON, and serialises
            # the result: a non-JSON return is an error, not a response.
            result = self._handler(json.loads(json.dumps(event)), context)
            payload = json.dumps(result)
        except Exception as exc:
            log.exception("%s handler raised", request_id)
            return Outcome(error=_error(exc))
        finally:
            report = f"REPORT RequestId: {request_id}\tDuration: "
            report += f"{(time.perf_counter() - invoke_started) * 1000:.2f} ms"
            if init_ms is not None:
                report += f"\tInit Duration: {init_ms:.2f} ms"
            log.info(report)
        if len(payload) > PAYLOAD_LIMIT:
            message = f"Response payload size exceeded maximum allowed ({PAYLOAD_LIMIT} bytes)"
            return Outcome(
                error={"errorType": "Function.ResponseSizeTooLarge", "errorMessage": message}
            )
        return Outcome(response=json.loads(payload))
