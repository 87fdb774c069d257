"""Issue 13: the README's `sam logs` commands, run as written against the handler's own lines.

Two execution environments (local.runner containers, the host `make invoke` uses) each
cold-start and serve a prediction, a rejected request and /health. Every line each one
writes, which is what Lambda sends to CloudWatch, becomes one event in moto's CloudWatch
Logs, in the log group template.yaml names, one stream per environment. moto's
CloudFormation holds a stack with the function, so SAM CLI resolves `-n PredictFunction
--stack-name ...` as it does in AWS (AWS_ENDPOINT_URL points all its clients at moto).
Each command's output must be exactly the lines its README comment promises.

moto matches a quoted term such as '"artifact"' as a substring, and unquoted words as
substrings too; any other pattern (JSON `{ $... }`, `[...]`, `?a ?b`, `-a`) matches
every event, so a README filter of that kind fails here instead of passing unchecked.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import select
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from samcli.yamlhelper import yaml_parse
from support import ROOT

from local import sam
from local.runner import Container, Layout
from local.s3 import (
    BUCKET,
    FAKE_CREDENTIALS,
    MotoServer,
    client,
    local_s3_env_vars,
    moto_server,
    seed,
    stop,
)

TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"
REQUESTS = ["predict_single.json", "invalid_missing_required.json", "health.json"]
ARTIFACTS = ["freq_encoder", "manifest", "model", "target_encoder", "train_features"]
ENVIRONMENTS = 2
TAIL_TIMEOUT = 60.0


def operate_commands() -> list[tuple[list[str], str]]:
    """(argv, comment) of each line of the bash block that opens README's "## Operate"."""
    section = (ROOT / "README.md").read_text().split("\n## Operate\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", re.split(r"\n##+ ", section, maxsplit=1)[0], re.S)
    assert block, "README's Operate section lost its bash block"
    found = []
    for line in block.group(1).splitlines():
        command, _, comment = re.sub(r"\s+#\s*", "\0", line, count=1).partition("\0")
        found.append((shlex.split(command), comment))
    return found


def sam_logs_commands() -> list[list[str]]:
    return [argv for argv, _ in operate_commands() if argv[:4] == ["uv", "run", "sam", "logs"]]


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def is_artifact(line: Any) -> bool:
    return isinstance(line, dict) and line.get("message") == "artifact"


def is_request(line: Any) -> bool:
    return isinstance(line, dict) and line.get("message") == "request"


def is_emf(line: Any) -> bool:
    return isinstance(line, dict) and "CloudWatchMetrics" in line.get("_aws", {})


# What each README filter must select (by meaning, not by text), and its README comment.
SELECTS: dict[str | None, tuple[str, Callable[[Any], bool]]] = {
    None: ("", lambda line: True),
    '"artifact"': ("model loads", is_artifact),
    '"_aws"': ("EMF metrics", is_emf),
}


def parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class LogGroup:
    moto: MotoServer
    stack: str
    events: list[tuple[str, Any]]  # (stream, parsed line), in timestamp order

    def selected(self, argv: list[str]) -> list[tuple[str, Any]]:
        keep = SELECTS[option(argv, "--filter")][1]
        return [(stream, line) for stream, line in self.events if keep(line)]

    def printed(self, output: str) -> list[tuple[str, Any]]:
        """`sam logs` text output as (stream, parsed message): each event is "STREAM TIME
        MESSAGE", a JSON message re-indented over several lines."""
        streams = "|".join(re.escape(stream) for stream in dict(self.events))
        starts = list(re.finditer(rf"^({streams}) \S+ ", output, re.M))
        ends = [match.start() for match in starts[1:]] + [len(output)]
        return [
            (match.group(1), parsed(output[match.end() : end].rstrip("\n")))
            for match, end in zip(starts, ends[: len(starts)], strict=True)
        ]


