"""`python -m local.api`: the HTTP API of template.yaml on loopback, without Docker.

The Docker-free counterpart of `sam local start-api`: werkzeug's threaded server takes
the HTTP, the gateway below behaves like API Gateway HTTP API where a client can tell
(route matching, 404/413/500/503 bodies, payload v2 both ways), and the function runs
in-process in one Container (see local.container for the concurrency contract).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import signal
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from local import openapi
from local import template as tpl
from local.cli import (
    add_function_arguments,
    configure_logging,
    function_env,
    load_function,
    reexec_with_layer_libraries,
    shield_from_signals,
)
from local.container import PAYLOAD_LIMIT, Container, import_roots
from local.events import HttpRequest, HttpResponse, InvalidResponse, gateway_error, to_event
from local.events import to_response as http_response

log = logging.getLogger("local")

BODY_LIMIT = 10 * 1024 * 1024  # HTTP API's request payload quota
API_ID = "local"


class _LimitedRequest(Request):
    max_content_length = BODY_LIMIT


@dataclass(frozen=True, slots=True)
class _CompiledRoute:
    route: tpl.Route
    pattern: re.Pattern[str]


def _compile(route: tpl.Route) -> re.Pattern[str]:
    if route.path == "$default":
        return re.compile(r".*")
    regex = ""
    for part in re.split(r"(\{[^}]+\})", route.path):
        if part.startswith("{"):
            name = part[1:-1]
            if name.endswith("+"):
                regex += f"(?P<{name[:-1]}>.+)"
            else:
                regex += f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex)


class Router:
    def __init__(self, routes: Sequence[tpl.Route]) -> None:
        compiled = [_CompiledRoute(r, _compile(r)) for r in routes]
        self._routes = sorted(compiled, key=_priority)

    def match(self, method: str, path: str) -> tuple[tpl.Route, dict[str, str]] | None:
        for candidate in self._routes:
            if candidate.route.method not in (method, "ANY"):
                continue
            found = candidate.pattern.fullmatch(path)
            if found:
                return candidate.route, found.groupdict()
        return None


def _priority(candidate: _CompiledRoute) -> tuple[bool, bool, int, bool]:
    """HTTP API prefers exact paths over parameters over greedy ones, and a method over ANY."""
    path = candidate.route.path
    return (path == "$default", "+}" in path, path.count("{"), candidate.route.method == "ANY")


class Gateway:
    """WSGI app: HTTP request → route → payload v2 event → container → HTTP response."""

    def __init__(
        self,
        routes: Sequence[tpl.Route],
        containers: Mapping[str, Container],
        stages: Sequence[str] = (),
        document: openapi.Document | None = None,
    ) -> None:
        self.router = Router(routes)
        self.containers = containers
        self.stages = frozenset(stages)
        self.document = document  # GET /openapi.json: local only, no template route

    def _stage(self, path: str) -> tuple[str, str]:
        """The stage a URL addresses and the path routes are matched on.

        A named stage is the first path segment (the event's rawPath keeps it); the
        $default stage has no prefix.
        """
        first, slash, rest = path[1:].partition("/")
        if first in self.stages:
            return first, slash + rest or "/"
        return "$default", path

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = _LimitedRequest(environ)
        # API Gateway's request id (base64, like the real ones); Lambda's own is a UUID.
        gateway_id = base64.b64encode(os.urandom(11)).decode()
        answer = self.handle(request, gateway_id)
        headers = [*answer.headers, ("apigw-requestid", gateway_id)]
        return Response(answer.body, status=answer.status, headers=headers)(environ, start_response)

    def handle(self, request: Request, gateway_id: str) -> HttpResponse:
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return gateway_error(413, "Request Entity Too Large")
        stage, route_path = self._stage(request.path)
        if self.document is not None and (request.method, request.path) == (
            "GET",
            openapi.OPENAPI_PATH,
        ):
            headers = [("content-type", "application/json")]
            return HttpResponse(200, headers, self.document.body())
        matched = self.router.match(request.method, route_path)
        if matched is None:
            return gateway_error(404, "Not Found")
        route, params = matched
        http = HttpRequest(
            method=request.method,
            path=request.path,
            query=request.environ.get("QUERY_STRING", ""),
            headers=list(request.headers.items()),
            body=body,
            source_ip=request.remote_addr or "127.0.0.1",
            protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        event = to_event(
            http,
            route_key=route.key,
            path_parameters=params,
            request_id=gateway_id,
            api_id=API_ID,
            stage=stage,
        )
        if len(json.dumps(event)) > PAYLOAD_LIMIT:
            return gateway_error(413, "Request Too Long")  # Lambda refuses the invocation
        outcome = self.containers[route.function].invoke(event, str(uuid.uuid4()))
        if outcome.timed_out:
            return gateway_error(503, "Service Unavailable")
        if outcome.error is not None:
            return gateway_error(500, "Internal Server Error")
        try:
            return http_response(outcome.response)
        except InvalidResponse as exc:
            log.error("%s malformed Lambda response: %s", gateway_id, exc)
            return gateway_error(500, "Internal Server Error")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument(
        "--stage",
        action="append",
        default=[],
        help="also serve this named stage under /NAME (the $default stage has no prefix)",
    )
    add_function_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging()
    app, function = load_function(args)
    if args.from_build:
        reexec_with_layer_libraries(function, "local.api")
    container = Container(
        function, function_env(function, args.env_vars, os.environ), from_build=args.from_build
    )
    routes = [r for r in app.routes if r.function == function.name]
    document = openapi.Document(
        function.handler,
        import_roots(function, from_build=False)[0],
        [r.key for r in routes],
        container.environment.get("MAX_RECORDS"),
    )
    gateway = Gateway(routes, {function.name: container}, args.stage, document)
    server = make_server(args.host, args.port, gateway, threaded=True)
    # SIGTERM unwinds like Ctrl-C, so the socket and the container's /tmp are released.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    origin = "build output" if args.from_build else "source tree"
    log.info("%s (%s) on http://%s:%d", function.name, origin, args.host, server.port)
    for route in routes:
        log.info("  %s", route.key)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shield_from_signals()
        server.server_close()
        container.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
