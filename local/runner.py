"""Lambda without Docker: a function laid out as Lambda lays it out, in local/host.py processes.

LocalRuntime stands in for SAM CLI's Docker LambdaRuntime: SAM's own LocalLambdaRunner
resolves the function (handler, code, layers, timeout, memory, and the environment with
env-vars file and shell overrides) and calls its `invoke`. Layout turns what SAM resolved
into paths and variables of this machine; Container is one host process. make bench and
the build tests use those two directly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any

from local.host import lambda_error
from predict_fn.config import ARTIFACT_DIR
from scripts.export_requirements import RUNTIME_PROVIDED

log = logging.getLogger("local")

HOST = Path(__file__).with_name("host.py")
# What the python3.13 runtime sets besides the function's variables and SAM's AWS_* ones.
RUNTIME_VARIABLES = {
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "PATH": os.defpath,
    "LANG": "C.UTF-8",
    "TZ": ":UTC",
}
PAYLOAD_LIMIT = 6_291_556  # Lambda's synchronous invocation limit, each way
LAMBDA_TMP = Path("/tmp")  # Lambda's only writable disk; each container gets its own


class FunctionTimedOut(Exception):
    """The request waited or ran past the function timeout (a running one's container is
    killed, as Lambda resets an environment whose invocation timed out)."""


class PayloadTooLarge(Exception):
    """An event over Lambda's invocation limit: Lambda refuses it before any code runs."""


def bare_python() -> Path:
    """The python3.13 behind the dev venv; with -I -S it sees no site-packages at all."""
    if sys.version_info[:2] != (3, 13):
        raise RuntimeError("the Lambda runtime is python3.13: run under the project's venv")
    return Path(sys.base_prefix) / "bin" / "python3.13"


@dataclass(frozen=True)
class Layout:
    """/var/task, /opt/python, /opt/lib and the environment, as paths of this machine.

    isolated: a bare `python3.13 -I -S` whose only packages are the layers' and the
    runtime's boto3 (the `sam build` output); otherwise the dev venv's interpreter, for
    the source tree, whose layers hold only build recipes.
    """

    name: str
    handler: str
    timeout: float
    path: tuple[Path, ...]
    libraries: tuple[Path, ...]
    environment: Mapping[str, str]
    isolated: bool

    @classmethod
    def of(cls, config: Any, *, isolated: bool) -> Layout:
        """From SAM's FunctionConfig (LocalLambdaRunner.get_invoke_config)."""
        if any(not layer.codeuri for layer in config.layers):
            raise ValueError(f"{config.name}: only layers defined in the template run locally")
        layers = [Path(layer.codeuri).resolve() for layer in config.layers]
        code, package = Path(config.code_abs_path), config.handler.split(".", 1)[0]
        # A makefile build nests the package CodeUri names under the function's root.
        nested = (code / package).is_dir() or (code / f"{package}.py").is_file()
        return cls(
            name=config.name,
            handler=config.handler,
            timeout=float(config.timeout),
            path=(
                code if nested or code.name != package else code.parent,
                *(d / "python" for d in layers if (d / "python").is_dir()),
            ),
            libraries=tuple(d / "lib" for d in layers if (d / "lib").is_dir()),
            environment=config.env_vars.resolve(),
            isolated=isolated,
        )


