"""`make serve`: the whole system on one machine, without Docker or an AWS account.

Trains the demo model (or the user's CSV) unless cached, starts moto_server on a free
loopback port as S3, uploads the artifacts, then serves template.yaml's HTTP API in
this process (local.api) and prints curl commands for it. Ctrl-C or SIGTERM stops the
API, its container and moto_server, and waits for them, so no process or port is left.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from local import api
from local import artifacts as trained
from local.s3 import BUCKET, client, local_s3_env_vars, moto_server, seed, use_fake_credentials


def sample_record(data: Path | None) -> dict[str, Any]:
    """One real input record for the printed curl: the CSV's first row, or a demo row."""
    import pandas as pd

    if data:
        frame = pd.read_csv(data, nrows=1)
    else:
        from training import demo_data

        frame = demo_data.generate(1)
    record: dict[str, Any] = json.loads(frame.to_json(orient="records"))[0]
    record.pop("price", None)  # the answer, not an input
    return record


def curl_commands(base: str, record: dict[str, Any]) -> list[str]:
    body = json.dumps({"records": [record]}, separators=(",", ":"))
    header = "-H 'content-type: application/json'"
    return [
        f"curl -s -X POST {base}/predict {header} -d {shlex.quote(body)}",
        f"curl -s {base}/health",
    ]


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
    parser.add_argument("--snapstart", action="store_true", help=api.SNAPSTART_HELP)
    args = parser.parse_args(argv)
    if args.data and not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    if args.from_build and not api.BUILT_TEMPLATE.is_file():
        parser.error("--from-build needs the `sam build` output: run `make build` first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwind like Ctrl-C
    check_port_free(args.port)
    tree = trained.ensure(args.artifacts or trained.default_dir(args.data), args.data)
    record = sample_record(args.data)
    template = api.BUILT_TEMPLATE if args.from_build else Path("template.yaml")
    use_fake_credentials()
    api.configure_logging()

    def ready(base: str) -> None:
        lines = "\n".join(f"  {c}" for c in curl_commands(base, record))
        print(f"\n{api.READY.format(base=base)} — try:\n{lines}\n\nCtrl-C to stop.", flush=True)

    with tempfile.TemporaryFile() as moto_log, moto_server(moto_log) as s3:
        keys = seed(client(s3.endpoint), BUCKET, tree)
        print(f"S3 (moto_server) at {s3.endpoint}: s3://{BUCKET}/ holds {', '.join(keys)}")
        env_vars = local_s3_env_vars({}, s3.endpoint)
        api.serve(
            template,
            args.port,
            env_vars,
            isolated=args.from_build,
            snapstart=args.snapstart,
            on_ready=ready,
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before the API was up: moto_server is already stopped
        sys.exit(130)
