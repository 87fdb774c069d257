"""Schemathesis against the local API, using the OpenAPI document it serves.

The document (local/openapi.py) is Powertools' own for predict_fn.app's annotated routes,
with the request body derived from predict_fn.contract; the checks below make it a
two-way contract:
no 5xx; every status, content type, header and body as documented; every schema-valid
request answered 200 (positive_data_acceptance) and every schema-invalid one 400/413/422
(negative_data_rejection). Bounded: a fixed number of examples per operation (plus the
coverage phase's boundary cases), a hard time limit, loopback only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import report
from e2e.e2e_support import LocalApi, child_env
from support import ROOT

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 150)
# A hard bound on the run (not --max-time: that repeats fuzzing until the time is spent).
MAX_SECONDS = int(os.environ.get("FUZZ_SECONDS") or 180)
SEED = int(os.environ.get("FUZZ_SEED") or 20261126)


def test_openapi_document(reliability_api: LocalApi) -> None:
    """Served on the local API only, for exactly the template's routes."""
    response = requests.get(f"{reliability_api.base}/openapi.json", timeout=120)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.1")
    operations = {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }
    assert operations == {"POST /predict", "GET /health"}
    record = document["components"]["schemas"]["Record"]
    from predict_fn import contract

    assert set(record["properties"]) == set(contract.ALL_FIELDS)
    assert record["required"] == list(contract.REQUIRED)
    # A stage prefix is a route of the function's stage, not of the document.
    stage = requests.get(f"{reliability_api.base}/prod/openapi.json", timeout=30)
    assert stage.status_code == 404


def test_openapi_is_not_a_lambda_route() -> None:
    """The deployed code serves no /openapi.json and imports no pydantic (not in Lambda);
    tests/build proves the build output serves without it."""
    for source in (ROOT / "predict_fn").glob("*.py"):
        text = source.read_text()
        assert "/openapi" not in text and "pydantic" not in text, source


def test_responses_come_from_the_routes(reliability_api: LocalApi) -> None:
    """Powertools generated them from the annotations: predict_fn.bodies' types by name."""
    document = requests.get(f"{reliability_api.base}/openapi.json", timeout=120).json()
    predict = document["paths"]["/predict"]["post"]["responses"]
    assert predict["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Prediction"
    }
    assert set(predict) == {"200", "400", "413", "422", "500", "503"}
    health = document["components"]["schemas"]["Health"]
    assert set(health["required"]) == {"status", "loaded", "model", "load_ms"}


def test_schemathesis(reliability_api: LocalApi, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{reliability_api.base}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--request-timeout",
        "35",
        "--no-color",
        "--output-truncate",
        "false",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    env = child_env(
        SCHEMATHESIS_HOOKS=str(HERE / "fuzz_hooks.py"),
        # Hypothesis' example database stays in tmp, not in the repo.
        HYPOTHESIS_STORAGE_DIRECTORY=str(tmp_path / ".hypothesis"),
    )
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS,
        check=False,
    )
    output = done.stdout + done.stderr
    cases = re.search(r"(\d+) generated, (.+)", output)
    report(
        "fuzz",
        {
            "exit_code": done.returncode,
            "max_examples_per_operation": MAX_EXAMPLES,
            "seed": SEED,
            "test_cases": cases.group(0) if cases else None,
        },
    )
    assert done.returncode == 0, output[-12000:]
    assert cases and int(cases.group(1)) >= MAX_EXAMPLES, output[-4000:]
    assert "No issues found" in output, output[-4000:]
    # 5xx never happened (not_a_server_error would have failed), and the log agrees.
    log = reliability_api.log.read_text()
    assert "handler raised" not in log and "unhandled error" not in log
    assert json.dumps({"message": "Internal Server Error"}) not in log