def serve(layout: Layout, log: Path) -> list[str]:
    """One environment's cold start and requests: the lines it wrote, as CloudWatch gets them."""
    expected = json.loads((EVENTS / "expected.json").read_text())
    with log.open("w") as sink:
        container = Container(layout, stderr=sink)
        try:
            assert container.first["ok"], container.first
            for name in REQUESTS:
                event = json.loads((EVENTS / name).read_text())
                reply = container.invoke(event, str(uuid.uuid4()), time.monotonic() + 60)
                assert json.loads(reply["payload"])["statusCode"] == expected[name], reply
        finally:
            container.close()  # the host exits, flushing the function's stdout
    return [line for line in log.read_text().splitlines() if line.strip()]  # no empty events


def aws(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=FAKE_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def deploy(endpoint: str, stack: str) -> str:
    """A stack with what `sam logs -n PredictFunction` resolves, as template.yaml writes it:
    the function (its name and LoggingConfig) and its log group. Returns the group's name."""
    template = yaml_parse(TEMPLATE.read_text())
    resources = template["Resources"]
    function = resources["PredictFunction"]["Properties"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "PredictFunctionLogGroup"}
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    role = {"Version": "2012-10-17", "Statement": [{**trust, "Action": "sts:AssumeRole"}]}
    body = {
        "Parameters": {"LogLevel": template["Parameters"]["LogLevel"]},
        "Resources": {
            "PredictFunctionLogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": resources["PredictFunctionLogGroup"]["Properties"][
                        "LogGroupName"
                    ]
                },
            },
            "PredictFunctionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": role},
            },
            "PredictFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": function["FunctionName"],
                    "LoggingConfig": function["LoggingConfig"],
                    "Runtime": function["Runtime"],
                    "Handler": function["Handler"],
                    "Role": {"Fn::GetAtt": ["PredictFunctionRole", "Arn"]},
                    "Code": {"ZipFile": "def lambda_handler(event, context): pass"},
                },
            },
        },
    }
    cloudformation = aws("cloudformation", endpoint)
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(body))
    summaries = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    made = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
    # SAM CLI reads the group from the function's LoggingConfig, which moto's Lambda drops:
    # it then falls back to /aws/lambda/<name>, the same group only because the template
    # names it so.
    assert made["PredictFunctionLogGroup"] == f"/aws/lambda/{made['PredictFunction']}"
    return str(made["PredictFunctionLogGroup"])


@pytest.fixture(scope="module")
def log_group(
    trained_artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LogGroup]:
    (stack,) = {option(argv, "--stack-name") for argv, _ in operate_commands()}
    assert stack
    scratch = tmp_path_factory.mktemp("sam-logs")
    with moto_server() as moto:
        seed(client(moto.endpoint), BUCKET, trained_artifacts)
        env_vars = local_s3_env_vars(json.loads((EVENTS / "env.json").read_text()), moto.endpoint)
        layout = Layout.of(
            sam.function_config(TEMPLATE, "PredictFunction", env_vars), isolated=False
        )
        streams = {
            f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}": serve(
                layout, scratch / f"environment-{n}.log"
            )
            for n in range(ENVIRONMENTS)
        }
        group = deploy(moto.endpoint, stack)
        logs = aws("logs", moto.endpoint)
        # Inside sam logs' default window (the last 10 minutes), one millisecond apart.
        at = int(time.time() * 1000) - sum(map(len, streams.values()))
        events = []
        for stream, lines in streams.items():
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            batch = [{"timestamp": at + i, "message": line} for i, line in enumerate(lines)]
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
            at += len(lines)
            events += [(stream, parsed(line)) for line in lines]
        yield LogGroup(moto, stack, events)


def sam_cli(argv: list[str], log_group: LogGroup, home: Path) -> dict[str, Any]:
    """A README `uv run sam ...` line as subprocess arguments: only moto's endpoint and fake
    credentials in its environment, no telemetry, and a home of its own (no AWS profile)."""
    assert argv[:3] == ["uv", "run", "sam"], argv
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_ENDPOINT_URL": log_group.moto.endpoint,
        "SAM_CLI_TELEMETRY": "0",
        **FAKE_CREDENTIALS,
    }
    return {"args": [sys.executable, "-m", "samcli", *argv[3:]], "cwd": ROOT, "env": env}


