"""`make smoke STACK=name` (or URL=...): the events/ requests and the README's curls, replayed.

Against the stack's PredictUrl output (or the URL given): each status must be the one in
events/expected.json (200 for the README) and each body of its shape; exits 1 otherwise.
For ApiAuth=NONE: requests are not signed.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import re
import shlex
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import boto3

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = "PredictUrl"  # the template's output holding the /predict invoke URL


class Request(NamedTuple):
    source: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    expected: int


def predict_url(stack: str) -> str:
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    urls = [o["OutputValue"] for o in described.get("Outputs", []) if o["OutputKey"] == OUTPUT]
    if not urls:
        raise SystemExit(f"stack {stack} has no output {OUTPUT}")
    return str(urls[0])


def event_requests(events: Path = ROOT / "events") -> list[Request]:
    requests = []
    for name, status in json.loads((events / "expected.json").read_text()).items():
        event = json.loads((events / name).read_text())
        context, body, path = event["requestContext"], event.get("body"), event["rawPath"]
        if context["stage"] != "$default":  # the deployed API serves the $default stage
            path = path.removeprefix(f"/{context['stage']}")
        data = body.encode() if body else None
        # A body no client can send (undecodable base64) goes as text: still not JSON, a 400.
        with contextlib.suppress(binascii.Error):
            data = base64.b64decode(body, validate=True) if event["isBase64Encoded"] else data
        headers = {k: v for k, v in event["headers"].items() if k == "content-type"}
        requests.append(Request(name, context["http"]["method"], path, data, headers, status))
    return requests


def readme_requests(readme: Path = ROOT / "README.md") -> list[Request]:
    requests = []
    blocks = re.findall(r"```bash\n(.*?)```", readme.read_text().replace("\\\n", " "), re.S)
    for line in "".join(blocks).splitlines():
        if line.startswith("curl "):
            args = shlex.split(line)
            data = args[args.index("-d") + 1].encode() if "-d" in args else None
            method = args[args.index("-X") + 1] if "-X" in args else "POST" if data else "GET"
            headers = dict(args[i + 1].split(": ", 1) for i, a in enumerate(args) if a == "-H")
            path = urlsplit(next(a for a in args if a.startswith("http"))).path
            requests.append(Request(f"README {method} {path}", method, path, data, headers, 200))
    return requests


def send(base: str, request: Request, timeout: float) -> tuple[int, Any]:
    call = urllib.request.Request(base + request.path, request.body, request.headers)
    call.method = request.method
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, TimeoutError) as exc:
        return 0, f"unreachable: {exc}"
    with contextlib.suppress(ValueError):
        return status, json.loads(raw)
    return status, raw[:40]


def problem(request: Request, status: int, body: Any) -> str | None:
    if status != request.expected:
        return str(body)[:40] if status == 0 else f"status {status}, expected {request.expected}"
    if not isinstance(body, dict):
        return f"not a JSON object: {body!r:.30}"
    if status != 200:
        return None if isinstance(body.get("message"), str) else "error without a message"
    if request.path.endswith("/health"):
        return None if body.get("loaded") is True else "model not loaded"
    sent, got = len(json.loads(request.body or b"{}")["records"]), body.get("predictions")
    if isinstance(got, list) and len(got) == body.get("count") == sent:
        return None if all(isinstance(p, float) for p in got) else "a prediction is no number"
    return f"{sent} records, answer {got!r:.30}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.smoke", description=__doc__)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help=f"CloudFormation stack whose {OUTPUT} output to test")
    target.add_argument("--url", help="the /predict URL itself, e.g. the local API's")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    args = parser.parse_args(argv)
    url = args.url or predict_url(args.stack)
    if not url.endswith("/predict"):
        parser.error(f"{url} is not a /predict URL")
    requests, failed = [*event_requests(), *readme_requests()], 0
    print(f"{'got':>4} {'want':>4}  {'check':<40} request  ({url})")
    for request in requests:
        status, body = send(url.removesuffix("/predict"), request, args.timeout)
        found = problem(request, status, body)
        failed += found is not None
        print(f"{status:>4} {request.expected:>4}  {found or 'ok':<40} {request.source}")
    print(f"{len(requests) - failed} of {len(requests)} as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
