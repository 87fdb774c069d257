"""events/: every file is a payload v2 event with a stated status, and the handler agrees.

The events are what `sam local invoke -e` and `make invoke` replay, and what other
suites (the local API, the build-output process) serve; events/expected.json is the
one place their expected statuses live.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse
from support import NOT_HTTP_EVENTS, REAL_SAMPLE, ROOT

EVENTS_DIR = ROOT / "events"
TEMPLATE = ROOT / "template.yaml"
EXPECTED: dict[str, int] = json.loads((EVENTS_DIR / "expected.json").read_text())
EVENT_FILES = sorted(p.name for p in EVENTS_DIR.glob("*.json") if p.name not in NOT_HTTP_EVENTS)
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
# Statuses whose body comes from the request-contract errors (record/field list).
CONTRACT_ERRORS = {400, 413, 422}


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text())


def decoded_body(event: dict[str, Any]) -> str | None:
    body = event.get("body")
    if body is None or not event.get("isBase64Encoded"):
        return body
    return base64.b64decode(body, validate=True).decode()


def records_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of a well-formed /predict body, else []."""
    try:
        body = json.loads(decoded_body(event) or "")
    except ValueError:
        return []
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        return []
    return [r for r in records if isinstance(r, dict)]


def route_of(event: dict[str, Any]) -> tuple[str, str]:
    """(method, path) as API Gateway matches it: the stage prefix is not part of the route."""
    method = event["requestContext"]["http"]["method"]
    path = event["rawPath"]
    stage = event["requestContext"]["stage"]
    if stage != "$default":
        path = path.removeprefix(f"/{stage}")
    return method, path


@cache
def template_routes() -> set[tuple[str, str]]:
    template = yaml_parse(TEMPLATE.read_text())
    routes = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for spec in resource["Properties"].get("Events", {}).values():
            if spec["Type"] == "HttpApi":
                routes.add((spec["Properties"]["Method"].upper(), spec["Properties"]["Path"]))
    return routes