def run(argv: list[str], log_group: LogGroup, home: Path) -> str:
    """The command's stdout. --tail never ends: it is stopped once it has printed all the
    events expected, or has printed nothing more for TAIL_TIMEOUT seconds."""
    if "--tail" not in argv:
        done = subprocess.run(
            **sam_cli(argv, log_group, home), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-4000:]
        return done.stdout
    process = subprocess.Popen(**sam_cli(argv, log_group, home), stdout=subprocess.PIPE)
    assert process.stdout is not None
    decoder, output = codecs.getincrementaldecoder("utf-8")(), ""
    try:
        while log_group.printed(output) != log_group.selected(argv):
            ready, _, _ = select.select([process.stdout], [], [], TAIL_TIMEOUT)
            chunk = os.read(process.stdout.fileno(), 1 << 16) if ready else b""
            if not chunk:
                break
            output += decoder.decode(chunk)
    finally:
        stop(process)
    return output


def test_the_filters_checked_are_the_readmes_with_its_comments() -> None:
    documented = {
        option(argv, "--filter"): comment
        for argv, comment in operate_commands()
        if argv[:4] == ["uv", "run", "sam", "logs"]
    }
    assert documented == {name: comment for name, (comment, _) in SELECTS.items()}


@pytest.mark.parametrize("argv", sam_logs_commands(), ids=shlex.join)
def test_each_readme_sam_logs_command_prints_what_its_comment_says(
    argv: list[str], log_group: LogGroup, tmp_path: Path
) -> None:
    printed = log_group.printed(run(argv, log_group, tmp_path))
    assert printed == log_group.selected(argv)
    streams = list(dict(log_group.events))
    lines = [line for _, line in printed]
    if option(argv, "--filter") == '"artifact"':
        for stream in streams:
            # One line per artifact, all in the environment's init, before its first request.
            loaded = [line["artifact"] for s, line in printed if s == stream]
            assert sorted(a["name"] for a in loaded) == ARTIFACTS
            assert all(a["key"] and {"etag", "sha256", "digest_ok"} <= a.keys() for a in loaded)
            own = [line for s, line in log_group.events if s == stream]
            first_request = next(i for i, line in enumerate(own) if is_request(line))
            assert max(i for i, line in enumerate(own) if is_artifact(line)) < first_request
    elif option(argv, "--filter") == '"_aws"':
        counts: dict[str, float] = {}
        for line in lines:
            for directive in line["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    counts[metric["Name"]] = counts.get(metric["Name"], 0) + line[metric["Name"]][0]
        assert counts["Requests"] == len(streams) * len(REQUESTS)
        assert counts["ColdStart"] == len(streams)
        assert counts["ValidationErrors"] == len(streams)
        assert {"Latency", "RecordsPredicted", "ModelLoadTime"} <= counts.keys()
    else:
        messages = {line.get("message") for line in lines if isinstance(line, dict)}
        # Every line, including those neither filter selects.
        assert {"request", "rejected request", "model loaded"} <= messages


def test_sam_list_resources_shows_the_alarms_and_the_alias(log_group: LogGroup, tmp_path: Path):
    """The README's `sam list resources`: the template's resources (SAM translates it,
    reading managed policies from moto's IAM), with the stack's physical ids where deployed."""
    ((argv, comment),) = [c for c in operate_commands() if c[0][3:5] == ["list", "resources"]]
    assert comment == "alarms, alias"
    table = run(argv, log_group, tmp_path).split("Logical ID", 1)[1].splitlines()[1:]
    rows: dict[str, str] = {}
    for line in table:
        if not line.strip() or line.startswith("-"):  # rules
            continue
        if line.startswith(" "):  # a long physical id wraps onto the next line
            rows[list(rows)[-1]] += line.strip()
        else:
            logical, physical = line.split()
            rows[logical] = physical
    resources = yaml_parse(TEMPLATE.read_text())["Resources"]
    alarms = {name for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    alias = resources["PredictFunction"]["Properties"]["AutoPublishAlias"]
    assert alarms and alarms <= rows.keys()
    assert rows[f"PredictFunctionAlias{alias}"] == "-"  # in the template, not in moto's stack
    assert rows["PredictFunction"] == f"{log_group.stack}-predict"
