"""statemachine/batch.asl.yaml: a valid Distributed Map, wired to the template and the code.

The definition is checked as CloudFormation deploys it: DefinitionSubstitutions replaced
in the text (the template's values), then parsed, then validated by `asl-validator`
(the npm package issue 12 names), installed once into .cache/ and reused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from samtranslator.yaml_helper import yaml_parse
from support import ROOT

from predict_fn import config

TEMPLATE = ROOT / "template.yaml"
ASL_VALIDATOR = "asl-validator@4.0.0"
CACHE = ROOT / ".cache" / ASL_VALIDATOR.replace("@", "-")
BUCKET = "housets-artifacts-example"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:housets-serverless-batch"
# What the sample substitutions stand for (the rest are the parameters' defaults).
SAMPLES = {"AWS::Partition": "aws", "ArtifactBucket": BUCKET}
# Step Functions ends an Express child execution after five minutes.
EXPRESS_LIMIT_S = 300
STATE_INPUT_LIMIT = 256 * 1024
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


def machine() -> dict[str, Any]:
    resource: dict[str, Any] = template()["Resources"]["BatchStateMachine"]["Properties"]
    return resource


def definition_text() -> str:
    return (ROOT / machine()["DefinitionUri"]).read_text()


def substitutions(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """DefinitionSubstitutions as CloudFormation would pass them, for these parameters."""
    parameters = template()["Parameters"]
    values = {}
    for key, value in machine()["DefinitionSubstitutions"].items():
        if value == {"Fn::GetAtt": ["BatchFunction", "Arn"]}:
            values[key] = FUNCTION_ARN
            continue
        name = value["Ref"]
        chosen = {**SAMPLES, **(overrides or {})}
        values[key] = str(chosen[name] if name in chosen else parameters[name]["Default"])
    return values


def render(values: Mapping[str, str]) -> str:
    """CloudFormation's substitution: plain text, before the YAML is parsed."""
    text = definition_text()
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    return text


