"""local.api's gateway (SAM's LocalApigwService) and local.runner with a fake function:
what a client of the local API sees, and how the function is run.

The fake handler runs in a real host process, as `make serve` runs the real one; its
answers report what it saw (event, environment, counters, its process id).
"""

from __future__ import annotations

import base64
import json
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from local import sam
from local.api import BODY_LIMIT, Gateway, event
from local.runner import PAYLOAD_LIMIT

HANDLER = """
import json, os, threading, time

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
            time.sleep(3)
        elif route == "GET /crash":
            raise RuntimeError("boom")
        elif route == "GET /plain":
            return "hello"
        elif route == "GET /probe":
            time.sleep(0.005)
        names = ("GREETING", "OVERRIDDEN", "SCRATCH", "ARTIFACT_DIR", "AWS_LAMBDA_FUNCTION_NAME",
                 "AWS_SAM_LOCAL", "LAMBDA_TASK_ROOT")
        body = {
            "event": event,
            "env": {k: os.environ.get(k) for k in names},
            "pid": os.getpid(),
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
      CodeUri: fakefn/
      Handler: fakefn.app.handler
      Runtime: python3.13
      Timeout: 2
      Environment:
        Variables: {GREETING: hello, OVERRIDDEN: template, SCRATCH: /tmp/scratch}
      Events:
        Echo: {Type: HttpApi, Properties: {Path: /echo, Method: POST}}
        Item: {Type: HttpApi, Properties: {Path: "/items/{id}", Method: GET}}
        Slow: {Type: HttpApi, Properties: {Path: /slow, Method: GET}}
        Crash: {Type: HttpApi, Properties: {Path: /crash, Method: GET}}
        Plain: {Type: HttpApi, Properties: {Path: /plain, Method: GET}}
        Probe: {Type: HttpApi, Properties: {Path: /probe, Method: GET}}
"""


class Fake:
    def __init__(self, tmp: Path) -> None:
        (tmp / "fakefn").mkdir()
        (tmp / "fakefn" / "__init__.py").write_text("")
        (tmp / "fakefn" / "app.py").write_text(textwrap.dedent(HANDLER))
        self.fail_flag = tmp / "fakefn" / "fail-init"
        self.template = tmp / "template.yaml"
        self.template.write_text(TEMPLATE)
        env_vars = {"Fn": {"OVERRIDDEN": "env-vars", "UNDECLARED": "x"}}
        self.app = sam.read(self.template, env_vars)
        self.gateway = Gateway(self.app.api, self.app.runner, port=3000, document=lambda: b"{}")
        self.gateway.create()

    def client(self) -> FlaskClient:
        return self.gateway.app.test_client()

    def calls(self) -> int:
        answer: dict[str, Any] = self.client().get("/items/0").get_json()
        return int(answer["calls"])

    def close(self) -> None:
        self.app.runner.local_runtime.close()


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fake]:
    fake = Fake(tmp_path_factory.mktemp("fake"))
    yield fake
    fake.close()


@pytest.fixture
def client(fake: Fake) -> FlaskClient:
    return fake.client()


def test_one_container_serves_every_request(client: FlaskClient) -> None:
    first = client.get("/items/1").get_json()
    second = client.get("/items/2").get_json()
    assert first["pid"] == second["pid"]
    assert second["calls"] == first["calls"] + 1
    assert first["request_id"] != second["request_id"]  # Lambda's own id, per invocation


def test_event_and_response_translation(client: FlaskClient) -> None:
    response = client.post("/echo?a=1&b=2", json={"x": 1}, headers={"X-Custom": "v"})
    assert response.status_code == 200
    assert response.headers.getlist("set-cookie") == ["c=1; Path=/"]
    assert response.headers["content-type"] == "application/json"
    answer = response.get_json()
    sent = answer["event"]
    assert (sent["version"], sent["routeKey"], sent["rawPath"]) == ("2.0", "POST /echo", "/echo")
    assert sent["rawQueryString"] == "a=1&b=2"
    assert sent["queryStringParameters"] == {"a": "1", "b": "2"}
    assert sent["headers"]["X-Custom"] == "v"
    assert (json.loads(sent["body"]), sent["isBase64Encoded"]) == ({"x": 1}, False)
    context = sent["requestContext"]
    assert (context["stage"], context["http"]["method"]) == ("$default", "POST")
    assert answer["request_id"] != context["requestId"]  # the gateway's id is another


def test_each_event_has_its_own_time_and_request_id(client: FlaskClient) -> None:
    """SAM's constructor computes both defaults once, at import; the gateway passes its own."""
    contexts = [client.get(f"/items/{i}").get_json()["event"]["requestContext"] for i in (1, 2)]
    assert contexts[0]["requestId"] != contexts[1]["requestId"]
    assert contexts[0]["timeEpoch"] > 1_700_000_000_000  # milliseconds, as API Gateway sends
    assert contexts[0]["timeEpoch"] <= contexts[1]["timeEpoch"]


