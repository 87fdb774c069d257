"""`make invoke EVENT=...`: one event through the function, as `sam local invoke -e` runs it.

SAM's LocalLambdaRunner invokes the routed function in a local container (local.runner)
against moto_server, seeded with the artifact tree (trained first if missing). As with
sam, the function's logs go to stderr and its response, or Lambda's error object, is
printed as JSON on stdout; the exit status is 1 on a function error.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from samcli.lib.utils.stream_writer import StreamWriter
from samcli.local.services.base_local_service import LambdaOutputParser

from local import artifacts as trained
from local import sam
from local.api import BUILT_TEMPLATE, SNAPSTART_HELP, configure_logging
from local.runner import FunctionTimedOut
from local.s3 import BUCKET, client, local_s3_env_vars, moto_server, seed, use_fake_credentials


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
    parser.add_argument("event", type=Path, help="event JSON file (- for stdin)")
    parser.add_argument("--artifacts", type=Path, default=trained.DEMO)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--from-build", action="store_true", help="run the `sam build` output")
    parser.add_argument("--function", help="logical id (default: the one behind the routes)")
    parser.add_argument("--env-vars", type=Path, help="JSON file, as `sam local --env-vars`")
    parser.add_argument("--snapstart", action="store_true", help=SNAPSTART_HELP)
    args = parser.parse_args(argv)
    template = BUILT_TEMPLATE if args.from_build else args.template
    if not template.is_file():
        raise SystemExit(f"error: {template} not found" + (" (run `make build`)" * args.from_build))
    configure_logging()
    event = sys.stdin.read() if str(args.event) == "-" else args.event.read_text()
    with stdout_to_stderr():
        tree = trained.ensure(args.artifacts, None)
    use_fake_credentials()
    file_vars = json.loads(args.env_vars.read_text()) if args.env_vars else {}
    out = io.StringIO()
    with moto_server() as s3:
        seed(client(s3.endpoint), BUCKET, tree)
        app = sam.read(
            template,
            local_s3_env_vars(file_vars, s3.endpoint),
            isolated=args.from_build,
            snapstart=args.snapstart,
        )
        name = args.function or sam.routed_function(app)
        try:
            app.runner.invoke(name, event, stdout=StreamWriter(out), stderr=None)
        except FunctionTimedOut as exc:
            out.write(json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": str(exc)}))
        finally:
            app.runner.local_runtime.close()
    output, failed = LambdaOutputParser.get_lambda_output(out)
    print(json.dumps(json.loads(output), indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
