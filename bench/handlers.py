"""What the benchmarks start: our handler, the reference and the import floor.

Each is laid out by local.runner from the `sam build` template, as SAM CLI reads it:
the built function as /var/task, the layers as /opt/python and /opt/lib, the runtime's
boto3, in a bare `python3.13 -I -S` that sees no other package.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib.machinery import PathFinder
from pathlib import Path
from typing import IO, Any

from local import sam
from local.runner import Container, Layout

FUNCTION = "PredictFunction"
REFERENCE = Path(__file__).with_name("reference")
# The card's libraries: no handler can start faster than importing them.
FLOOR_IMPORTS = ("numpy", "pandas", "joblib", "lightgbm", "boto3")
# scikit-learn as installed in site-packages: the package, its vendored libraries (its
# extensions find them at $ORIGIN/../../scikit_learn.libs), and its one dependency
# that neither layer carries.
GUIDE_ML_EXTRAS = ("sklearn", "scikit_learn.libs", "threadpoolctl.py")
# No Lambda timeout here: a loaded machine must slow a run down, not fail it.
PATIENCE = 600.0


class HandlerError(RuntimeError):
    """A host's init failed, or its handler did not answer 200."""


@dataclass(frozen=True)
class Handler:
    """A layout and what the host is told besides: modules to preload, functions per phase."""

    layout: Layout
    spec: dict[str, Any]

    @contextmanager
    def start(
        self, bucket: str, log: IO[str], cpus: list[int] | None, *, snapstart: bool = False
    ) -> Iterator[Container]:
        """A cold-started container reading `bucket`, with an empty /tmp of its own; with
        `snapstart`, snapshotted and restored (local.host) before its first request."""
        env = {**self.layout.environment, "S3_BUCKET": bucket}
        layout = replace(self.layout, environment=env)
        deadline = time.monotonic() + PATIENCE
        container = Container(
            layout, stderr=log, deadline=deadline, cpus=cpus, snapstart=snapstart, **self.spec
        )
        try:
            if not container.first["ok"]:
                raise HandlerError(f"init failed: {container.first['error']['errorMessage']}")
            yield container
        finally:
            container.close()


def answer(container: Container, event: dict[str, Any]) -> dict[str, Any]:
    """One invocation; the host's reply (duration, phases, memory) if it answered 200."""
    reply = container.invoke(event, "bench", time.monotonic() + PATIENCE)
    if "payload" not in reply or json.loads(reply["payload"]).get("statusCode") != 200:
        raise HandlerError(f"{container.layout.handler} answered {reply.get('error', reply)}")
    return reply


def _reference_task_root(root: Path, built_package: Path, layers: tuple[Path, ...]) -> Path:
    """The reference's /var/task: its package beside the built predict_fn.

    Both handlers then run the very same compiled transform. The guide's ML layer holds
    scikit-learn, which the reference's `model.predict` needs; a build that serves
    without it leaves the reference to take it from the dev env.
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


def handlers(build_dir: Path, work: Path, s3_endpoint: str) -> dict[str, Handler]:
    env_vars = {"Parameters": {"AWS_ENDPOINT_URL_S3": s3_endpoint}}
    config = sam.function_config(build_dir / "template.yaml", FUNCTION, env_vars)
    ours = Layout.of(config, isolated=True)
    task_root, layers = ours.path[0], ours.path[1:]
    package = ours.handler.split(".", 1)[0]
    fetch = ("s3_client", "fetch_manifest", "fetch_file", "fetch_header")
    reference_root = _reference_task_root(work / "reference_task", task_root / package, layers)
    return {
        "ours": Handler(
            ours,
            {
                "preload": [f"{package}.artifacts"],
                "phases": {
                    "fetch": [f"{package}.artifacts:{name}" for name in fetch],
                    "load": [f"{package}.artifacts:build_bundle"],
                },
            },
        ),
        "reference": Handler(
            replace(
                ours, handler="reference.handler.lambda_handler", path=(reference_root, *layers)
            ),
            {
                "preload": ["reference.handler"],
                "phases": {
                    "fetch": ["reference.handler:download_artifacts"],
                    "load": [
                        "reference.handler:feature_columns",
                        "reference.handler:load_artifacts",
                    ],
                },
            },
        ),
        "import floor": Handler(replace(ours, handler=""), {"preload": list(FLOOR_IMPORTS)}),
    }