class Container:
    """One execution environment: a host process and a /tmp of its own, cold-started at once.

    `first` is the host's init reply; after a failed init (`first["ok"]` false) the
    process is gone, as Lambda drops an environment whose init failed.
    """

    def __init__(
        self, layout: Layout, *, stderr: IO[Any] | None = None, deadline: float = 0, **spec: Any
    ) -> None:
        self.layout = layout
        self.scratch = Path(tempfile.mkdtemp(prefix=f"lambda-{layout.name}-"))
        tmp = self.scratch / "tmp"
        tmp.mkdir()
        path = [*layout.path, *([self._runtime_packages()] if layout.isolated else [])]
        python = [str(bare_python()), "-I", "-S"] if layout.isolated else [sys.executable, "-P"]
        spec = {"path": [str(p) for p in path], "handler": layout.handler, **spec}

        def private(value: str) -> str:
            moved = Path(value)
            if moved.is_absolute() and moved.is_relative_to(LAMBDA_TMP):
                return str(tmp / moved.relative_to(LAMBDA_TMP))
            return value

        # ARTIFACT_DIR too where the template leaves it to the code's default (in /tmp).
        env = {"ARTIFACT_DIR": ARTIFACT_DIR, **layout.environment}
        env = {name: private(value) for name, value in env.items()} | RUNTIME_VARIABLES
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = (
            "snap-start" if spec.get("snapstart") else "on-demand"
        )
        env |= {
            "LAMBDA_TASK_ROOT": str(layout.path[0]),
            "_HANDLER": layout.handler,
            "LD_LIBRARY_PATH": os.pathsep.join(map(str, layout.libraries)),
            "TMPDIR": str(tmp),
        }
        self.process = subprocess.Popen(
            [*python, str(HOST), json.dumps(spec), str(time.time_ns())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            encoding="utf-8",
        )
        self.cold = True
        self.first = self._reply(deadline or time.monotonic() + layout.timeout)

    def _runtime_packages(self) -> Path:
        """/var/runtime: the python3.13 runtime's own boto3, linked from the dev env."""
        root = self.scratch / "runtime"
        root.mkdir()
        for name in RUNTIME_PROVIDED:
            spec = find_spec(name)
            assert spec and spec.origin, f"{name} is not installed in the dev env"
            module = Path(spec.origin)
            source = module.parent if spec.submodule_search_locations is not None else module
            (root / source.name).symlink_to(source)
        return root

    def _reply(self, deadline: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], deadline - time.monotonic())
        if not ready:
            self.close(grace=0)
            raise FunctionTimedOut(f"Task timed out after {self.layout.timeout:.2f} seconds")
        line = self.process.stdout.readline()
        if not line:
            exited = RuntimeError(f"Runtime exited with error: exit status {self.process.wait()}")
            return {"ok": False, "error": lambda_error(exited, "Runtime.ExitError")}
        reply: dict[str, Any] = json.loads(line)
        return reply

    @property
    def alive(self) -> bool:
        return bool(self.first["ok"]) and self.process.poll() is None

    def send(self, command: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # a dead host: _reply reports its exit
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
        return self._reply(deadline)

    def invoke(self, event: Any, request_id: str, deadline: float) -> dict[str, Any]:
        """The host's reply: "payload" (the result's JSON text) or Lambda's "error" object.

        `deadline` is on time.monotonic(); past it, FunctionTimedOut.
        """
        if not self.alive:
            reply = self.first
        else:
            epoch = time.time() + deadline - time.monotonic()
            reply = self.send(
                {"invoke": event, "request_id": request_id, "deadline": epoch}, deadline
            )
        # A restored environment reports its restore, as Lambda's REPORT line does.
        phase = "Restore" if "restore_ms" in self.first else "Init"
        took = self.first.get("restore_ms", self.first.get("init_ms", 0))
        init = f"\t{phase} Duration: {took:.2f} ms" if self.cold else ""
        self.cold = False
        log.info(
            f"REPORT RequestId: {request_id}\tDuration: {reply.get('duration_ms', 0):.2f} ms{init}"
        )
        if len(reply.get("payload") or "") > PAYLOAD_LIMIT:
            message = f"Response payload size exceeded maximum allowed ({PAYLOAD_LIMIT} bytes)"
            reply = {
                "error": {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}
            }
        return reply

    def inspect(self) -> dict[str, Any]:
        return self.send({"inspect": True}, time.monotonic() + self.layout.timeout)

    def close(self, grace: float = 10.0) -> None:
        """Stop the host (EOF; SIGKILL after `grace` s) and remove its /tmp."""
        if self.process.stdin:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


class LocalRuntime:
    """What SAM's LocalLambdaRunner invokes instead of its Docker LambdaRuntime.

    Like Lambda, one container per function handles one request at a time; requests
    queue on a lock, and one still waiting or running at the function timeout raises
    FunctionTimedOut (the gateway's 503). A timed-out or failed container is dropped and
    the next request cold-starts a new one, as Lambda resets an environment.
    """

    def __init__(self, *, isolated: bool, snapstart: bool = False) -> None:
        self.isolated, self.snapstart = isolated, snapstart
        self._containers: dict[str, Container] = {}
        self._lock = threading.Lock()

    def invoke(self, function_config: Any, event: str, *_: Any, stdout: Any, **__: Any) -> None:
        """SAM's signature; writes the result's JSON text, or Lambda's error object, to stdout."""
        if len(event) > PAYLOAD_LIMIT:
            raise PayloadTooLarge(f"{len(event)} bytes")
        name, timeout = function_config.name, float(function_config.timeout)
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise FunctionTimedOut(f"queued for {timeout:.2f} seconds")
        request_id = str(uuid.uuid4())
        try:
            container = self._containers.get(name)
            if container is None or not container.alive:
                if container is not None:
                    container.close()
                layout = Layout.of(function_config, isolated=self.isolated)
                container = self._containers[name] = Container(
                    layout, deadline=deadline, snapstart=self.snapstart
                )
            reply = container.invoke(json.loads(event), request_id, deadline)
        except FunctionTimedOut:
            log.warning("%s Task timed out after %.2f seconds", request_id, timeout)
            self._containers.pop(name, None)  # it closed itself
            raise
        finally:
            self._lock.release()
        stdout.write_str(reply["payload"] if "payload" in reply else json.dumps(reply["error"]))
        stdout.flush()

    def close(self) -> None:
        with self._lock:
            for container in self._containers.values():
                container.close()
            self._containers.clear()
