"""The local API as a real process over loopback HTTP, backed by moto_server."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from e2e_support import EVENTS, LocalApi, start_api
from support import ROOT

from local import sam
from local.s3 import MotoServer

pytestmark = pytest.mark.e2e

EXPECTED: dict[str, int] = json.loads((EVENTS / "expected.json").read_text())
ROUTES = {
    f"{method} {route.path}"
    for route in sam.read(ROOT / "template.yaml").api.routes
    for method in route.methods
}
# Set by the client or the transport; a replayed event's values would be stale.
TRANSPORT_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "host"})
CLIENTS, REQUESTS_PER_CLIENT = 8, 50


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, s3: MotoServer) -> Iterator[LocalApi]:
    server = start_api(tmp_path_factory.mktemp("api") / "api.log", s3)
    yield server
    log = server.stop()
    # One container, so exactly one init: the first request after start, and no other.
    assert log.count("Init Duration") == 1, log[-4000:]


def send(api: LocalApi, event: dict[str, Any]) -> requests.Response:
    """The HTTP request that makes the gateway produce `event`, sent to the local API.

    An event whose base64 body is invalid (no gateway emits one) sends that text, which
    reaches the handler just as malformed.
    """
    http = event["requestContext"]["http"]
    headers = {
        name: value
        for name, value in (event.get("headers") or {}).items()
        if name.lower() not in TRANSPORT_HEADERS
    }
    body = (event.get("body") or "").encode()
    if event.get("isBase64Encoded"):
        with contextlib.suppress(binascii.Error):
            body = base64.b64decode(body, validate=True)
    query = event.get("rawQueryString")
    url = api.base + event["rawPath"] + (f"?{query}" if query else "")
    return requests.request(http["method"], url, headers=headers, data=body, timeout=60)


def gateway_expectation(name: str, event: dict[str, Any]) -> int:
    """The status over HTTP: the gateway answers 404 itself for a method and path with no
    route. That includes a named stage's prefix (/prod/...): the template's HTTP API has
    only the $default stage, and SAM's local gateway serves only that one."""
    if f"{event['requestContext']['http']['method']} {event['rawPath']}" not in ROUTES:
        return 404
    return EXPECTED[name]


def record_count(event: dict[str, Any]) -> int:
    body = event["body"]
    text = base64.b64decode(body) if event.get("isBase64Encoded") else body
    return len(json.loads(text)["records"])


def test_every_event_file_is_covered(event_files: dict[str, dict[str, Any]]) -> None:
    assert set(event_files) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_over_http(api: LocalApi, event_files: dict[str, dict[str, Any]], name: str) -> None:
    event = event_files[name]
    expected = gateway_expectation(name, event)
    response = send(api, event)
    assert response.status_code == expected, response.text
    body = response.json()
    if expected == 404:  # a wrong path or method: HTTP API's own answer, before any Lambda
        assert body == {"message": "Not Found"}
    if expected == 200 and event["routeKey"] == "POST /predict":
        assert len(body["predictions"]) == body["count"] == record_count(event)
        assert all(isinstance(p, float) for p in body["predictions"])


def test_gateway_limits(api: LocalApi) -> None:
    response = requests.post(f"{api.base}/nowhere", json={}, timeout=30)
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
    big = b"x" * (10 * 1024 * 1024 + 1)
    response = requests.post(
        f"{api.base}/predict", data=big, headers={"content-type": "application/json"}, timeout=60
    )
    assert (response.status_code, response.json()) == (413, {"message": "Request Entity Too Large"})


def test_concurrent_clients(
    api: LocalApi, demo_records: Callable[..., list[dict[str, Any]]]
) -> None:
    """8 clients x 50 requests at once: no error, one prediction per record, always the same."""
    records = demo_records(8)
    url = f"{api.base}/predict"
    reference = {
        k: requests.post(url, json={"records": records[:k]}, timeout=60).json()["predictions"]
        for k in range(1, 9)
    }
    assert all(len(reference[k]) == k for k in reference)

    def client(index: int) -> list[str]:
        problems = []
        with requests.Session() as session:
            for turn in range(REQUESTS_PER_CLIENT):
                k = (index + turn) % 8 + 1
                response = session.post(url, json={"records": records[:k]}, timeout=60)
                if response.status_code != 200:
                    problems.append(f"{response.status_code}: {response.text[:200]}")
                elif response.json()["predictions"] != reference[k]:
                    problems.append(f"client {index} turn {turn}: predictions differ")
        return problems

    with ThreadPoolExecutor(CLIENTS) as pool:
        problems = [p for result in pool.map(client, range(CLIENTS)) for p in result]
    assert problems == []


def test_log_has_a_report_per_invocation(api: LocalApi) -> None:
    before = api.log.read_text().count("REPORT RequestId")
    assert requests.get(f"{api.base}/health", timeout=30).status_code == 200
    assert api.log.read_text().count("REPORT RequestId") == before + 1
