"""`python -m local.api`: template.yaml's HTTP API on loopback, served by SAM CLI's own gateway.

LocalApigwService (the Flask app behind `sam local start-api`) matches the routes,
builds the payload v2 event and turns the function's result into HTTP; the function
runs in local.runner's containers. The subclass below changes only what a client of
the real HTTP API would see differently: unknown path or wrong method `404 {"message":
"Not Found"}` (SAM answers REST API's 403), bodies over 10 MB `413`, a function past
its timeout `503`, non-text bodies base64-encoded, and a fresh request id and time in
every event (SAM computes its defaults once, at import). GET /openapi.json serves
local.openapi's document.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response
from samcli.local.apigw.event_constructor import construct_v2_event_http
from samcli.local.apigw.local_apigw_service import LocalApigwService
from samcli.local.apigw.path_converter import PathConverter
from werkzeug.serving import make_server

from local import openapi, sam
from local.runner import FunctionTimedOut, PayloadTooLarge
from local.s3 import EnvVars

BODY_LIMIT = 10 * 1024 * 1024  # HTTP API's request payload quota
TEXT_MEDIA_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
BUILT_TEMPLATE = Path(".aws-sam/build/template.yaml")
READY = "Local API ready on {base}"
SNAPSTART_HELP = "emulate SnapStart: init, before-snapshot hooks, S3 gone, after-restore hooks"


def gateway_error(status: int, message: str) -> Response:
    """An answer of API Gateway itself, in its JSON shape."""
    return Response(json.dumps({"message": message}), status, mimetype="application/json")


def _passes_as_text(media: str, data: bytes) -> bool:
    """Whether HTTP API passes a body as text. SAM would answer 502 to a "text" body in no
    UTF-8; base64-encoded, it reaches the function, which answers 400, as it would in AWS."""
    if not (media.startswith("text/") or media in TEXT_MEDIA_TYPES):
        return False
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


class Gateway(LocalApigwService):  # type: ignore[misc]  # samcli ships no type information
    def __init__(self, *args: Any, document: Callable[[], bytes] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.document = document

    def create(self) -> None:
        super().create()
        self.app: Flask = self._app
        self.app.config["MAX_CONTENT_LENGTH"] = BODY_LIMIT
        not_found = gateway_error(404, "Not Found")
        for status in (404, 405):
            self.app.register_error_handler(status, lambda _: not_found)
        too_large = gateway_error(413, "Request Entity Too Large")
        for error in (413, PayloadTooLarge):
            self.app.register_error_handler(error, lambda _: too_large)
        unavailable = gateway_error(503, "Service Unavailable")
        self.app.register_error_handler(FunctionTimedOut, lambda _: unavailable)
        document = self.document
        if document is not None:
            self.app.add_url_rule(
                openapi.PATH, "openapi", lambda: Response(document(), mimetype="application/json")
            )

    def _generate_lambda_event(
        self, request: Request, route: Any, method: str, endpoint: str
    ) -> dict[str, Any]:
        """SAM's payload v2 event, with HTTP API's encoding rule and this request's own time.

        HTTP API base64-encodes every body that is not text; SAM only those of declared
        binary media types (an HttpApi has none).
        """
        now = time.time()
        path = PathConverter.convert_path_to_api_gateway(endpoint)
        media, data = request.mimetype, request.get_data()
        event: dict[str, Any] = construct_v2_event_http(
            request,
            self.port,
            [media] if data and not _passes_as_text(media, data) else [],
            stage_name=self.api.stage_name,
            stage_variables=self.api.stage_variables,
            route_key=self._v2_route_key(method, path, route.is_default_route),
            request_time_epoch=int(now * 1000),
            request_time=time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        )
        # Also computed once, at import, by SAM; API Gateway's ids look like this.
        event["requestContext"]["requestId"] = base64.b64encode(os.urandom(11)).decode()
        return event


class _Recorder:
    """A runner that keeps the events it is given and answers 200: the gateway's side alone."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def is_debugging(self) -> bool:
        return False

    def invoke(self, name: str, event: str, *, stdout: Any, **_: Any) -> None:
        self.events.append(json.loads(event))
        stdout.write_str("{}")


def event(template: Path, method: str, path: str, **request: Any) -> dict[str, Any]:
    """The payload v2 event the gateway makes of one request (flask test-client arguments)."""
    recorder = _Recorder()
    gateway = Gateway(sam.read(template).api, recorder, port=443)
    gateway.create()
    gateway.app.test_client().open(path, method=method, **request)
    (made,) = recorder.events
    return made


def configure_logging() -> None:
    """Our lines (REPORT, timeouts) on stderr, where the function's own logs go."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    local = logging.getLogger("local")
    local.addHandler(handler)
    local.setLevel(logging.INFO)


def serve(
    template: Path,
    port: int,
    env_vars: EnvVars,
    *,
    isolated: bool,
    snapstart: bool = False,
    on_ready: Callable[[str], None] = lambda base: print(READY.format(base=base), flush=True),
) -> None:
    """Serve until SIGINT or SIGTERM; the port and every container are released on the way out."""
    app = sam.read(template, env_vars, isolated=isolated, snapstart=snapstart)
    function = app.runner.get_invoke_config(app.runner.get_function(sam.routed_function(app)))
    max_records = int(function.env_vars.resolve()["MAX_RECORDS"])
    document = openapi.generator(function.handler, max_records)
    gateway = Gateway(app.api, app.runner, port=port, host="127.0.0.1", document=document)
    gateway.create()
    server = make_server("127.0.0.1", port, gateway.app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwind like Ctrl-C
    try:
        on_ready(f"http://127.0.0.1:{server.port}")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C or a parent's SIGTERM must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.server_close()
        app.runner.local_runtime.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.api", description=__doc__)
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--env-vars", type=Path, help="JSON file, as `sam local --env-vars`")
    parser.add_argument("--from-build", action="store_true", help="serve the `sam build` output")
    parser.add_argument("--snapstart", action="store_true", help=SNAPSTART_HELP)
    args = parser.parse_args(argv)
    configure_logging()
    env_vars = json.loads(args.env_vars.read_text()) if args.env_vars else {}
    template = BUILT_TEMPLATE if args.from_build else Path("template.yaml")
    serve(template, args.port, env_vars, isolated=args.from_build, snapstart=args.snapstart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
