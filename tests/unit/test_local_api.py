"""local.api + local.container with a fake function: the gateway behaviour a client can see.

The fake handler is imported into this process (the container is in-process), so the
fixture restores os.environ, sys.path and sys.modules afterwards.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support import ROOT
from werkzeug.test import Client

from local.api import BODY_LIMIT, Gateway
from local.cli import function_env, pick_function
from local.container import Container
from local.template import read_app

HANDLER = """
import json, os, threading, time

INITS = 1
if os.path.exists(os.path.join(os.path.dirname(__file__), "fail-init")):
    raise RuntimeError("init failed on purpose")
CALLS = 0
_active = 0
_max_active = 0
_lock = threading.Lock()


def handler(event, context):
    global CALLS, _active, _max_active
    with _lock:
        CALLS += 1
        _active += 1
        _max_active = max(_max_active, _active)
    try:
        route = event["routeKey"]
        if route == "GET /slow":
            time.sleep(float(event["queryStringParameters"]["s"]))
        elif route == "GET /crash":
            raise RuntimeError("boom")
        elif route == "GET /bad":
            return {"statusCode": "nope"}
        elif route == "GET /plain":
            return "hello"
        elif route == "GET /probe":
            time.sleep(0.005)
        names = ("GREETING", "SCRATCH", "AWS_LAMBDA_FUNCTION_NAME", "AWS_SAM_LOCAL")
        body = {
            "event": event,
            "env": {k: os.environ.get(k) for k in names},
            "inits": INITS,
            "calls": CALLS,
            "max_active": _max_active,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id,
        }
        return {"statusCode": 200, "cookies": ["c=1; Path=/"], "body": json.dumps(body)}
    finally:
        with _lock:
            _active -= 1
"""

TEMPLATE = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {pkg}/
      Handler: {pkg}.app.handler
      Runtime: python3.13
      Timeout: 1
      Environment:
        Variables: {{GREETING: hello, SCRATCH: /tmp/scratch}}
      Events:
        Echo: {{Type: HttpApi, Properties: {{Path: /echo, Method: POST}}}}
        Item: {{Type: HttpApi, Properties: {{Path: "/items/{{id}}", Method: GET}}}}
        Files: {{Type: HttpApi, Properties: {{Path: "/files/{{proxy+}}", Method: ANY}}}}
        Slow: {{Type: HttpApi, Properties: {{Path: /slow, Method: GET}}}}
        Crash: {{Type: HttpApi, Properties: {{Path: /crash, Method: GET}}}}
        Bad: {{Type: HttpApi, Properties: {{Path: /bad, Method: GET}}}}
        Plain: {{Type: HttpApi, Properties: {{Path: /plain, Method: GET}}}}
        Probe: {{Type: HttpApi, Properties: {{Path: /probe, Method: GET}}}}
"""


class Fake:
    def __init__(self, tmp: Path) -> None:
        self.package = f"fakefn_{uuid.uuid4().hex[:8]}"
        (tmp / self.package).mkdir()
        (tmp / self.package / "__init__.py").write_text("")
        (tmp / self.package / "app.py").write_text(textwrap.dedent(HANDLER))
        self.fail_flag = tmp / self.package / "fail-init"
        template = tmp / "template.yaml"
        template.write_text(TEMPLATE.format(pkg=self.package))
        app = read_app(template)
        function = pick_function(app, None)
        self.container = Container(function, function_env(function, None, os.environ))
        self.gateway = Gateway(app.routes, {function.name: self.container}, stages=["prod"])

    def calls(self) -> int:
        module = sys.modules.get(f"{self.package}.app")
        return module.CALLS if module else 0


@contextmanager
def isolated_fake(tmp: Path) -> Iterator[Fake]:
    environ, path = dict(os.environ), list(sys.path)
    fake = Fake(tmp)
    try:
        yield fake
    finally:
        fake.container.close()
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path
        for name in [m for m in sys.modules if m.startswith(fake.package)]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fake]:
    with isolated_fake(tmp_path_factory.mktemp("fakefn")) as fake:
        yield fake


@pytest.fixture
def client(fake: Fake) -> Client:
    return Client(fake.gateway, use_cookies=False)


def test_first_request_is_the_cold_start_and_only_it(fake: Fake, client: Client) -> None:
    assert f"{fake.package}.app" not in sys.modules  # nothing imported before a request
    first = client.get("/items/1").get_json()
    second = client.get("/items/2").get_json()
    assert first["inits"] == second["inits"] == 1
    assert second["calls"] == first["calls"] + 1


def test_event_and_response_translation(client: Client) -> None:
    response = client.post(
        "/echo?a=1&a=2",
        json={"x": 1},
        headers={"X-Custom": "v", "Cookie": "s=abc; t=def"},
    )
    assert response.status_code == 200
    assert response.headers.getlist("set-cookie") == ["c=1; Path=/"]
    assert response.headers["content-type"] == "application/json"
    data = response.get_json()
    event = data["event"]
    assert event["routeKey"] == "POST /echo"
    assert event["rawQueryString"] == "a=1&a=2"
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["headers"]["x-custom"] == "v"
    assert event["cookies"] == ["s=abc", "t=def"]
    assert json.loads(event["body"]) == {"x": 1}
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["stage"] == "$default"
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]
    assert data["request_id"] != event["requestContext"]["requestId"]  # Lambda's own id