def test_binary_body_is_base64_and_text_is_not(client: FlaskClient) -> None:
    sent = client.post("/echo", data=b"\x00\xff", content_type="application/octet-stream")
    assert sent.status_code == 200
    assert (sent.get_json()["event"]["body"], sent.get_json()["event"]["isBase64Encoded"]) == (
        base64.b64encode(b"\x00\xff").decode(),
        True,
    )
    text = client.post("/echo", data="é", content_type="text/plain").get_json()["event"]
    assert (text["body"], text["isBase64Encoded"]) == ("é", False)
    # A "JSON" body in no UTF-8 still reaches the function (SAM alone would answer 502).
    broken = client.post("/echo", data=b"<\xff", content_type="application/json")
    assert broken.status_code == 200
    assert broken.get_json()["event"]["body"] == base64.b64encode(b"<\xff").decode()


def test_path_parameters(client: FlaskClient) -> None:
    sent = client.get("/items/42").get_json()["event"]
    assert (sent["routeKey"], sent["pathParameters"]) == ("GET /items/{id}", {"id": "42"})


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("GET", "/echo"), ("POST", "/")])
def test_unknown_route_or_method_is_the_gateways_404(fake: Fake, method: str, path: str) -> None:
    before = fake.calls()
    response = fake.client().open(path, method=method)
    assert response.status_code == 404
    assert response.get_json() == {"message": "Not Found"}
    assert fake.calls() == before + 1  # the function never saw it


def test_body_over_10_mb_is_413(fake: Fake) -> None:
    before = fake.calls()
    response = fake.client().post("/echo", data=b"x" * (BODY_LIMIT + 1), content_type="text/plain")
    assert response.status_code == 413
    assert response.get_json() == {"message": "Request Entity Too Large"}
    assert fake.calls() == before + 1


def test_event_over_lambdas_6_mb_is_413(fake: Fake) -> None:
    before = fake.calls()
    response = fake.client().post("/echo", data=b"x" * PAYLOAD_LIMIT, content_type="text/plain")
    assert response.status_code == 413
    assert fake.calls() == before + 1


def test_handler_over_the_timeout_is_503_and_the_container_is_replaced(
    client: FlaskClient,
) -> None:
    before = client.get("/items/1").get_json()["pid"]
    response = client.get("/slow")
    assert response.status_code == 503
    assert response.get_json() == {"message": "Service Unavailable"}
    after = client.get("/items/1").get_json()
    assert after["pid"] != before  # as Lambda resets an environment after a timeout
    assert after["calls"] == 1


def test_remaining_time_counts_down_from_the_timeout(client: FlaskClient) -> None:
    assert 0 < client.get("/items/1").get_json()["remaining_ms"] <= 2000  # Timeout: 2


def test_function_error_is_a_5xx_in_the_gateways_shape(client: FlaskClient) -> None:
    response = client.get("/crash")
    assert response.status_code == 500
    assert set(response.get_json()) == {"message"}


def test_plain_string_result(client: FlaskClient) -> None:
    response = client.get("/plain")
    assert (response.status_code, response.data) == (200, b"hello")


def test_environment_from_the_template_and_env_vars(client: FlaskClient) -> None:
    env = client.get("/items/1").get_json()["env"]
    assert env["GREETING"] == "hello"
    assert env["OVERRIDDEN"] == "env-vars"  # the env-vars file wins, as with sam local
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Fn"
    assert env["AWS_SAM_LOCAL"] == "true"
    # /tmp paths land in the container's own empty /tmp, as in a fresh Lambda environment
    scratch = Path(tempfile.gettempdir())
    for name in ("SCRATCH", "ARTIFACT_DIR"):
        private = Path(env[name]).relative_to(scratch)
        assert private.parts[0].startswith("lambda-Fn-"), env[name]
    assert (Path(env["LAMBDA_TASK_ROOT"]) / "fakefn" / "app.py").is_file()  # CodeUri's parent


def test_one_invocation_at_a_time(fake: Fake) -> None:
    statuses: list[int] = []

    def hammer() -> None:
        local = fake.client()
        statuses.extend(local.get("/probe").status_code for _ in range(10))

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 60
    assert fake.client().get("/items/1").get_json()["max_active"] == 1


def test_failed_init_is_retried_on_the_next_request(tmp_path: Path) -> None:
    fake = Fake(tmp_path)
    try:
        fake.fail_flag.write_text("")
        response = fake.client().get("/items/1")
        assert response.status_code == 500
        fake.fail_flag.unlink()
        assert fake.client().get("/items/1").status_code == 200
    finally:
        fake.close()


def test_openapi_document_is_served(client: FlaskClient) -> None:
    response = client.get("/openapi.json")
    assert (response.status_code, response.data) == (200, b"{}")


def test_event_helper_makes_what_the_gateway_sends(fake: Fake, client: FlaskClient) -> None:
    made = event(fake.template, "POST", "/echo", json={"x": 1})
    served = client.post("/echo", json={"x": 1}).get_json()["event"]
    for part in (made, served):
        part["requestContext"].pop("requestId"), part["requestContext"].pop("timeEpoch")
        part["requestContext"].pop("time"), part["headers"].pop("X-Forwarded-Port")
    assert made == served
