"""predict_fn.http_event: only an HTTP API payload v2 event gets through to the resolver."""

from __future__ import annotations

from typing import Any

import pytest
from support import http_event

from predict_fn.contract import RequestError
from predict_fn.http_event import route_key


def test_a_payload_v2_event_gives_its_route_key() -> None:
    assert route_key(http_event("POST", "/predict", {"records": []})) == "POST /predict"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({}, "version"),
        ([], "event"),
        ("POST /predict", "event"),
        ({"version": "1.0", "httpMethod": "POST", "path": "/predict"}, "version"),
        ({**http_event("POST", "/predict"), "body": {"records": []}}, "body"),
        ({**http_event("POST", "/predict"), "body": 12}, "body"),
        ({**http_event("POST", "/predict"), "requestContext": {}}, "requestContext.requestId"),
        ({**http_event("POST", "/predict"), "headers": {"a": 1}}, "headers"),
    ],
)
def test_any_other_event_is_a_400_naming_what_is_wrong(event: Any, field: str) -> None:
    with pytest.raises(RequestError) as caught:
        route_key(event)
    assert caught.value.status == 400
    assert field in [p.field for p in caught.value.problems]
