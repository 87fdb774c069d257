"""template.yaml and samconfig.toml: lint-clean, least privilege, defaults in step with the code.

Three views of the template are checked, because each catches what the others miss:
- `sam validate --lint` and `cfn-lint` on the SAM source (the acceptance commands);
- the CloudFormation that the SAM transform produces for several parameter sets,
  linted again (only this view sees e.g. a dependency cycle through the resources
  SAM generates for AutoPublishAlias + DeploymentPreference);
- properties of that output with parameters, conditions and intrinsics resolved by
  SAM CLI's own resolver (the one `sam local` uses), for the IAM, API and alarm checks.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint
from samcli.lib.intrinsic_resolver.intrinsic_property_resolver import IntrinsicResolver
from samcli.lib.intrinsic_resolver.intrinsics_symbol_table import IntrinsicsSymbolTable
from samcli.lib.providers.sam_base_provider import SamBaseProvider
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse
from support import ROOT

from predict_fn import config, drift

TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"
BIN = Path(sys.executable).parent
BUCKET = "housets-artifacts-example"
PARTITION = "aws"
FUNCTION = "PredictFunction"
BATCH_FUNCTION = "BatchFunction"
STATE_MACHINE = "BatchStateMachine"
FUNCTIONS = (FUNCTION, BATCH_FUNCTION)

# AWS-managed policies the function roles may carry; neither grants any S3 action.
ALLOWED_MANAGED = {
    f"arn:{PARTITION}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    f"arn:{PARTITION}:iam::aws:policy/AWSXrayWriteOnlyAccess",  # added by SAM for Tracing
}

# Every switch off, and every switch on (issue 5's "both parameter sets").
OFF: dict[str, str] = {
    "ArtifactBucket": BUCKET,
    "AlarmsEnabled": "false",
    "DeploymentType": "AllAtOnce",
    "ColdStart": "None",
    "TracingMode": "PassThrough",
    "ApiAuth": "NONE",
    "DriftAlarmPercent": "0",
}
ON: dict[str, str] = {
    "ArtifactBucket": BUCKET,
    "AlarmsEnabled": "true",
    "AlarmEmail": "oncall@example.com",
    "DeploymentType": "Canary10Percent5Minutes",
    "ColdStart": "2",
    "TracingMode": "Active",
    "ApiAuth": "IAM",
    "CorsAllowedOrigins": "https://app.example.com,https://admin.example.com",
    "ModelVersion": "2026-11-26",
    "ModelSha256": "0" * 64,
    "ManifestVersionId": "Wq1.Ab5OZW5kz7MHPzpVQhJ8S6CDNtQ7",
    "DriftAlarmPercent": "5",
    "BatchSize": "150",
    "BatchMaxConcurrency": "40",
    "BatchToleratedFailurePercent": "2",
}
PARAMETER_SETS = {"defaults": {"ArtifactBucket": BUCKET}, "off": OFF, "on": ON}
# Issue 10's ceiling: a deployer should not face more choices than this.
MAX_PARAMETERS = 24
# Environment variable → (template parameter, its default). None: a literal value.
ENVIRONMENT: dict[str, tuple[str | None, Any]] = {
    "S3_BUCKET": ("ArtifactBucket", None),
    "MODEL_VERSION": ("ModelVersion", ""),
    "MODEL_SHA256": ("ModelSha256", ""),
    "MANIFEST_VERSION_ID": ("ManifestVersionId", ""),
    "MAX_RECORDS": ("MaxRecords", 1000),
    "MAX_EXPLAIN_RECORDS": (None, str(config.MAX_EXPLAIN_RECORDS)),
    "AWS_ENDPOINT_URL_S3": (None, ""),
    "OMP_NUM_THREADS": (None, "1"),
    "POWERTOOLS_SERVICE_NAME": (None, {"Ref": "AWS::StackName"}),
    "POWERTOOLS_METRICS_NAMESPACE": ("MetricsNamespace", "HouseTS"),
    "LOG_EVENT": ("LogEvent", "false"),
    "POWERTOOLS_TRACE_DISABLED": (None, {"Fn::If": ["TracingActive", "false", "true"]}),
}
# What the handler reads from its environment (config.load), all of it. ARTIFACT_DIR is
# the one the template does not set: Lambda's /tmp is the only choice, a code default.
HANDLER_ENVIRONMENT = {
    "S3_BUCKET",
    "MODEL_VERSION",
    "MODEL_SHA256",
    "MANIFEST_VERSION_ID",
    "ARTIFACT_DIR",
    "MAX_RECORDS",
    "MAX_EXPLAIN_RECORDS",
    "LOG_EVENT",
}
CODE_DEFAULT_ONLY = {"ARTIFACT_DIR"}
# The batch function's variables: the model's, as the predict function has them, and its
# own service name; no request limits (a batch is not a request) and no LOG_EVENT.
BATCH_ENVIRONMENT = {
    "S3_BUCKET",
    "MODEL_VERSION",
    "MODEL_SHA256",
    "MANIFEST_VERSION_ID",
    "AWS_ENDPOINT_URL_S3",
    "OMP_NUM_THREADS",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_TRACE_DISABLED",
}
# The five keys the functions read, in the unversioned tree (config.py's one layout).
LAYOUT_KEYS = (config.MANIFEST_KEY, *config.ARTIFACTS.values())
READ_ACTIONS = {"s3:GetObject", "s3:GetObjectVersion"}
# What each function's role may do besides reading the model: (actions, resources).
OTHER_GRANTS: dict[str, list[tuple[set[str], set[str]]]] = {
    FUNCTION: [],
    BATCH_FUNCTION: [
        ({"s3:PutObject"}, {f"arn:{PARTITION}:s3:::{BUCKET}/{config.BATCH_OUTPUT_PREFIX}*"})
    ],
}
# Step Functions' log delivery actions: none of them takes a narrower resource than "*".
LOG_DELIVERY = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
XRAY_POLICY = f"arn:{PARTITION}:iam::aws:policy/AWSXrayWriteOnlyAccess"
# The alarms CodeDeploy watches while it shifts traffic: deployment health only.
ROLLBACK_ALARMS = {
    "FunctionErrorsAlarm",
    "FunctionThrottlesAlarm",
    "FunctionDurationAlarm",
    "Api5xxAlarm",
}
DRIFT_ALARMS = {f"{metric}Alarm" for metric in drift.METRICS}


# --- helpers -------------------------------------------------------------------------


def sam_source() -> dict[str, Any]:
    """The SAM template with short tags turned into their long form (a fresh copy)."""
    return yaml_parse(TEMPLATE.read_text())


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@cache
def _translated(items: tuple[tuple[str, str], ...]) -> str:
    template = sam_source()
    # The transform wants S3 URIs; `sam build` / `sam package` would put them there.
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = "s3://deployment-bucket/artifact.zip"
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name="us-east-1"))
    output = translator.translate(template, dict(items), get_managed_policy_map=lambda: {})
    return json.dumps(output)


def translate(parameters: Mapping[str, str]) -> dict[str, Any]:
    """The CloudFormation template the SAM transform produces for these parameter values."""
    return json.loads(_translated(tuple(sorted(parameters.items()))))


class Resolved:
    """The transform's output seen through SAM CLI's own intrinsic resolver.

    Parameter values are merged the way `sam local` merges them (pseudo parameters,
    defaults, overrides), then made strings, as CloudFormation passes every parameter
    (a Number default would otherwise compare unequal to "0" in a condition). SAM's
    resolver turns `AWS::NoValue` into None and then fails on it inside Fn::If, so it
    is given a marker instead, and values that resolve to the marker are dropped, which
    is what CloudFormation does with them. A function's `GetAtt Arn` is built from its
    FunctionName, which the symbol table reads as written (a Fn::Sub here), so it is
    given the names resolved. Properties that only exist once deployed (a version's
    GetAtt) are not resolved here.
    """

    NO_VALUE = "<AWS::NoValue>"

    def __init__(self, parameters: Mapping[str, str]) -> None:
        self.template = translate(parameters)
        values = SamBaseProvider._get_parameter_values(self.template, dict(parameters))
        translator = {**{name: str(v) for name, v in values.items()}, "AWS::NoValue": self.NO_VALUE}
        symbols = IntrinsicsSymbolTable(template=self.template, logical_id_translator=translator)
        self.resolver = IntrinsicResolver(self.template, symbols)
        named = copy.deepcopy(self.template)
        for resource in named["Resources"].values():
            if resource["Type"] == "AWS::Lambda::Function":
                resource["Properties"]["FunctionName"] = self(
                    resource["Properties"]["FunctionName"]
                )
        symbols = IntrinsicsSymbolTable(template=named, logical_id_translator=translator)
        self.resolver = IntrinsicResolver(self.template, symbols)

    def __call__(self, value: Any) -> Any:
        return self._drop(self.resolver.intrinsic_property_resolver(value, ignore_errors=False))

    def _drop(self, value: Any) -> Any:
        if value == self.NO_VALUE:
            return None
        if isinstance(value, list):
            return [self._drop(v) for v in value if v != self.NO_VALUE]
        if isinstance(value, dict):
            return {k: self._drop(v) for k, v in value.items() if v != self.NO_VALUE}
        return value

    def condition(self, name: str) -> bool:
        value = self(self.template["Conditions"][name])
        assert isinstance(value, bool), (name, value)
        return value

    def resource(self, logical_id: str) -> dict[str, Any]:
        return self.template["Resources"][logical_id]


@dataclass(frozen=True)
class Role:
    """An execution role as deployed: the AWS-managed policies it carries, and every
    statement it gets, inline or from a managed policy of this template."""

    managed: set[str]
    statements: list[dict[str, Any]]


def role_of(logical_id: str, parameters: Mapping[str, str]) -> Role:
    """The role SAM generates for a function or state machine, with these parameters."""
    resolved = Resolved(parameters)
    properties = resolved.resource(logical_id)["Properties"]
    role_ref = properties.get("Role") or properties["RoleArn"]
    role = resolved(resolved.resource(role_ref["Fn::GetAtt"][0])["Properties"])
    managed, found = set(), statements(role)
    for arn in role.get("ManagedPolicyArns", []):
        own = resolved.template["Resources"].get(arn)
        if own is None:
            managed.add(arn)
            continue
        assert own["Type"] == "AWS::IAM::ManagedPolicy", arn
        found.extend(as_list(resolved(own["Properties"]["PolicyDocument"])["Statement"]))
    return Role(managed, found)


def s3_arn(key: str) -> str:
    return f"arn:{PARTITION}:s3:::{BUCKET}/{key}"


def iam_allows(pattern: str, arn: str) -> bool:
    """IAM resource matching: `*` is any run of characters ('/' included), `?` one."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, arn) is not None


