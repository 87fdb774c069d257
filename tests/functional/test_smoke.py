"""`make smoke`: the replay meant for a deployed stack, run here against the local API.

The API is `make serve`'s own process (python -m local.serve, its public CLI) on a free
loopback port; the stack is moto's CloudFormation, whose output points at that API.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from samtranslator.yaml_helper import yaml_parse
from support import ROOT

from local import smoke
from local.s3 import free_port

START_TIMEOUT = 120.0
EXPECTED = json.loads((ROOT / "events" / "expected.json").read_text())


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-4000:]
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=30) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError(f"no healthy API in {START_TIMEOUT:.0f}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def local_predict_url(
    trained_artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = ["-m", "local.serve", "--port", str(port), "--artifacts", str(trained_artifacts)]
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its children (moto_server, the API) go with it
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
        yield f"http://127.0.0.1:{port}/predict"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def stack_with_output(name: str, url: str) -> None:
    """A stack in moto's CloudFormation whose PredictUrl output is `url`."""
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {smoke.OUTPUT: {"Value": url}},
    }
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))


def test_the_output_it_reads_is_the_templates_predict_url() -> None:
    outputs = yaml_parse((ROOT / "template.yaml").read_text())["Outputs"]
    assert outputs[smoke.OUTPUT]["Value"]["Fn::Sub"].endswith("/predict")


def test_stack_output_is_found_by_stack_name() -> None:
    with mock_aws():
        stack_with_output("housets-a", "https://a.execute-api.us-east-1.amazonaws.com/predict")
        stack_with_output("housets-b", "https://b.execute-api.us-east-1.amazonaws.com/predict")
        assert smoke.predict_url("housets-b").startswith("https://b.")
        boto3.client("cloudformation", region_name="us-east-1").create_stack(
            StackName="no-outputs",
            TemplateBody=json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}),
        )
        with pytest.raises(SystemExit, match="no output PredictUrl"):
            smoke.predict_url("no-outputs")


def test_requests_cover_every_event_and_the_readme_curls() -> None:
    requests = smoke.event_requests() + smoke.readme_requests()
    assert [r.source for r in requests if r.source in EXPECTED] == list(EXPECTED)
    readme = {(r.method, r.path, r.expected) for r in requests if r.source.startswith("README")}
    assert readme == {("GET", "/health", 200), ("POST", "/predict", 200)}
    by_name = {r.source: r for r in requests}
    assert by_name["README POST /predict"].headers == {"content-type": "application/json"}
    # The stage path is cut off: the deployed API serves the $default stage.
    assert by_name["predict_stage_path.json"].path == "/predict"
    # A base64 body is sent as the bytes it encodes, what API Gateway would encode again.
    assert json.loads(by_name["predict_base64.json"].body or b"")["records"]


def test_an_unreachable_api_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert smoke.main(["--url", f"http://127.0.0.1:{free_port()}/predict", "--timeout", "2"]) == 1
    assert "unreachable" in capsys.readouterr().out


@pytest.mark.e2e
def test_smoke_passes_against_the_local_api(
    local_predict_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smoke.main(["--url", local_predict_url]) == 0
    out = capsys.readouterr().out
    total = len(EXPECTED) + len(smoke.readme_requests())  # the events, the README's curls
    assert f"{total} of {total} as expected" in out
    assert "predict_base64.json" in out and "README POST /predict" in out


@pytest.mark.e2e
def test_smoke_by_stack_against_the_local_api(
    local_predict_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws():
        stack_with_output("housets-local", local_predict_url)
        assert smoke.main(["--stack", "housets-local"]) == 0
    assert local_predict_url in capsys.readouterr().out


@pytest.mark.e2e
def test_a_wrong_status_is_a_failure(
    local_predict_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    health = smoke.Request("health.json", "GET", "/health", None, {}, 201)
    monkeypatch.setattr(smoke, "event_requests", lambda: [health])
    assert smoke.main(["--url", local_predict_url]) == 1
    assert "status 200, expected 201" in capsys.readouterr().out
