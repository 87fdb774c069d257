"""Fresh processes laid out like the python3.13 Lambda runtime, each one running bench/host.py.

The layout comes from the `sam build` template, read the way `sam local` reads it:
sys.path is the built function (/var/task), each layer's python/ (/opt/python) and
the runtime's own boto3 (/var/runtime); LD_LIBRARY_PATH is the layers' lib/ (/opt/lib).
The interpreter is the bare python3.13 behind the dev venv, started with -I -S so no
site-packages can stand in for a missing file of the build.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from local.container import import_roots, lambda_variables, library_dirs
from local.s3 import FAKE_CREDENTIALS
from local.template import function_environment, read_app
from scripts.export_requirements import RUNTIME_PROVIDED

HOST = Path(__file__).with_name("host.py")
REFERENCE = Path(__file__).with_name("reference")
FUNCTION = "PredictFunction"
# The card's libraries: no handler can start faster than importing them.
FLOOR_IMPORTS = ("numpy", "pandas", "joblib", "lightgbm", "boto3")
EXIT_TIMEOUT = 30  # seconds a host gets to exit once its stdin is closed
# scikit-learn as installed in a site-packages folder: the package, its vendored
# libraries (its extensions find them at $ORIGIN/../../scikit_learn.libs) and its
# one dependency that neither layer carries.
GUIDE_ML_EXTRAS = ("sklearn", "scikit_learn.libs", "threadpoolctl.py")


@dataclass(frozen=True)
class Target:
    """A handler to cold-start, and which of its functions make up each cold-start phase."""

    handler: str
    task_root: Path
    preload: tuple[str, ...]
    phases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class HostError(RuntimeError):
    """A host process died or its handler answered with an error."""


class Host:
    """One host process. It has cold-started once built; `calls` times warm invocations."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        spawned = time.time_ns()
        self.process = subprocess.Popen(
            [*argv, str(spawned)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            self.cold = self._reply()
        except BaseException:
            self.close()
            raise

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait(EXIT_TIMEOUT)
            raise HostError(f"host exited with {code}:\n{self.log_tail()}")
        reply: dict[str, Any] = json.loads(line)
        status = reply.get("status", 200)
        if status != 200:
            raise HostError(f"first /predict answered {status}: {reply.get('body')}")
        return reply

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def calls(self, event: Path, count: int) -> dict[str, Any]:
        """Invoke the handler `count` times with `event`; durations and memory afterwards."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"event": str(event), "calls": count}) + "\n")
        self.process.stdin.flush()
        reply = self._reply()
        if reply["statuses"] != [200]:
            raise HostError(f"warm calls answered {reply['statuses']}:\n{self.log_tail()}")
        return reply

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()  # EOF: the host's command loop ends
        try:
            self.process.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def bare_python() -> Path:
    """The interpreter behind the dev venv; -I -S keeps every site-packages off its path."""
    if sys.version_info[:2] != (3, 13):
        raise RuntimeError("the Lambda runtime is python3.13; run under the project's venv")
    return Path(sys.base_prefix) / "bin" / "python3.13"


def _runtime_packages(root: Path) -> Path:
    """Stands in for /var/runtime: links to the dev env's boto3 and its dependencies."""
    root.mkdir(parents=True)
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed in the dev env")
        (root / name).symlink_to(Path(spec.origin).parent, target_is_directory=True)
    return root


def _reference_task_root(root: Path, built_package: Path, layers: list[Path]) -> Path:
    """The reference's /var/task: its handler package beside the built predict_fn.

    Lambda would deploy the reference's code with the feature module it imports; the
    built copy is used so both handlers run the very same compiled transform. The
    guide's ML layer holds scikit-learn, which the reference's `model.predict` needs;
    a build that serves without it leaves the reference to take it from the dev env.
    """
    root.mkdir(parents=True)
    (root / "reference").symlink_to(REFERENCE, target_is_directory=True)
    (root / built_package.name).symlink_to(built_package, target_is_directory=True)
    if PathFinder.find_spec("sklearn", [str(layer) for layer in layers]) is None:
        spec = importlib.util.find_spec("sklearn")
        if spec is None or spec.origin is None:
            raise RuntimeError("scikit-learn is not installed in the dev env")
        site = Path(spec.origin).parent.parent
        for name in GUIDE_ML_EXTRAS:
            if (site / name).exists():
                (root / name).symlink_to(site / name)
    return root


class Runtime:
    """Starts hosts for the import floor, our handler and the reference, against one S3."""

    def __init__(self, build_dir: Path, work: Path, s3_endpoint: str, cpus: int) -> None:
        function = read_app(build_dir / "template.yaml").functions[FUNCTION]
        self.work = work
        # Lambda gives a function at most one vCPU below 1,769 MB: a host limited to
        # `cpus` CPUs sees what a handler's threads (OpenMP, s3transfer) would gain there.
        self.cpus = sorted(os.sched_getaffinity(0))[-cpus:] if cpus else None
        self.python = bare_python()
        self.runtime_dir = _runtime_packages(work / "var_runtime")
        self.layer_dirs = [layer / "python" for layer in function.layer_dirs]
        self.function_root = import_roots(function, from_build=True)[0]
        package = function.handler.split(".", 1)[0]
        self.ours = Target(
            handler=function.handler,
            task_root=self.function_root,
            preload=(f"{package}.artifacts",),
            phases={
                "fetch": tuple(
                    f"{package}.artifacts:{name}"
                    for name in ("s3_client", "fetch_manifest", "fetch_file", "fetch_header")
                ),
                "load": (f"{package}.artifacts:build_bundle",),
            },
        )
        self.reference = Target(
            handler="reference.handler.lambda_handler",
            task_root=_reference_task_root(
                work / "reference_task", self.function_root / package, self.layer_dirs
            ),
            preload=("reference.handler",),
            phases={
                "fetch": ("reference.handler:download_artifacts",),
                "load": ("reference.handler:feature_columns", "reference.handler:load_artifacts"),
            },
        )
        self.env = {
            **lambda_variables(function, FAKE_CREDENTIALS),
            **function_environment(function, {}, {}),
            "AWS_ENDPOINT_URL_S3": s3_endpoint,
            "LD_LIBRARY_PATH": ":".join(map(str, library_dirs(function))),
            "LAMBDA_TASK_ROOT": str(self.function_root),
            "PATH": os.defpath,
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
        }
        self.memory_mb = function.memory
        self._count = 0

    def _path(self, task_root: Path) -> list[str]:
        return [str(p) for p in (task_root, *self.layer_dirs, self.runtime_dir)]

    def _spec(self, name: str, spec: dict[str, Any]) -> tuple[list[str], Path]:
        self._count += 1
        log = self.work / "logs" / f"{self._count:03d}-{name}.log"
        log.parent.mkdir(exist_ok=True)
        path = self.work / "specs" / f"{self._count:03d}-{name}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps({**spec, "log": str(log), "cpus": self.cpus}))
        return [str(self.python), "-I", "-S", str(HOST), str(path)], log

    def import_floor(self) -> dict[str, Any]:
        """Import the card's libraries in a fresh process from the build output."""
        argv, log = self._spec(
            "floor",
            {"mode": "floor", "path": self._path(self.function_root), "imports": FLOOR_IMPORTS},
        )
        host = Host(argv, self.env, log)
        host.close()
        return host.cold

    @contextmanager
    def start(self, target: Target, bucket: str, first_event: Path) -> Iterator[Host]:
        """A cold-started host with an empty ARTIFACT_DIR of its own (a new container's /tmp)."""
        name = target.handler.split(".", 1)[0]
        tmp = Path(tempfile.mkdtemp(prefix=f"tmp-{name}-", dir=self.work))
        argv, log = self._spec(
            name,
            {
                "mode": "handler",
                "path": self._path(target.task_root),
                "handler": target.handler,
                "preload": target.preload,
                "phases": target.phases,
                "first_event": str(first_event),
            },
        )
        env = {**self.env, "S3_BUCKET": bucket, "ARTIFACT_DIR": str(tmp / "ml_artifacts")}
        host = None
        try:
            host = Host(argv, env, log)
            yield host
        finally:
            if host is not None:
                host.close()
            # A reference start copies the whole training CSV into it: free the disk now.
            shutil.rmtree(tmp, ignore_errors=True)

    def cold_start(self, target: Target, bucket: str, first_event: Path) -> dict[str, Any]:
        with self.start(target, bucket, first_event) as host:
            return host.cold