def granted_resources(parameters: Mapping[str, str], logical_id: str = FUNCTION) -> set[str]:
    return {r for s in role_of(logical_id, parameters).statements for r in as_list(s["Resource"])}


def grants(role: Role) -> dict[str, set[str]]:
    """Action → every resource the role's statements allow it on (all Allow, no Not*)."""
    found: dict[str, set[str]] = {}
    for statement in role.statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in as_list(statement["Action"]):
            found.setdefault(action, set()).update(as_list(statement["Resource"]))
    return found


def statements(role: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role.get("Policies", []):
        document = policy["PolicyDocument"]
        statement = document["Statement"]
        found.extend(statement if isinstance(statement, list) else [statement])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_parameter_values(template: Mapping[str, Any], values: Mapping[str, str]) -> list[str]:
    """What CloudFormation would reject: unknown names and constraint violations."""
    problems = []
    declared = template["Parameters"]
    for name, value in values.items():
        spec = declared.get(name)
        if spec is None:
            problems.append(f"{name}: not a template parameter")
            continue
        allowed = [str(v) for v in spec.get("AllowedValues", [])]
        if allowed and value not in allowed:
            problems.append(f"{name}={value}: not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, value):
            problems.append(f"{name}={value}: does not match {pattern}")
        if spec["Type"] == "Number":
            number = float(value)
            if "MinValue" in spec and number < float(spec["MinValue"]):
                problems.append(f"{name}={value}: below {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                problems.append(f"{name}={value}: above {spec['MaxValue']}")
    return problems


def samconfig_overrides(env: str) -> dict[str, str]:
    deploy = tomllib.loads(SAMCONFIG.read_text())[env]["deploy"]["parameters"]
    overrides = deploy["parameter_overrides"]
    items = overrides if isinstance(overrides, list) else overrides.split()
    return dict(item.split("=", 1) for item in items)


def template_defaults() -> dict[str, str]:
    return {
        name: str(spec["Default"])
        for name, spec in sam_source()["Parameters"].items()
        if "Default" in spec
    }


# --- SAM CLI's resolver: an internal API, pinned by uv.lock; a change must show here ---


def test_sam_resolver_resolves_what_these_tests_rely_on() -> None:
    resolved = Resolved({"ArtifactBucket": BUCKET, "ApiAuth": "IAM", "CorsAllowedOrigins": "a,b"})
    sub = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ArtifactBucket}/models/*/model.pkl"}
    assert resolved(sub) == f"arn:aws:s3:::{BUCKET}/models/*/model.pkl"
    assert resolved({"Ref": "MaxRecords"}) == "1000"
    assert resolved({"Fn::Join": ["+", {"Ref": "CorsAllowedOrigins"}]}) == "a+b"
    no_value = {"Ref": "AWS::NoValue"}
    assert resolved({"Fn::If": ["UseIamAuth", ["x"], no_value]}) == ["x"]
    assert resolved({"k": {"Fn::If": ["TracingActive", "x", no_value]}, "j": 1}) == {"j": 1}
    assert resolved([{"Fn::If": ["TracingActive", "x", no_value]}, "y"]) == ["y"]
    assert resolved({"Ref": "FunctionErrorsAlarm"}) == "FunctionErrorsAlarm"
    assert resolved({"Ref": "ArtifactReadPolicy"}) == "ArtifactReadPolicy"  # role_of relies on it
    assert resolved.condition("UseIamAuth") is True
    assert resolved.condition("NotifyByEmail") is False  # Fn::And over a Condition
    assert resolved.condition("HasManifestPin") is False
    assert resolved.condition("UseSnapStart") is True
    assert resolved.condition("HasProvisionedConcurrency") is False  # Fn::Not over Fn::Or
    assert resolved.condition("CreateDriftAlarms") is True  # "10" is not "0"


# --- the acceptance commands ---------------------------------------------------------


def test_sam_validate_lint() -> None:
    result = run(BIN / "sam", "validate", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_cfn_lint_has_no_errors_or_warnings() -> None:
    result = run(BIN / "cfn-lint", TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("name", ["off", "on"])
def test_sam_validate_and_cfn_lint_with_switches(name: str, tmp_path: Path) -> None:
    """The same two commands on the template with every optional feature off / on."""
    template = sam_source()
    for parameter, value in PARAMETER_SETS[name].items():
        template["Parameters"][parameter]["Default"] = value
    variant = tmp_path / f"template-{name}.json"
    variant.write_text(json.dumps(template, indent=1))
    for command in (
        (BIN / "sam", "validate", "--lint", "-t", variant),
        (BIN / "cfn-lint", variant),
    ):
        result = run(*command, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(PARAMETER_SETS))
def test_transformed_template_lints_clean(name: str) -> None:
    """cfn-lint on SAM's output: catches circular dependencies among generated resources.

    W2001 (unused parameter) is expected for DeploymentType only: the transform
    resolves it into the CodeDeploy group, exactly as CloudFormation does at deploy.
    """
    output = json.dumps(translate(PARAMETER_SETS[name]))
    matches = lint(output, config=ManualArgs(regions=["us-east-1"], ignore_checks=["W2001"]))
    assert not matches, "\n".join(str(m) for m in matches)
    unused = lint(output, config=ManualArgs(regions=["us-east-1"], include_checks=["W2001"]))
    assert {m.rule.id for m in unused} <= {"W2001"}
    assert all("DeploymentType" in m.message for m in unused)


# --- least privilege ------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_policies_are_documents_of_this_template(function: str) -> None:
    """No SAM policy template (S3ReadPolicy grants the whole bucket) and no AWS-managed
    policy: inline documents, or a managed policy this template defines."""
    resources = sam_source()["Resources"]
    properties = resources[function]["Properties"]
    assert "Role" not in properties
    for policy in properties["Policies"]:
        if set(policy) == {"Ref"}:
            assert resources[policy["Ref"]]["Type"] == "AWS::IAM::ManagedPolicy"
        else:
            assert set(policy) == {"Version", "Statement"}, policy
    text = json.dumps(properties)
    for template_name in ("S3ReadPolicy", "S3CrudPolicy", "S3FullAccessPolicy", "AmazonS3"):
        assert template_name not in text


def test_both_functions_read_through_one_policy() -> None:
    """The artifact grant is written once: the two roles cannot drift apart."""
    resources = sam_source()["Resources"]
    for function in FUNCTIONS:
        assert {"Ref": "ArtifactReadPolicy"} in resources[function]["Properties"]["Policies"]
    document = resources["ArtifactReadPolicy"]["Properties"]["PolicyDocument"]
    assert [s["Sid"] for s in document["Statement"]] == ["ReadModelArtifacts"]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("name", sorted(PARAMETER_SETS))
def test_role_reads_only_the_artifact_keys(function: str, name: str) -> None:
    parameters = PARAMETER_SETS[name]
    role = role_of(function, parameters)
    assert role.managed <= ALLOWED_MANAGED

    pinned = bool(parameters.get("ManifestVersionId"))
    allowed_actions = {"s3:GetObject"} | ({"s3:GetObjectVersion"} if pinned else set())
    # Each layout key, unversioned and for any version: derived from config.py.
    expected_resources = {s3_arn(k) for k in LAYOUT_KEYS} | {
        s3_arn(config.versioned(k, "*")) for k in LAYOUT_KEYS
    }
    granted: set[str] = set()
    others = []
    for statement in role.statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = set(as_list(statement["Action"]))
        resources = set(as_list(statement["Resource"]))
        if actions & READ_ACTIONS:
            assert actions <= allowed_actions, actions
            assert resources == expected_resources
            granted |= actions
        else:
            others.append((actions, resources))
    assert "s3:GetObject" in granted
    # s3:GetObjectVersion exists only to make the manifest pin work, and only then.
    assert ("s3:GetObjectVersion" in granted) == pinned
    assert others == OTHER_GRANTS[function]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("version", ["", "2026-11-26", "v3.1_rc-2"])
def test_role_allows_every_key_the_function_reads(function: str, version: str) -> None:
    settings = config.load({"S3_BUCKET": BUCKET, "MODEL_VERSION": version})
    keys = [settings.manifest.key, *(settings.key(name) for name in config.ARTIFACTS)]
    patterns = granted_resources({"ArtifactBucket": BUCKET, "ModelVersion": version}, function)
    for key in keys:
        assert any(iam_allows(p, s3_arn(key)) for p in patterns), key


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(
    "key",
    [
        "models/report.html",
        "models/v1/notes.txt",
        "processed/other.csv",
        "raw/HouseTS.csv",
        "data/models/model.pkl",
        "manifest.json",
        f"{config.BATCH_INPUT_PREFIX}portfolio.csv",
        "batch/outputs/other.csv",
    ],
)
def test_role_allows_nothing_else_in_the_bucket(function: str, key: str) -> None:
    patterns = granted_resources(ON, function)
    assert not any(iam_allows(p, s3_arn(key)) for p in patterns)
    assert not any(iam_allows(p, f"arn:aws:s3:::other-bucket/{LAYOUT_KEYS[0]}") for p in patterns)


def test_batch_function_may_write_its_parts() -> None:
    """A part as predict_fn/batch.py names it (<output>/<execution>/parts/<row>.csv)."""
    part = f"{config.BATCH_OUTPUT_PREFIX}housets-2026-11-30/parts/000000000200.csv"
    assert any(iam_allows(p, s3_arn(part)) for p in granted_resources(ON, BATCH_FUNCTION))


@pytest.mark.parametrize("name", sorted(PARAMETER_SETS))
def test_state_machine_role_is_least_privilege(name: str) -> None:
    """Exactly what a Distributed Map over one CSV needs (issue 12), and nothing more."""
    parameters = PARAMETER_SETS[name]
    resolved = Resolved(parameters)
    role = role_of(STATE_MACHINE, parameters)
    tracing = parameters.get("TracingMode") == "Active"
    assert role.managed == ({XRAY_POLICY} if tracing else set())

    machine = resolved(resolved.resource(STATE_MACHINE)["Properties"]["StateMachineName"])
    region, account = resolved({"Ref": "AWS::Region"}), resolved({"Ref": "AWS::AccountId"})
    states = f"arn:{PARTITION}:states:{region}:{account}"
    function_arn = resolved({"Fn::GetAtt": [BATCH_FUNCTION, "Arn"]})
    output = s3_arn(f"{config.BATCH_OUTPUT_PREFIX}*")
    assert grants(role) == {
        "lambda:InvokeFunction": {function_arn},
        # The item reader (input) and the result writer (output, a multipart upload).
        "s3:GetObject": {s3_arn(f"{config.BATCH_INPUT_PREFIX}*"), output},
        "s3:PutObject": {output},
        "s3:ListMultipartUploadParts": {output},
        "s3:AbortMultipartUpload": {output},
        # Child executions of itself: its own literal name, not a generated one.
        "states:StartExecution": {f"{states}:stateMachine:{machine}"},
        "states:DescribeExecution": {f"{states}:execution:{machine}/*"},
        "states:StopExecution": {f"{states}:execution:{machine}/*"},
        **{action: {"*"} for action in LOG_DELIVERY},
    }


@pytest.mark.parametrize(
    "key",
    [
        *LAYOUT_KEYS,
        "batch/portfolio.csv",
        "batch/inputs/portfolio.csv",
        "input/portfolio.csv",
        "other/batch/input/portfolio.csv",
    ],
)
def test_state_machine_reads_only_batch_input(key: str) -> None:
    """No S3 action of the state machine reaches a model artifact or another prefix."""
    role = role_of(STATE_MACHINE, ON)
    s3 = {r for action, rs in grants(role).items() if action.startswith("s3:") for r in rs}
    assert not any(iam_allows(p, s3_arn(key)) for p in s3)
    assert any(iam_allows(p, s3_arn(f"{config.BATCH_INPUT_PREFIX}portfolio.csv")) for p in s3)


# --- parameters: one way to name a model, every default written once --------------------


def test_parameter_count_leaves_room() -> None:
    assert len(sam_source()["Parameters"]) <= MAX_PARAMETERS


def test_artifact_keys_are_not_parameters() -> None:
    """The function derives every key from ModelVersion; no key or prefix is deployable."""
    parameters = sam_source()["Parameters"]
    assert not [n for n in parameters if n.endswith(("Key", "Prefix", "Dir"))]
    defaults = {str(spec.get("Default", "")) for spec in parameters.values()}
    top_folders = {key.split("/", 1)[0] + "/" for key in LAYOUT_KEYS}
    assert not defaults & ({*LAYOUT_KEYS} | top_folders)
    variables = sam_source()["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
    assert not [v for v in variables if v.endswith(("_KEY", "_DIR"))]


def test_the_model_is_named_by_version_and_one_pin() -> None:
    names = set(sam_source()["Parameters"])
    assert {"ArtifactBucket", "ModelVersion", "ModelSha256", "ManifestVersionId"} <= names
    assert {n for n in names if "VersionId" in n} == {"ManifestVersionId"}


def test_only_real_choices_are_parameters() -> None:
    """The layers are built for x86_64 only and the service is named by its stack."""
    names = set(sam_source()["Parameters"])
    assert not names & {"Architecture", "ArtifactDir", "ServiceName", "S3EndpointUrl"}


# --- the function, its environment and the code's defaults ------------------------------


def test_function_environment_comes_from_parameters() -> None:
    template = sam_source()
    variables = template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
    assert set(variables) == set(ENVIRONMENT)
    for variable, (parameter, default) in ENVIRONMENT.items():
        if parameter is None:
            assert variables[variable] == default, variable
            continue
        assert variables[variable] == {"Ref": parameter}, variable
        spec = template["Parameters"][parameter]
        assert spec.get("Default") == default, (parameter, spec.get("Default"))


def test_template_defaults_match_predict_fn_config() -> None:
    """A choice the template offers has a default there and a fallback in config.py (for a
    run without the template); the two must be the same value."""
    parameters = sam_source()["Parameters"]
    pairs = {
        "MAX_RECORDS": "MaxRecords",
        "METRICS_NAMESPACE": "MetricsNamespace",
        "BATCH_SIZE": "BatchSize",
    }
    for constant, parameter in pairs.items():
        assert str(getattr(config, constant)) == str(parameters[parameter]["Default"]), constant


def test_every_variable_the_config_reads_is_declared() -> None:
    """A variable config.load() reads but the template does not set could not be configured
    in AWS, nor overridden by `sam local invoke --env-vars`; ARTIFACT_DIR alone is a code
    default. The set read is the handler's whole environment contract."""
    declared = sam_source()["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]

    class Recording(dict[str, str]):
        read: set[str]

        def get(self, key: str, default: Any = None) -> Any:
            self.read.add(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> str:
            self.read.add(key)
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            self.read.add(str(key))
            return super().__contains__(key)

    env = Recording(S3_BUCKET=BUCKET)
    env.read = set()
    config.load(env)
    assert env.read == HANDLER_ENVIRONMENT
    assert env.read - CODE_DEFAULT_ONLY <= set(declared), env.read - set(declared)
    assert not CODE_DEFAULT_ONLY & set(declared)


@pytest.mark.parametrize(
    ("version", "valid"),
    [
        ("", True),
        ("2024-05-14", True),
        ("v3.1_rc-2", True),
        ("a/b", False),
        ("../x", False),
        ("-x", False),
        (".hidden", False),
        ("x" * 65, False),
    ],
)
def test_model_version_parameter_agrees_with_config(version: str, valid: bool) -> None:
    """What CloudFormation accepts as ModelVersion, config.load() accepts too (and vice versa)."""
    pattern = sam_source()["Parameters"]["ModelVersion"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, version)) is valid
    env = {"S3_BUCKET": BUCKET, "MODEL_VERSION": version}
    if valid:
        config.load(env)
    else:
        with pytest.raises(config.ConfigError):
            config.load(env)


def test_empty_endpoint_override_means_real_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """The template always sets AWS_ENDPOINT_URL_S3 (empty unless testing locally)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "")
    client = boto3.client("s3", region_name="us-east-1")
    assert client.meta.endpoint_url == "https://s3.amazonaws.com"


def test_function_layers_and_build() -> None:
    resources = sam_source()["Resources"]
    function = resources[FUNCTION]
    props = function["Properties"]
    assert function["Metadata"]["BuildMethod"] == "makefile"
    assert props["Runtime"] == "python3.13"
    assert props["Handler"] == "predict_fn.app.lambda_handler"
    assert props["CodeUri"] == "predict_fn/"
    assert props["Layers"] == [{"Ref": "CoreLayer"}, {"Ref": "MlLayer"}]
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["AutoPublishAlias"] == "live"
    for name, folder in (("CoreLayer", "layers/core/"), ("MlLayer", "layers/ml/")):
        layer = resources[name]
        assert layer["Type"] == "AWS::Serverless::LayerVersion"
        assert layer["Metadata"]["BuildMethod"] == "makefile"
        assert layer["Properties"]["ContentUri"] == folder
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    # The layers hold x86_64 wheels (layers/*/Makefile), so the function is x86_64 too.
    assert props["Architectures"] == ["x86_64"]
    assert {resources[n]["Metadata"]["BuildArchitecture"] for n in ("CoreLayer", "MlLayer")} == {
        "x86_64"
    }
    parameters = sam_source()["Parameters"]
    assert parameters["MemorySize"]["Default"] == 1024
    assert parameters["Timeout"]["Default"] == 30


@pytest.mark.parametrize(
    ("cold_start", "snapstart", "provisioned"),
    [
        (None, True, None),  # the default: SnapStart
        ("SnapStart", True, None),
        ("None", False, None),
        ("3", False, 3),
        ("9999", False, 9999),
    ],
)
def test_snapstart_and_provisioned_concurrency_are_never_on_together(
    cold_start: str | None, snapstart: bool, provisioned: int | None
) -> None:
    """One parameter, so no value asks for both (Lambda refuses the combination)."""
    parameters = {"ArtifactBucket": BUCKET} | (
        {} if cold_start is None else {"ColdStart": cold_start}
    )
    assert check_parameter_values(sam_source(), parameters) == []
    resolved = Resolved(parameters)
    function = resolved.resource(FUNCTION)["Properties"]
    setting = resolved(function.get("SnapStart", {"Ref": "AWS::NoValue"}))
    assert (setting == {"ApplyOn": "PublishedVersions"}) is snapstart
    assert setting in (None, {"ApplyOn": "PublishedVersions"})
    alias = resolved.resource(f"{FUNCTION}Aliaslive")["Properties"]
    # Only this property: the alias's FunctionVersion exists once deployed.
    pc = resolved(alias.get("ProvisionedConcurrencyConfig", {"Ref": "AWS::NoValue"}))
    assert (None if pc is None else int(pc["ProvisionedConcurrentExecutions"])) == provisioned


@pytest.mark.parametrize(
    "value", ["0", "07", "-1", "10000", "1.5", "snapstart", "PublishedVersions", ""]
)
def test_cold_start_refuses_what_lambda_would(value: str) -> None:
    """0 or a non-number is neither SnapStart nor a provisioned count: CloudFormation says so."""
    problems = check_parameter_values(sam_source(), {"ColdStart": value})
    assert problems and "does not match" in problems[0]


def test_snapstart_parameter_and_its_limits() -> None:
    """Lambda refuses SnapStart with EFS or more than 512 MB of /tmp: the function has neither."""
    template = sam_source()
    parameter = template["Parameters"]["ColdStart"]
    assert parameter["Default"] == "SnapStart"
    assert not {"SnapStart", "ProvisionedConcurrency"} & set(template["Parameters"])
    properties = template["Resources"][FUNCTION]["Properties"]
    assert "FileSystemConfigs" not in properties
    assert properties.get("EphemeralStorage", {"Size": 512})["Size"] <= 512
    assert properties["AutoPublishAlias"] == "live"  # SnapStart applies to published versions


# --- batch scoring: the batch function and the state machine ------------------------------


def test_batch_function_is_the_predict_code_with_its_own_handler() -> None:
    resources = sam_source()["Resources"]
    predict, batch = resources[FUNCTION], resources[BATCH_FUNCTION]
    assert batch["Metadata"]["BuildMethod"] == predict["Metadata"]["BuildMethod"] == "makefile"
    props = batch["Properties"]
    assert props["Handler"] == "predict_fn.batch.lambda_handler"
    for key in ("CodeUri", "Runtime", "Architectures", "Layers", "Tracing"):
        assert props[key] == predict["Properties"][key], key
    assert props["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": {"Ref": "LogLevel"},
        "LogGroup": {"Ref": "BatchFunctionLogGroup"},
    }
    # Fixed sizes, not parameters; three attempts fit in an Express child's 300 s.
    assert (props["MemorySize"], props["Timeout"]) == (1024, 60)
    # Not behind the API and no alias: nothing to shift, keep warm or restore.
    assert not {"Events", "AutoPublishAlias", "SnapStart", "DeploymentPreference"} & set(props)
    # sam build runs predict_fn/Makefile's target of the same name for each function.
    makefile = (ROOT / "predict_fn" / "Makefile").read_text()
    assert all(
        re.search(rf"^[^#\n]*\bbuild-{name}\b[^=\n]*:", makefile, re.M) for name in FUNCTIONS
    )


def test_batch_function_environment_is_the_models() -> None:
    """The same model variables as the predict function, so both serve the same model."""
    resources = sam_source()["Resources"]
    predict = resources[FUNCTION]["Properties"]["Environment"]["Variables"]
    batch = resources[BATCH_FUNCTION]["Properties"]["Environment"]["Variables"]
    assert set(batch) == BATCH_ENVIRONMENT
    for name in BATCH_ENVIRONMENT - {"POWERTOOLS_SERVICE_NAME"}:
        assert batch[name] == predict[name], name
    # Its own service name keeps batch rows out of the request metrics and drift alarms.
    assert batch["POWERTOOLS_SERVICE_NAME"] == {"Fn::Sub": "${AWS::StackName}-batch"}


def test_batch_parameters() -> None:
    """Issue 12's three choices, passed to the definition (statemachine/batch.asl.yaml)."""
    template = sam_source()
    parameters = template["Parameters"]
    assert parameters["BatchSize"]["Default"] == config.BATCH_SIZE
    assert parameters["BatchMaxConcurrency"]["MaxValue"] == 10000  # Step Functions' ceiling
    assert parameters["BatchToleratedFailurePercent"]["Default"] == 0
    assert parameters["BatchToleratedFailurePercent"]["MaxValue"] == 100
    machine = template["Resources"][STATE_MACHINE]["Properties"]
    substitutions = machine["DefinitionSubstitutions"]
    assert substitutions["BatchSize"] == {"Ref": "BatchSize"}
    assert substitutions["MaxConcurrency"] == {"Ref": "BatchMaxConcurrency"}
    assert substitutions["ToleratedFailurePercentage"] == {"Ref": "BatchToleratedFailurePercent"}
    assert substitutions["ArtifactBucket"] == {"Ref": "ArtifactBucket"}
    assert substitutions["BatchFunctionArn"] == {"Fn::GetAtt": [BATCH_FUNCTION, "Arn"]}


@pytest.mark.parametrize("name", sorted(PARAMETER_SETS))
def test_state_machine_resource(name: str) -> None:
    parameters = PARAMETER_SETS[name]
    resolved = Resolved(parameters)
    source = sam_source()["Resources"][STATE_MACHINE]["Properties"]
    assert (ROOT / source["DefinitionUri"]).is_file()
    machine = resolved(resolved.resource(STATE_MACHINE)["Properties"])
    # A literal name (the role names its ARN): the stack's, so two stacks never collide.
    assert source["Name"] == {"Fn::Sub": "${AWS::StackName}-batch"}
    assert machine["StateMachineType"] == "STANDARD"
    # Errors only and never the rows: execution data would copy the CSV into the logs.
    logging = machine["LoggingConfiguration"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ERROR", False)
    destination = source["Logging"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    assert destination == {"Fn::GetAtt": ["BatchStateMachineLogGroup", "Arn"]}
    tracing = machine.get("TracingConfiguration", {}).get("Enabled")
    assert tracing is (parameters.get("TracingMode") == "Active")


# --- the HTTP API ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["off", "on"])
def test_http_api_routes_auth_cors(name: str) -> None:
    parameters = PARAMETER_SETS[name]
    resolved = Resolved(parameters)
    apis = [
        r for r in resolved.template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"
    ]
    assert len(apis) == 1
    body = apis[0]["Properties"]["Body"]
    routes = {(m.upper(), p): op for p, item in body["paths"].items() for m, op in item.items()}
    assert set(routes) == {("POST", "/predict"), ("GET", "/health")}
    for operation in routes.values():
        integration = operation["x-amazon-apigateway-integration"]
        assert integration["payloadFormatVersion"] == "2.0"
        # The API invokes the live alias (provisioned concurrency, safe rollouts). Checked
        # as SAM wrote it: SAM's resolver turns an alias Ref into the function's ARN.
        assert f"${{{FUNCTION}Aliaslive}}" in integration["uri"]["Fn::Sub"]
        security = resolved(operation.get("security", {"Ref": "AWS::NoValue"}))
        if parameters["ApiAuth"] == "IAM":
            assert security == [{"AWS_IAM": []}]
        else:
            assert security is None
    cors = resolved(body.get("x-amazon-apigateway-cors", {"Ref": "AWS::NoValue"}))
    if parameters.get("CorsAllowedOrigins"):
        assert cors["allowOrigins"] == parameters["CorsAllowedOrigins"].split(",")
    else:
        assert cors is None


def test_http_api_stage_throttling_and_access_log() -> None:
    resolved = Resolved({"ArtifactBucket": BUCKET})
    stages = [
        r
        for r in resolved.template["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage"
    ]
    assert len(stages) == 1
    as_written = stages[0]["Properties"]["AccessLogSettings"]
    assert as_written["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    stage = resolved(stages[0]["Properties"])
    throttling = stage["DefaultRouteSettings"]
    assert (throttling["ThrottlingBurstLimit"], throttling["ThrottlingRateLimit"]) == ("50", "20")
    access = stage["AccessLogSettings"]
    # $context.error.messageString is a quoted JSON string once API Gateway fills it in.
    fields = json.loads(access["Format"].replace("$context.error.messageString", '"Not Found"'))
    assert {"requestId", "status", "routeKey"} <= set(fields)
    assert not any("body" in str(v).lower() for v in fields.values())


# --- logs, alarms, rollouts, outputs ------------------------------------------------------


def test_log_groups_have_retention_and_the_functions_use_their_own() -> None:
    resources = sam_source()["Resources"]
    log_groups = {n for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert log_groups == {
        "PredictFunctionLogGroup",
        "HttpApiAccessLogGroup",
        "BatchFunctionLogGroup",
        "BatchStateMachineLogGroup",
    }
    for name in log_groups:
        assert resources[name]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for function in FUNCTIONS:
        logging = resources[function]["Properties"]["LoggingConfig"]
        assert logging["LogGroup"] == {"Ref": f"{function}LogGroup"}
        # With JSON logs Lambda drops application lines below this level, whatever the
        # code asks for, and Powertools follows it: LogLevel must set this, not an env var.
        assert logging["ApplicationLogLevel"] == {"Ref": "LogLevel"}
        assert "POWERTOOLS_LOG_LEVEL" not in resources[function]["Properties"]["Environment"]
        # The name Lambda would pick for the function, so `sam logs -n <function>` finds it.
        name = resources[function]["Properties"]["FunctionName"]["Fn::Sub"]
        group = resources[f"{function}LogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
        assert group == f"/aws/lambda/{name}"


def created_alarms(resolved: Resolved) -> set[str]:
    return {
        logical
        for logical, resource in resolved.template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and resolved.condition(resource.get("Condition", "CreateAlarms"))
    }


@pytest.mark.parametrize("name", sorted(PARAMETER_SETS))
def test_alarms_and_deployment_preference(name: str) -> None:
    parameters = {"AlarmsEnabled": "true", "DeploymentType": "AllAtOnce", **PARAMETER_SETS[name]}
    resolved = Resolved(parameters)
    group = resolved(resolved.resource(f"{FUNCTION}DeploymentGroup")["Properties"])
    assert (
        group["DeploymentConfigName"] == f"CodeDeployDefault.Lambda{parameters['DeploymentType']}"
    )
    rollback_alarms = {a["Name"] for a in group["AlarmConfiguration"].get("Alarms", [])}
    alarms = created_alarms(resolved)
    if parameters["AlarmsEnabled"] == "true":
        drift_on = parameters.get("DriftAlarmPercent", "10") != "0"
        assert alarms == ROLLBACK_ALARMS | (DRIFT_ALARMS if drift_on else set())
        # Drift is about the data, not the deployment: it never rolls one back.
        assert rollback_alarms == ROLLBACK_ALARMS
    else:
        assert alarms == set()
        assert rollback_alarms == set()


@pytest.mark.parametrize("timeout", ["30", "12"])
def test_duration_alarm_follows_the_timeout(timeout: str) -> None:
    """p99 duration as a share of Timeout (metric math): no threshold to keep in step."""
    resolved = Resolved({"ArtifactBucket": BUCKET, "Timeout": timeout})
    alarm = resolved(resolved.resource("FunctionDurationAlarm")["Properties"])
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    stat = metrics["p99"]["MetricStat"]
    assert (stat["Stat"], stat["Metric"]["MetricName"]) == ("p99", "Duration")
    [shown] = [m for m in alarm["Metrics"] if m.get("ReturnData", True)]
    assert shown["Expression"] == f"p99 / ({timeout} * 1000)"
    assert (float(alarm["Threshold"]), alarm["ComparisonOperator"]) == (0.8, "GreaterThanThreshold")
    assert "DurationAlarmThresholdMs" not in sam_source()["Parameters"]


def test_drift_alarms_watch_each_drift_metric() -> None:
    """One alarm per metric predict_fn.drift emits, on its share of RecordsPredicted."""
    resolved = Resolved({"ArtifactBucket": BUCKET, "DriftAlarmPercent": "7"})
    service = resolved(
        resolved.resource(FUNCTION)["Properties"]["Environment"]["Variables"][
            "POWERTOOLS_SERVICE_NAME"
        ]
    )
    watched = set()
    for logical in DRIFT_ALARMS:
        alarm = resolved(resolved.resource(logical)["Properties"])
        metrics = {m["Id"]: m for m in alarm["Metrics"]}
        assert set(metrics) == {"drift", "records", "percent"}
        for metric_id in ("drift", "records"):
            stat = metrics[metric_id]["MetricStat"]
            assert metrics[metric_id]["ReturnData"] is False
            assert (stat["Period"], stat["Stat"]) in {(300, "Sum"), ("300", "Sum")}
            # Powertools EMF: the function's namespace, dimension `service` = its service name.
            assert stat["Metric"]["Namespace"] == "HouseTS"
            assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": service}]
        assert metrics["records"]["MetricStat"]["Metric"]["MetricName"] == "RecordsPredicted"
        watched.add(metrics["drift"]["MetricStat"]["Metric"]["MetricName"])
        # A drift count is emitted only when above 0: its missing points are zeros.
        assert metrics["percent"]["Expression"] == "100 * FILL(drift, 0) / records"
        assert alarm["Threshold"] == "7"
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        # Fifteen minutes of drift in fifteen: one odd client does not page anyone.
        assert (int(alarm["EvaluationPeriods"]), int(alarm["DatapointsToAlarm"])) == (3, 3)
        assert alarm["TreatMissingData"] == "notBreaching"
    assert watched == set(drift.METRICS)


@pytest.mark.parametrize(
    ("parameters", "created"),
    [
        ({}, True),
        ({"DriftAlarmPercent": "0"}, False),
        ({"AlarmsEnabled": "false"}, False),
        ({"AlarmsEnabled": "false", "DriftAlarmPercent": "25"}, False),
    ],
)
def test_drift_alarms_are_optional(parameters: dict[str, str], created: bool) -> None:
    resolved = Resolved({"ArtifactBucket": BUCKET, **parameters})
    assert resolved.condition("CreateDriftAlarms") is created
    assert created_alarms(resolved) & DRIFT_ALARMS == (DRIFT_ALARMS if created else set())


def test_outputs() -> None:
    outputs = sam_source()["Outputs"]
    assert outputs["PredictUrl"]["Value"]["Fn::Sub"].endswith("/predict")
    assert outputs["FunctionName"]["Value"] == {"Ref": FUNCTION}
    assert outputs["AliasArn"]["Value"] == {"Ref": f"{FUNCTION}.Alias"}
    # Ref of a state machine is its ARN: what `aws stepfunctions start-execution` takes.
    assert outputs["BatchStateMachineArn"]["Value"] == {"Ref": STATE_MACHINE}
    assert outputs["BatchFunctionName"]["Value"] == {"Ref": BATCH_FUNCTION}


# --- samconfig.toml -------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["default", "prod"])
def test_samconfig_environment(env: str) -> None:
    from samcli.lib.config.samconfig import SamConfig

    samconfig = SamConfig(str(ROOT))  # the SAM CLI's own reader
    deploy = samconfig.get_all(["deploy"], "parameters", env=env)
    assert deploy["stack_name"]
    assert deploy["region"]
    assert deploy["resolve_s3"] is True
    assert "CAPABILITY_IAM" in deploy["capabilities"]
    assert deploy["confirm_changeset"] is True
    assert samconfig.get_all(["build"], "parameters", env=env)["parallel"] is True

    overrides = samconfig_overrides(env)
    assert "ArtifactBucket" in overrides
    problems = check_parameter_values(sam_source(), overrides)
    # Only the bucket placeholder is rejected, on purpose (see samconfig.toml).
    assert problems == [p for p in problems if p.startswith("ArtifactBucket=REPLACE-ME")]
    assert len(problems) <= 1

    # With a real bucket name the environment transforms and lints clean.
    overrides["ArtifactBucket"] = BUCKET
    output = json.dumps(translate(overrides))
    matches = lint(output, config=ManualArgs(regions=["us-east-1"], ignore_checks=["W2001"]))
    assert not matches, "\n".join(str(m) for m in matches)


def test_samconfig_prod_differs_where_it_matters() -> None:
    from samcli.lib.config.samconfig import SamConfig

    samconfig = SamConfig(str(ROOT))
    names = {
        samconfig.get_all(["deploy"], "parameters", env=e)["stack_name"]
        for e in ("default", "prod")
    }
    assert len(names) == 2
    prod = {**template_defaults(), **samconfig_overrides("prod")}
    assert prod["DeploymentType"] != "AllAtOnce"
    assert prod["AlarmsEnabled"] == "true"


@pytest.mark.parametrize("env", ["default", "prod"])
def test_samconfig_lists_only_what_differs_from_the_template(env: str) -> None:
    """A default written again in samconfig.toml would silently stop following the template."""
    defaults = template_defaults()
    repeated = {k: v for k, v in samconfig_overrides(env).items() if defaults.get(k) == v}
    assert repeated == {}
    # `make promote` owns these: it passes both on every deploy.
    assert not {"ModelVersion", "ManifestVersionId"} & set(samconfig_overrides(env))


def test_parameter_sets_are_valid() -> None:
    """The sets used above are values CloudFormation would accept."""
    template = sam_source()
    for name, parameters in PARAMETER_SETS.items():
        assert check_parameter_values(template, parameters) == [], name
    assert copy.deepcopy(ON) == ON  # the sets are plain data, never mutated by the helpers
