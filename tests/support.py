"""Plain helpers shared by tests: payload v2 events, records, uploads, a Lambda context."""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from local.host import LambdaContext

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "housets-artifacts-test"
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e812345678"
REAL_SAMPLE = ROOT.parent / "shared" / "data" / "housets_sample.csv"
# Files in events/ that are not HTTP API events: the expected statuses, `--env-vars`,
# and a Distributed Map batch for predict_fn/batch.py.
NOT_HTTP_EVENTS = frozenset({"expected.json", "env.json", "batch_items.json"})
# `uv run` (and the top Makefile) put uv's absolute path in UV; a fresh machine has no
# uv on PATH, so tests never run a bare `uv`.
UV = os.environ.get("UV") or shutil.which("uv") or "uv"


def lambda_context(seconds: float = 30.0) -> LambdaContext:
    """The one fake context (local.host's, as the local runtime builds it), for in-process calls."""
    return LambdaContext(REQUEST_ID, time.time() + seconds)


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows → JSON-ready HouseTS records (NaN → null)."""
    cleaned = frame.astype(object).where(frame.notna(), None)
    return json.loads(json.dumps(cleaned.to_dict(orient="records"), default=int))


def upload(client: Any, tree: Path, bucket: str = BUCKET) -> None:
    from training.upload import upload_tree

    upload_tree(tree, bucket, client)


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    raw_body: str | bytes | None = None,
    base64_body: bool = False,
    stage: str = "$default",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payload v2 event as API Gateway HTTP API sends it."""
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    if isinstance(text, bytes) or (base64_body and text is not None):
        data = text if isinstance(text, bytes) else text.encode()
        text, base64_body = base64.b64encode(data).decode(), True
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": f"{method} {path}",
            "stage": stage,
            "time": "26/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795687200000,
        },
        "body": text,
        "isBase64Encoded": base64_body,
    }