@pytest.fixture(scope="module")
def generated_event() -> dict[str, Any]:
    """The reference shape, printed by the pinned SAM CLI (needs no Docker and no AWS)."""
    sam = Path(sys.executable).with_name("sam")
    result = subprocess.run(
        [str(sam), "local", "generate-event", "apigateway", "http-api-proxy"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    return json.loads(result.stdout)


def test_every_event_has_an_expected_status() -> None:
    assert EVENT_FILES, "events/ holds no event"
    assert set(EXPECTED) == set(EVENT_FILES), "events/expected.json must list exactly the events"
    for name, status in EXPECTED.items():
        assert isinstance(status, int) and 200 <= status <= 599, name


def test_events_cover_the_contract() -> None:
    """The kinds of request the issue asks for are all there."""
    statuses = set(EXPECTED.values())
    assert {200, 400, 404, 413, 422} <= statuses
    events = {name: load_event(name) for name in EVENT_FILES}
    ok = {n: e for n, e in events.items() if EXPECTED[n] == 200}
    assert any(route_of(e) == ("GET", "/health") for e in ok.values())
    assert any(e["requestContext"]["stage"] != "$default" for e in ok.values())
    assert any(e["isBase64Encoded"] for e in ok.values())
    assert any(len(records_of(e)) == 1 for e in ok.values())
    assert any(len(records_of(e)) > 1 for e in ok.values())
    assert any(any("price" in r for r in records_of(e)) for e in ok.values())


@pytest.mark.parametrize("name", EVENT_FILES)
def test_event_is_payload_v2(name: str, generated_event: dict[str, Any]) -> None:
    event = load_event(name)
    # Same shape as the SAM CLI's own event: no key it does not know.
    assert set(event) <= set(generated_event), set(event) - set(generated_event)
    context = event["requestContext"]
    assert set(context) <= set(generated_event["requestContext"])
    assert set(context["http"]) == set(generated_event["requestContext"]["http"])

    assert event["version"] == "2.0"
    assert isinstance(event["rawQueryString"], str)
    assert event["rawPath"].startswith("/")
    assert all(k == k.lower() and isinstance(v, str) for k, v in event["headers"].items())
    assert context["http"]["method"] in METHODS
    assert context["http"]["path"] == event["rawPath"]
    assert context["routeKey"] == event["routeKey"]
    assert isinstance(context["requestId"], str) and context["requestId"]
    assert isinstance(context["timeEpoch"], int)
    assert isinstance(event["isBase64Encoded"], bool)
    if context["stage"] != "$default":
        assert event["rawPath"].startswith(f"/{context['stage']}/")
    if "body" in event:
        assert isinstance(event["body"], str)
    if event["isBase64Encoded"] and EXPECTED[name] < 400:
        decoded_body(event)  # valid base64 of UTF-8 text


@pytest.mark.parametrize("name", EVENT_FILES)
def test_event_route_matches_template(name: str) -> None:
    """Events that succeed use a route the template deploys; 404 ones (wrong path or
    method, which API Gateway itself answers) use none."""
    event = load_event(name)
    method, path = route_of(event)
    deployed = template_routes()
    if EXPECTED[name] == 404:
        assert (method, path) not in deployed
        assert event["routeKey"] == "$default"  # only a catch-all route would reach the function
    else:
        assert (method, path) in deployed
        assert event["routeKey"] == f"{method} {path}"


def test_records_are_housets_rows_and_invented() -> None:
    """Good records use only HouseTS columns; none is a row copied from the real sample."""
    from predict_fn.contract import ALL_FIELDS, REQUIRED

    ours: set[tuple[str, str]] = set()
    for name in EVENT_FILES:
        for record in records_of(load_event(name)):
            if EXPECTED[name] == 200:
                assert set(record) <= ALL_FIELDS, (name, set(record) - ALL_FIELDS)
                assert all(field in record for field in REQUIRED), name
            if "date" in record and "zipcode" in record:
                ours.add((str(record["date"]), str(record["zipcode"])))
    if not REAL_SAMPLE.exists():
        pytest.skip(f"{REAL_SAMPLE} not present")
    with REAL_SAMPLE.open(newline="") as handle:
        real = {(row["date"], row["zipcode"]) for row in csv.DictReader(handle)}
    assert not ours & real, f"events reuse real HouseTS rows: {sorted(ours & real)}"


def test_env_json_only_overrides_declared_variables() -> None:
    """`sam local invoke --env-vars` silently ignores variables the template does not declare;
    a value equal to what the template already sets would only repeat a default."""
    env = json.loads((EVENTS_DIR / "env.json").read_text())
    template = yaml_parse(TEMPLATE.read_text())
    defaults = {n: str(p["Default"]) for n, p in template["Parameters"].items() if "Default" in p}
    for function, variables in env.items():
        if function == "Parameters":
            continue
        declared = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert set(variables) <= set(declared), set(variables) - set(declared)
        assert all(isinstance(v, str) for v in variables.values())
        for name, value in variables.items():
            source = declared[name]
            deployed = defaults.get(source.get("Ref", "")) if isinstance(source, dict) else source
            assert value != deployed, f"{name}={value!r} repeats the template"


@pytest.fixture(autouse=True)
def _template_max_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay with the deployed MAX_RECORDS (autouse: set before `app_module` imports the app)."""
    template = yaml_parse(TEMPLATE.read_text())
    monkeypatch.setenv("MAX_RECORDS", str(template["Parameters"]["MaxRecords"]["Default"]))


@pytest.mark.parametrize("name", EVENT_FILES)
def test_replay_through_handler(name: str, app_module: Any, lambda_context: Any) -> None:
    event = load_event(name)
    response = app_module.lambda_handler(event, lambda_context)
    status = response["statusCode"]
    body = json.loads(response["body"])
    assert status == EXPECTED[name], body

    if status >= 400:
        assert "message" in body
        if status in CONTRACT_ERRORS:
            assert body["errors"], body
            for error in body["errors"]:
                assert set(error) == {"record", "field", "problem"}
        return

    if route_of(event) == ("GET", "/health"):
        assert body["loaded"] is True
        return

    records = records_of(event)
    predictions = body["predictions"]
    assert body["count"] == len(records) == len(predictions)
    assert all(type(p) is float for p in predictions)
    assert "version" in body["model"]
    labels = [r.get("price") for r in records]
    if any(label is not None for label in labels):
        assert body["actuals"] == labels
        assert set(body["metrics"]) >= {"mae", "rmse", "mape"}
    else:
        assert "actuals" not in body and "metrics" not in body
    explained = json.loads(decoded_body(event) or "{}").get("explain", False)
    assert len(body.get("explanations", [])) == (len(records) if explained else 0)