def deployed(overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load(render(substitutions(overrides)))
    return parsed


def score_rows(definition: Mapping[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = definition["States"]["ScoreRows"]
    return state


def score_batch(definition: Mapping[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = score_rows(definition)["ItemProcessor"]["States"]["ScoreBatch"]
    return state


# --- the definition and the template agree --------------------------------------------------


def test_every_placeholder_has_a_substitution_and_back() -> None:
    used = set(PLACEHOLDER.findall(definition_text()))
    assert used == set(machine()["DefinitionSubstitutions"])
    assert not PLACEHOLDER.search(render(substitutions()))


def test_the_state_machine_has_a_literal_name() -> None:
    """Its role grants StartExecution on its own ARN, built from this name (issue 12)."""
    name = machine()["Name"]
    assert name == {"Fn::Sub": "${AWS::StackName}-batch"}
    policy = json.dumps(machine()["Policies"])
    assert ":stateMachine:${AWS::StackName}-batch" in policy
    assert ":execution:${AWS::StackName}-batch/*" in policy


def test_reads_the_csv_named_at_start_with_its_header() -> None:
    state = score_rows(deployed())
    reader = state["ItemReader"]
    assert reader["Resource"] == "arn:aws:states:::s3:getObject"
    assert reader["ReaderConfig"] == {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}
    assert reader["Parameters"] == {"Bucket.$": "$.bucket", "Key.$": "$.key"}
    assert state["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "EXPRESS",
    }


def test_refuses_input_outside_the_input_prefix() -> None:
    """What the role may read, the first state checks: one clear error, not AccessDenied."""
    check = deployed()["States"]["CheckInput"]
    [rule] = check["Choices"]
    assert rule["And"] == [
        {"Variable": "$.bucket", "StringEquals": BUCKET},
        {"Variable": "$.key", "StringMatches": f"{config.BATCH_INPUT_PREFIX}*"},
    ]
    assert deployed()["States"][check["Default"]]["Type"] == "Fail"


def test_items_carry_their_position_and_batches_their_execution() -> None:
    """Exactly the event predict_fn/batch.py takes (issue 12's contract)."""
    state = score_rows(deployed())
    assert state["ItemSelector"] == {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"}
    batcher = state["ItemBatcher"]
    assert batcher["BatchInput"] == {"execution.$": "$$.Execution.Name"}
    assert batcher["MaxItemsPerBatch"] == config.BATCH_SIZE
    assert batcher["MaxInputBytesPerBatch"] < STATE_INPUT_LIMIT


@pytest.mark.parametrize(
    ("size", "concurrency", "tolerated"),
    [("1", "1", "0"), ("350", "10000", "100"), ("37", "12", "5")],
)
def test_batching_concurrency_and_tolerance_come_from_the_parameters(
    size: str, concurrency: str, tolerated: str
) -> None:
    state = score_rows(
        deployed(
            {
                "BatchSize": size,
                "BatchMaxConcurrency": concurrency,
                "BatchToleratedFailurePercent": tolerated,
            }
        )
    )
    # Numbers, not strings: Step Functions rejects "100" where it wants 100.
    assert state["ItemBatcher"]["MaxItemsPerBatch"] == int(size)
    assert state["MaxConcurrency"] == int(concurrency)
    assert state["ToleratedFailurePercentage"] == int(tolerated)


def test_a_batch_of_batch_size_rows_fits_the_byte_limit() -> None:
    """BATCH_SIZE rows as large as the sample event's stay under MaxInputBytesPerBatch, so
    the byte limit does not silently make batches smaller than the parameter says."""
    event = json.loads((ROOT / "events" / "batch_items.json").read_text())
    largest = max(len(json.dumps(item, separators=(",", ":"))) for item in event["Items"])
    assert (
        largest * config.BATCH_SIZE
        <= score_rows(deployed())["ItemBatcher"]["MaxInputBytesPerBatch"]
    )


def test_sample_event_is_what_the_map_sends() -> None:
    """events/batch_items.json: the ItemSelector's and BatchInput's keys, CSV text only,
    a missing value as "" (the item reader's empty field) and one bad field."""
    state = score_rows(deployed())
    event = json.loads((ROOT / "events" / "batch_items.json").read_text())
    assert set(event) == {"Items", "BatchInput"}
    assert set(event["BatchInput"]) == {
        k.removesuffix(".$") for k in state["ItemBatcher"]["BatchInput"]
    }
    header = list(event["Items"][0]["row"])
    indexes = []
    for item in event["Items"]:
        assert set(item) == {k.removesuffix(".$") for k in state["ItemSelector"]}
        assert list(item["row"]) == header
        assert all(isinstance(value, str) for value in item["row"].values())
        indexes.append(item["index"])
    assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))
    assert any("" in item["row"].values() for item in event["Items"])
    assert {"date", "zipcode", "city_full"} <= set(header)


def test_each_batch_invokes_the_batch_function_with_the_whole_batch() -> None:
    task = score_batch(deployed())
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"] == {"FunctionName": FUNCTION_ARN, "Payload.$": "$"}
    # The handler's summary, as predict_fn/batch.py returns it.
    assert task["ResultSelector"] == {
        key + ".$": f"$.Payload.{key}" for key in ("rows", "predicted", "errors", "part")
    }


def test_retries_back_off_and_fit_in_an_express_child() -> None:
    task = score_batch(deployed())
    retriers = {error: r for r in task["Retry"] for error in r["ErrorEquals"]}
    assert {
        "Lambda.TooManyRequestsException",
        "Lambda.ServiceException",
        "States.TaskFailed",
    } <= set(retriers)
    assert all(r["BackoffRate"] > 1 for r in task["Retry"])
    # A function fault retried to the end: every attempt may run to the function's timeout.
    faults = retriers["States.TaskFailed"]
    timeout = template()["Resources"]["BatchFunction"]["Properties"]["Timeout"]
    waits = sum(
        faults["IntervalSeconds"] * faults["BackoffRate"] ** i for i in range(faults["MaxAttempts"])
    )
    assert (1 + faults["MaxAttempts"]) * timeout + waits <= EXPRESS_LIMIT_S


def test_results_and_parts_stay_under_the_runs_output_prefix() -> None:
    definition = deployed()
    plan = definition["States"]["Plan"]["Parameters"]
    run_prefix = f"States.Format('{config.BATCH_OUTPUT_PREFIX}{{}}/'"
    assert plan["output.$"].startswith(run_prefix)
    assert plan["results.$"].startswith(f"States.Format('{config.BATCH_OUTPUT_PREFIX}{{}}/")
    assert "$$.Execution.Name" in plan["output.$"] and "$$.Execution.Name" in plan["results.$"]
    writer = score_rows(definition)["ResultWriter"]
    assert writer["Resource"] == "arn:aws:states:::s3:putObject"
    assert writer["Parameters"] == {"Bucket": BUCKET, "Prefix.$": "$.results"}
    # The function's summaries only: NONE would copy every batch's rows (customer data).
    assert writer["WriterConfig"]["Transformation"] == "COMPACT"
    done = definition["States"]["Done"]
    assert done["End"] is True
    assert done["Parameters"]["parts.$"] == "States.Format('s3://{}/{}parts/', $.bucket, $.output)"


# --- asl-validator ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def asl_validator() -> Path:
    """The validator's CLI, installed once per checkout (npm registry) and then reused."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are needed to run asl-validator")
    cli = CACHE / "node_modules" / ".bin" / "asl-validator"
    # Node trusts only its own CA list: a machine whose clients trust a proxy's CA through
    # SSL_CERT_FILE (as pip and uv do here) needs it handed to npm too.
    env = {"npm_config_update_notifier": "false", **os.environ}
    if "NODE_EXTRA_CA_CERTS" not in env and "SSL_CERT_FILE" in env:
        env["NODE_EXTRA_CA_CERTS"] = env["SSL_CERT_FILE"]
    if not cli.exists():
        installed = subprocess.run(
            [
                "npm",
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(CACHE),
                ASL_VALIDATOR,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert installed.returncode == 0, installed.stderr[-2000:]
    return cli


def validate(
    cli: Path, definition: Mapping[str, Any], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    # As deployed: CloudFormation turns a YAML definition into JSON for Step Functions.
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(
        [str(cli), "--json-path", str(path)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "overrides",
    [{}, {"BatchSize": "1", "BatchMaxConcurrency": "10000", "BatchToleratedFailurePercent": "100"}],
    ids=["defaults", "limits"],
)
def test_definition_passes_asl_validator(
    asl_validator: Path, overrides: dict[str, str], tmp_path: Path
) -> None:
    result = validate(asl_validator, deployed(overrides), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


def test_asl_validator_rejects_what_step_functions_would(
    asl_validator: Path, tmp_path: Path
) -> None:
    """The check above can fail: a quoted number (what a JSON-quoted placeholder gives)."""
    definition = deployed()
    score_rows(definition)["MaxConcurrency"] = "100"
    result = validate(asl_validator, definition, tmp_path)
    assert result.returncode == 1
    assert "MaxConcurrency" in result.stdout + result.stderr
