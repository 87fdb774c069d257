"""`make serve`: the whole system on one machine, without Docker or an AWS account.

Trains the demo model (or the user's CSV) unless cached, starts moto_server on a free
loopback port as S3, uploads the artifacts, then runs the local API (`python -m
local.api`) as a second child and prints curl commands for it. Ctrl-C or SIGTERM stops
both children and waits for them, so no process or port is left behind.

The API runs in its own process, not in this one: this process imports pandas and
boto3 to prepare things, and a handler loaded from a build must not find those copies.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from local import artifacts as trained
from local.cli import shield_from_signals
from local.s3 import FAKE_CREDENTIALS, client, moto_server, seed, stop, wait_for_port

BUCKET = "housets-artifacts-local"
API_START_TIMEOUT = 60.0


def sample_record(data: Path | None) -> dict[str, Any]:
    """One real input record for the printed curl: the CSV's first row, or a demo row."""
    import pandas as pd

    if data:
        frame = pd.read_csv(data, nrows=1)
    else:
        from training import demo_data

        frame = demo_data.generate(1)
    record = json.loads(frame.to_json(orient="records"))[0]
    record.pop("price", None)  # the answer, not an input
    return record


def curl_commands(base: str, record: dict[str, Any]) -> list[str]:
    body = json.dumps({"records": [record]}, separators=(",", ":"))
    header = "-H 'content-type: application/json'"
    return [
        f"curl -s -X POST {base}/predict {header} -d {shlex.quote(body)}",
        f"curl -s {base}/health",
    ]


def api_environment(endpoint: str) -> dict[str, str]:
    """The API child's environment: moto as S3, fake credentials, never a real profile."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"}
    }
    return {**env, **FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_S3": endpoint, "S3_BUCKET": BUCKET}


def check_port_free(port: int) -> None:
    # SO_REUSEADDR as the server sets it: connections in TIME_WAIT from a previous run
    # do not block a restart, only a live listener does.
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"port {port} is in use: pick another with PORT=...") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.serve", description=__doc__)
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--artifacts", type=Path, help="artifact tree (default: per data source)")
    parser.add_argument("--data", type=Path, help="HouseTS CSV to train on instead of demo data")
    parser.add_argument("--from-build", action="store_true", help="serve the `sam build` output")
    args = parser.parse_args(argv)
    if args.data and not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    if args.from_build and not Path(".aws-sam/build/template.yaml").is_file():
        parser.error("--from-build needs the `sam build` output: run `make build` first")
    # SIGTERM unwinds like Ctrl-C, through the ExitStack that stops the children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    check_port_free(args.port)
    tree = trained.ensure(args.artifacts or trained.default_dir(args.data), args.data)
    record = sample_record(args.data)
    with ExitStack() as stack:
        moto_log = stack.enter_context(tempfile.TemporaryFile())
        endpoint = stack.enter_context(moto_server(moto_log)).endpoint
        keys = seed(client(endpoint), BUCKET, tree)
        print(f"S3 (moto_server) at {endpoint}: s3://{BUCKET}/ holds {', '.join(keys)}")
        command = [sys.executable, "-m", "local.api", "--port", str(args.port)]
        api = subprocess.Popen(
            [*command, *(["--from-build"] if args.from_build else [])],
            env=api_environment(endpoint),
        )
        stack.callback(stop, api)
        stack.callback(shield_from_signals)  # runs first on the way out
        wait_for_port(args.port, api, API_START_TIMEOUT)
        base = f"http://127.0.0.1:{args.port}"
        lines = "\n".join(f"  {c}" for c in curl_commands(base, record))
        print(f"\nLocal API ready on {base} — try:\n{lines}\n\nCtrl-C to stop.", flush=True)
        try:
            code = api.wait()
        except KeyboardInterrupt:
            code = 0
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before the API was up: children are already stopped
        sys.exit(130)
