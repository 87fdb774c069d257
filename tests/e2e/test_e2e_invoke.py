"""`make invoke EVENT=...`: one event through the handler, response JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import child_env
from support import ROOT

pytestmark = pytest.mark.e2e

CRASHING_TEMPLATE = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: crashing/, Handler: app.handler, Events: {Any: {Type: HttpApi}}}
"""


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=300
    )


def invoke(event: str, artifacts: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [event, "--artifacts", str(artifacts), *extra]
    return run([sys.executable, "-m", "local.invoke", *args])


def test_make_invoke_prints_the_response(trained_artifacts: Path) -> None:
    # Under `make test` this is a sub-make, which would wrap stdout in "Entering/Leaving
    # directory" lines that a user's top-level `make invoke` never prints.
    done = run(
        [
            "make",
            "--no-print-directory",
            "invoke",
            "EVENT=events/predict_batch.json",
            f"ARTIFACTS={trained_artifacts}",
        ]
    )
    assert done.returncode == 0, done.stderr
    # make echoes its command line first; the response is the JSON document after it
    response = json.loads(done.stdout[done.stdout.index("\n{") + 1 :])
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert len(body["predictions"]) == body["count"] > 1
    assert "REPORT RequestId" in done.stderr  # the function's log goes to stderr, as with sam


def test_invoke_reports_function_errors(trained_artifacts: Path, tmp_path: Path) -> None:
    (tmp_path / "crashing").mkdir()
    (tmp_path / "crashing" / "app.py").write_text(
        "def handler(event, context):\n    raise ValueError('no such luck')\n"
    )
    template = tmp_path / "template.yaml"
    template.write_text(CRASHING_TEMPLATE)
    done = invoke("events/health.json", trained_artifacts, "--template", str(template))
    assert done.returncode == 1, done.stderr
    error = json.loads(done.stdout)
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "no such luck")


@pytest.mark.build
@pytest.mark.skipif(
    not (ROOT / ".aws-sam" / "build" / "template.yaml").is_file(), reason="needs `make build`"
)
def test_invoke_from_build(trained_artifacts: Path) -> None:
    done = invoke("events/predict_single.json", trained_artifacts, "--from-build")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["statusCode"] == 200


@pytest.mark.build
@pytest.mark.skipif(
    not (ROOT / ".aws-sam" / "build" / "template.yaml").is_file(), reason="needs `make build`"
)
def test_invoke_emulating_snapstart_restores_and_answers_alike(trained_artifacts: Path) -> None:
    """Init, before-snapshot hooks, S3 gone, after-restore hooks, then the request: the
    same answer as an on-demand container, reported as a restore, not a cold start."""
    answers = {}
    for mode in ("on-demand", "snap-start"):
        extra = ("--snapstart",) if mode == "snap-start" else ()
        done = invoke("events/predict_batch.json", trained_artifacts, "--from-build", *extra)
        assert done.returncode == 0, done.stderr
        answers[mode] = json.loads(json.loads(done.stdout)["body"])["predictions"]
        report = next(line for line in done.stderr.splitlines() if line.startswith("REPORT"))
        assert ("Restore Duration" in report) == (mode == "snap-start"), report
        assert ("Init Duration" in report) == (mode == "on-demand"), report
        assert f'"init_type":"{mode}"' in done.stderr
    assert answers["snap-start"] == answers["on-demand"]
    assert '"Restores":[1.0]' in done.stderr and '"ColdStart"' not in done.stderr