def test_binary_body_is_base64(client: Client) -> None:
    event = client.post(
        "/echo", data=b"\x00\xff", content_type="application/octet-stream"
    ).get_json()["event"]
    assert (event["body"], event["isBase64Encoded"]) == ("AP8=", True)


def test_path_parameters_and_greedy_paths(client: Client) -> None:
    event = client.get("/items/42").get_json()["event"]
    assert (event["routeKey"], event["pathParameters"]) == ("GET /items/{id}", {"id": "42"})
    event = client.delete("/files/a/b/c.txt").get_json()["event"]
    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_named_stage_prefix(client: Client) -> None:
    event = client.get("/prod/items/7").get_json()["event"]
    assert event["rawPath"] == "/prod/items/7"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["requestContext"]["stage"] == "prod"


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("GET", "/echo"), ("POST", "/")])
def test_unknown_route_is_the_gateways_404(
    fake: Fake, client: Client, method: str, path: str
) -> None:
    before = fake.calls()
    response = client.open(path, method=method)
    assert response.status_code == 404
    assert response.get_json() == {"message": "Not Found"}
    assert fake.calls() == before  # the function never saw it


REAL_ROUTES = read_app(ROOT / "template.yaml").routes
WRONG_METHODS = [
    (method, path)
    for path in ("/predict", "/health")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    if f"{method} {path}" not in {route.key for route in REAL_ROUTES}
]


@pytest.mark.parametrize(("method", "path"), WRONG_METHODS)
def test_wrong_method_on_the_real_routes_is_the_gateways_404(method: str, path: str) -> None:
    """As deployed (template.yaml routes only POST /predict and GET /health), and as README says."""
    gateway = Gateway(REAL_ROUTES, containers={})  # no function: an invocation would raise
    response = Client(gateway, use_cookies=False).open(path, method=method)
    assert response.status_code == 404
    assert response.get_json() == {"message": "Not Found"}


def test_body_over_10_mb_is_413(fake: Fake, client: Client) -> None:
    before = fake.calls()
    response = client.post("/echo", data=b"x" * (BODY_LIMIT + 1), content_type="text/plain")
    assert response.status_code == 413
    assert response.get_json() == {"message": "Request Entity Too Large"}
    assert fake.calls() == before


def test_event_over_lambdas_6_mb_is_413(client: Client) -> None:
    response = client.post("/echo", data=b"x" * 7_000_000, content_type="text/plain")
    assert response.status_code == 413
    assert response.get_json() == {"message": "Request Too Long"}


def test_handler_over_the_timeout_is_503(client: Client) -> None:
    started = time.monotonic()
    response = client.get("/slow?s=1.6")
    assert response.status_code == 503
    assert response.get_json() == {"message": "Service Unavailable"}
    assert 0.9 < time.monotonic() - started < 1.5  # Timeout: 1 in the template
    # The container is still there: the next request is served once the stray call ends.
    assert client.get("/items/1").status_code == 200


def test_remaining_time_counts_down_from_the_timeout(client: Client) -> None:
    assert 0 < client.get("/items/1").get_json()["remaining_ms"] <= 1000


@pytest.mark.parametrize("path", ["/crash", "/bad"])
def test_function_errors_are_500(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 500
    assert response.get_json() == {"message": "Internal Server Error"}


def test_plain_string_result(client: Client) -> None:
    response = client.get("/plain")
    assert (response.status_code, response.data) == (200, b"hello")
    assert response.headers["content-type"] == "application/json"


def test_environment_from_the_template(fake: Fake, client: Client) -> None:
    env = client.get("/items/1").get_json()["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Fn"
    assert env["AWS_SAM_LOCAL"] == "true"
    # /tmp paths land in the container's own empty /tmp, as in a fresh Lambda environment
    assert env["SCRATCH"] == str(fake.container.tmp / "scratch")


def test_one_invocation_at_a_time(fake: Fake) -> None:
    statuses: list[int] = []

    def hammer() -> None:
        local = Client(fake.gateway, use_cookies=False)
        statuses.extend(local.get("/probe").status_code for _ in range(15))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 120
    assert Client(fake.gateway, use_cookies=False).get("/items/1").get_json()["max_active"] == 1


def test_failed_init_is_retried_on_the_next_request(tmp_path: Path) -> None:
    with isolated_fake(tmp_path) as fake:
        fake.fail_flag.write_text("")
        client = Client(fake.gateway, use_cookies=False)
        assert client.get("/items/1").status_code == 500
        fake.fail_flag.unlink()
        assert client.get("/items/1").status_code == 200
