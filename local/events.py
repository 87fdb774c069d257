"""HTTP request ↔ API Gateway HTTP API payload format 2.0, both directions.

Follows the documented format (all header names lower case; duplicate headers and
query parameters joined with commas; cookies moved out of the headers into `cookies`)
and the behaviour observed on real HTTP APIs where the docs are silent: a request
body is passed as text only for text/* and JSON/XML/JavaScript content types and
base64-encoded otherwise (a missing content type included).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from local.template import ACCOUNT_ID, REGION

TEXT_MEDIA_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
# Set by the gateway or the transport; a replayed event must not carry stale ones.
_TRANSPORT_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "host"})


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    query: str  # raw, without "?"
    headers: list[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class InvalidResponse(ValueError):
    """The handler returned something HTTP API cannot turn into a response (it answers 500)."""


def gateway_error(status: int, message: str) -> HttpResponse:
    """An error produced by the gateway itself, in API Gateway's own JSON shape."""
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("content-type", "application/json")], body)


def is_text(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_MEDIA_TYPES


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def to_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str],
    request_id: str,
    api_id: str,
    stage: str = "$default",
    now: float | None = None,
) -> dict[str, Any]:
    """The payload v2 event HTTP API would send to the integration for this request."""
    now = time.time() if now is None else now
    cookies: list[str] = []
    plain = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            plain.append((lower, value))
    headers = _joined(plain)
    domain = f"{api_id}.execute-api.{REGION}.amazonaws.com"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    query = _joined(parse_qsl(request.query, keep_blank_values=True))
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        if is_text(headers.get("content-type")):
            event["body"] = request.body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def from_event(event: Mapping[str, Any]) -> HttpRequest:
    """The HTTP request a client sends to make the gateway produce `event` (for replaying)."""
    http = event["requestContext"]["http"]
    headers = [
        (name, value)
        for name, value in (event.get("headers") or {}).items()
        if name.lower() not in _TRANSPORT_HEADERS
    ]
    if event.get("cookies"):
        headers.append(("cookie", "; ".join(event["cookies"])))
    body = event.get("body") or ""
    data = body.encode("utf-8")
    if event.get("isBase64Encoded"):
        # No gateway emits invalid base64; such an event's body is sent as the text it is,
        # which reaches the handler just as malformed.
        with contextlib.suppress(binascii.Error):
            data = base64.b64decode(body, validate=True)
    return HttpRequest(
        method=http["method"],
        path=event.get("rawPath") or http["path"],
        query=event.get("rawQueryString") or "",
        headers=headers,
        body=data,
    )


def _structured(result: Mapping[str, Any]) -> HttpResponse:
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidResponse(f"statusCode must be an HTTP status, got {status!r}")
    headers = result.get("headers") or {}
    cookies = result.get("cookies") or []
    encoded = result.get("isBase64Encoded", False)
    body = result.get("body")
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        raise InvalidResponse("headers must be an object and cookies a list")
    if not isinstance(encoded, bool) or not isinstance(body, str | None):
        raise InvalidResponse("isBase64Encoded must be a boolean and body a string")
    # HTTP API always honours isBase64Encoded, whatever the content type (no binaryMediaTypes).
    try:
        data = base64.b64decode(body, validate=True) if encoded and body else (body or "").encode()
    except binascii.Error as exc:
        raise InvalidResponse(f"body is not valid base64: {exc}") from None
    pairs = [(str(k).lower(), str(v)) for k, v in headers.items()]
    if not any(name == "content-type" for name, _ in pairs):
        pairs.append(("content-type", "application/json"))
    pairs.extend(("set-cookie", str(c)) for c in cookies)
    return HttpResponse(status, pairs, data)


def to_response(result: Any) -> HttpResponse:
    """The HTTP response HTTP API makes of a handler's return value (payload format 2.0).

    A dict with statusCode is a structured response. Anything else that is valid JSON is
    the body of a 200 application/json response: a string as it is, the rest serialised.
    HTTP API v2 ignores multiValueHeaders, so they are ignored here too.
    """
    if isinstance(result, dict) and "statusCode" in result:
        return _structured(result)
    text = result if isinstance(result, str) else json.dumps(result)
    return HttpResponse(200, [("content-type", "application/json")], text.encode())
