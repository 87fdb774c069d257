"""local.events: HTTP request → payload v2 event → HTTP response, as HTTP API translates them."""

from __future__ import annotations

import base64
import json

import pytest
from support import ROOT

from local.events import HttpRequest, InvalidResponse, from_event, to_event, to_response

NOW = 1_795_687_200.123  # 26/Nov/2026:10:00:00.123 UTC
EVENT_FILES = sorted(
    p.name for p in (ROOT / "events").glob("*.json") if p.name not in {"env.json", "expected.json"}
)


def event_for(request: HttpRequest, **kwargs: object) -> dict:
    args = {
        "route_key": "POST /predict",
        "path_parameters": {},
        "request_id": "gw-id",
        "api_id": "local",
        "now": NOW,
        **kwargs,
    }
    return to_event(request, **args)  # type: ignore[arg-type]


def request(**kwargs: object) -> HttpRequest:
    fields = {"method": "POST", "path": "/predict", "query": "", "headers": [], **kwargs}
    return HttpRequest(**fields)  # type: ignore[arg-type]


def test_headers_lower_cased_and_duplicates_joined() -> None:
    event = event_for(request(headers=[("X-Thing", "a"), ("x-thing", "b"), ("User-Agent", "me")]))
    assert event["headers"] == {"x-thing": "a,b", "user-agent": "me"}
    assert event["requestContext"]["http"]["userAgent"] == "me"


def test_cookies_move_out_of_the_headers() -> None:
    event = event_for(request(headers=[("Cookie", "a=1; b=2"), ("cookie", "c=3")]))
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]
    assert "cookies" not in event_for(request())


def test_query_string_raw_and_joined() -> None:
    event = event_for(request(query="a=1&a=2&b=x%20y&empty="))
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y&empty="
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "empty": ""}
    assert "queryStringParameters" not in event_for(request())


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "text/csv", "application/xml"],
)
def test_text_bodies_pass_as_text(content_type: str) -> None:
    event = event_for(request(headers=[("Content-Type", content_type)], body=b'{"a": "\xc3\xa9"}'))
    assert event["body"] == '{"a": "é"}'
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    "headers",
    [
        [("Content-Type", "application/octet-stream")],
        [("Content-Type", "image/png")],
        [("Content-Type", "application/x-www-form-urlencoded")],
        [],  # no content type at all
    ],
)
def test_other_bodies_are_base64(headers: list[tuple[str, str]]) -> None:
    raw = bytes(range(256))
    event = event_for(request(headers=headers, body=raw))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_no_body_no_body_field() -> None:
    event = event_for(request(method="GET", path="/health"), route_key="GET /health")
    assert "body" not in event
    assert event["isBase64Encoded"] is False


def test_request_context() -> None:
    event = event_for(
        request(source_ip="10.1.2.3", protocol="HTTP/1.0"),
        path_parameters={"id": "7"},
        stage="prod",
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /predict"
    assert event["rawPath"] == "/predict"
    assert event["pathParameters"] == {"id": "7"}
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "POST",
        "path": "/predict",
        "protocol": "HTTP/1.0",
        "sourceIp": "10.1.2.3",
        "userAgent": "",
    }
    assert ctx["requestId"] == "gw-id"
    assert ctx["routeKey"] == "POST /predict"
    assert ctx["stage"] == "prod"
    assert ctx["apiId"] == "local"
    assert ctx["domainName"] == "local.execute-api.us-east-1.amazonaws.com"
    assert ctx["accountId"] == "123456789012"
    assert ctx["time"] == "26/Nov/2026:10:00:00 +0000"
    assert ctx["timeEpoch"] == 1_795_687_200_123


@pytest.mark.parametrize("name", EVENT_FILES)
def test_project_events_survive_a_round_trip(name: str) -> None:
    event = json.loads((ROOT / "events" / name).read_text())
    http = from_event(event)
    again = event_for(http, route_key=event["routeKey"], stage=event["requestContext"]["stage"])
    assert http.method == event["requestContext"]["http"]["method"]
    assert again["rawPath"] == event["rawPath"]
    assert again["rawQueryString"] == event["rawQueryString"]
    expected_headers = {
        k: v
        for k, v in event["headers"].items()
        if k not in {"content-length", "host", "transfer-encoding", "connection"}
    }
    assert again["headers"] == expected_headers
    assert again.get("cookies") == event.get("cookies")
    decodable = event.get("isBase64Encoded") and name != "invalid_base64.json"
    if decodable:
        assert base64.b64decode(again["body"]) == base64.b64decode(event["body"])
    elif name != "invalid_base64.json":
        assert again.get("body") == event.get("body")


def test_invalid_base64_is_replayed_as_its_text() -> None:
    event = {
        "rawPath": "/p",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/p"}},
        "body": "!!not base64",
        "isBase64Encoded": True,
    }
    assert from_event(event).body == b"!!not base64"


def test_structured_response() -> None:
    response = to_response(
        {
            "statusCode": 201,
            "headers": {"X-Custom": "1", "Content-Type": "text/plain"},
            "cookies": ["a=1; Path=/", "b=2"],
            "multiValueHeaders": {"X-Ignored": ["by", "v2"]},
            "body": "created",
        }
    )
    assert response.status == 201
    assert response.headers == [
        ("x-custom", "1"),
        ("content-type", "text/plain"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2"),
    ]
    assert response.body == b"created"


def test_base64_response_body_is_decoded() -> None:
    raw = bytes(range(256))
    response = to_response(
        {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(raw).decode()}
    )
    assert response.body == raw
    assert ("content-type", "application/json") in response.headers  # the default


@pytest.mark.parametrize(
    ("result", "body"),
    [
        ("plain text", b"plain text"),
        ({"message": "hi"}, b'{"message": "hi"}'),
        (42, b"42"),
        ([1, 2], b"[1, 2]"),
    ],
)
def test_unstructured_result_becomes_a_json_200(result: object, body: bytes) -> None:
    response = to_response(result)
    assert (response.status, response.body) == (200, body)
    assert response.headers == [("content-type", "application/json")]


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "200"},
        {"statusCode": True},
        {"statusCode": 99},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "isBase64Encoded": "yes", "body": ""},
        {"statusCode": 200, "isBase64Encoded": True, "body": "***"},
        {"statusCode": 200, "headers": ["x"]},
    ],
)
def test_malformed_responses_are_refused(result: dict) -> None:
    with pytest.raises(InvalidResponse):
        to_response(result)
