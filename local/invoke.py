"""`make invoke EVENT=...`: replay one event through the handler, like `sam local invoke -e`.

S3 is moto in-process (`mock_aws`), seeded with the artifact tree (trained first if
missing). As with sam, the function's logs go to stderr and its response, or Lambda's
error object, is printed as JSON on stdout; the exit status is 1 on a function error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local import artifacts as trained
from local.cli import add_function_arguments, configure_logging, function_env, load_function
from local.cli import reexec_with_layer_libraries as reexec
from local.container import Container, Outcome
from local.s3 import FAKE_CREDENTIALS, seed

BUCKET = "housets-artifacts-local"


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to fd 1 (Python or native) to stderr, keeping stdout clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.invoke", description=__doc__)
    parser.add_argument("event", type=Path, help="payload v2 event JSON file (- for stdin)")
    parser.add_argument("--artifacts", type=Path, default=trained.DEMO)
    add_function_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging()
    _, function = load_function(args)
    if args.from_build:
        reexec(function, "local.invoke")
    event = json.loads(sys.stdin.read() if str(args.event) == "-" else args.event.read_text())
    with stdout_to_stderr():
        tree = trained.ensure(args.artifacts, None)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    env = function_env(function, args.env_vars, os.environ)
    # moto intercepts AWS's own endpoints only: an S3 endpoint from env.json would bypass it.
    env.pop("AWS_ENDPOINT_URL_S3", None)
    env["S3_BUCKET"] = bucket = env.get("S3_BUCKET") or BUCKET
    # The container puts the build on sys.path now, before boto3 and moto are imported,
    # so that their shared dependencies resolve to the layers' copies as in Lambda.
    container = Container(function, env, from_build=args.from_build)
    import boto3
    from moto import mock_aws

    try:
        with mock_aws(), stdout_to_stderr():
            seed(boto3.client("s3"), bucket, tree)
            outcome = container.invoke(event, str(uuid.uuid4()))
    finally:
        container.close()
    if outcome.timed_out:
        message = f"Task timed out after {function.timeout:.2f} seconds"
        outcome = Outcome(error={"errorType": "Sandbox.Timedout", "errorMessage": message})
    print(json.dumps(outcome.error or outcome.response, indent=2))
    return 1 if outcome.error else 0


if __name__ == "__main__":
    sys.exit(main())
