"""The one event shape the function answers: an API Gateway HTTP API payload v2 request.

API Gateway always sends this shape, but a direct invoke (console test, CLI, another
service) can send any JSON, and Powertools' resolver indexes the event without
checking. So what the resolver and the handler read is checked here first; any other
event is a client error, a 400 in the usual error shape, never a KeyError.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from predict_fn.contract import Problem, RequestError, describe

# (path, type, required) of every member read before a route runs.
_MEMBERS: tuple[tuple[tuple[str, ...], type, bool], ...] = (
    (("routeKey",), str, True),
    (("rawPath",), str, True),
    (("requestContext", "requestId"), str, True),
    (("requestContext", "stage"), str, True),
    (("requestContext", "http", "method"), str, True),
    (("headers",), dict, False),
    (("body",), str, False),
    (("isBase64Encoded",), bool, False),
)
_KINDS = {str: "a string", dict: "an object", bool: "a boolean"}
_ABSENT = object()
_NOT_HTTP = "Not an API Gateway HTTP API payload v2 event"


def _member(event: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = event
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def _problems(event: dict[str, Any]) -> Iterator[Problem]:
    for path, kind, required in _MEMBERS:
        value = _member(event, path)
        name = ".".join(path)
        if value is _ABSENT or value is None:
            if required:
                yield Problem(None, name, f"is required ({_KINDS[kind]})")
        elif not isinstance(value, kind):
            yield Problem(None, name, f"must be {_KINDS[kind]}, got {describe(value)}")
    headers = event.get("headers")
    if isinstance(headers, dict) and not all(isinstance(v, str) for v in headers.values()):
        yield Problem(None, "headers", "must map each name to a string")


def route_key(event: Any) -> str:
    """The route key of an HTTP API payload v2 event; RequestError(400) for any other event."""
    if not isinstance(event, dict):
        problem = Problem(None, "event", f"must be a JSON object, got {describe(event)}")
        raise RequestError(400, _NOT_HTTP, [problem])
    if event.get("version") != "2.0":
        # A REST API (payload 1.0) event has no version; an HTTP API 1.0 one has "1.0".
        raise RequestError(400, _NOT_HTTP, [Problem(None, "version", 'must be "2.0"')])
    problems = list(_problems(event))
    if problems:
        raise RequestError(400, "Malformed HTTP API event", problems)
    route: str = event["routeKey"]
    return route


def synthetic(route: str, body: str) -> dict[str, Any]:
    """The least payload v2 event this module lets through, for `route` ("POST /predict"):
    what the function sends itself to warm the hot path before a real request."""
    method, _, path = route.partition(" ")
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "requestId": "warm-up",
            "stage": "$default",
            "http": {"method": method, "path": path},
        },
        "body": body,
        "isBase64Encoded": False,
    }
