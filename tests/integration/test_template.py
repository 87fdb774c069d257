"""template.yaml and samconfig.toml: lint-clean, least privilege, defaults in step with the code.

Three views of the template are checked, because each catches what the others miss:
- `sam validate --lint` and `cfn-lint` on the SAM source (the acceptance commands);
- the CloudFormation that the SAM transform produces for several parameter sets,
  linted again (only this view sees e.g. a dependency cycle through the resources
  SAM generates for AutoPublishAlias + DeploymentPreference);
- the function role of that output with conditions evaluated, for the IAM checks.
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
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse
from support import ROOT

TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"
BIN = Path(sys.executable).parent
BUCKET = "housets-artifacts-example"
PARTITION = "aws"
FUNCTION = "PredictFunction"

# Managed policies the function role may carry; neither grants any S3 action.
ALLOWED_MANAGED = {
    f"arn:{PARTITION}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    f"arn:{PARTITION}:iam::aws:policy/AWSXrayWriteOnlyAccess",  # added by SAM for Tracing
}

# Every switch off, and every switch on (issue 5's "both parameter sets").
OFF: dict[str, str] = {
    "ArtifactBucket": BUCKET,
    "AlarmsEnabled": "false",
    "DeploymentType": "AllAtOnce",
    "ProvisionedConcurrency": "0",
    "TracingMode": "PassThrough",
    "ApiAuth": "NONE",
}
ON: dict[str, str] = {
    "ArtifactBucket": BUCKET,
    "AlarmsEnabled": "true",
    "AlarmEmail": "oncall@example.com",
    "DeploymentType": "Canary10Percent5Minutes",
    "ProvisionedConcurrency": "2",
    "TracingMode": "Active",
    "ApiAuth": "IAM",
    "CorsAllowedOrigins": "https://app.example.com,https://admin.example.com",
    "ModelSha256": "0" * 64,
    "ModelVersionId": "3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY",
    "ManifestVersionId": "Wq1.Ab5OZW5kz7MHPzpVQhJ8S6CDNtQ7",
}
PARAMETER_SETS = {"defaults": {"ArtifactBucket": BUCKET}, "off": OFF, "on": ON}
PIN_PARAMETERS = [
    "ModelVersionId",
    "FreqEncoderVersionId",
    "TargetEncoderVersionId",
    "TrainFeaturesVersionId",
    "ManifestVersionId",
]
# Environment variable → (template parameter, its default). None: a literal value.
ENVIRONMENT: dict[str, tuple[str | None, Any]] = {
    "S3_BUCKET": ("ArtifactBucket", None),
    "MODEL_KEY": ("ModelKey", "models/model.pkl"),
    "FREQ_ENCODER_KEY": ("FreqEncoderKey", "models/freq_encoder.pkl"),
    "TARGET_ENCODER_KEY": ("TargetEncoderKey", "models/target_encoder.pkl"),
    "TRAIN_FEATURES_KEY": ("TrainFeaturesKey", "processed/feature_engineered_train.csv"),
    "MANIFEST_KEY": ("ManifestKey", "models/manifest.json"),
    "MODEL_VERSION": ("ModelVersion", ""),
    "MODEL_SHA256": ("ModelSha256", ""),
    "MODEL_VERSION_ID": ("ModelVersionId", ""),
    "FREQ_ENCODER_VERSION_ID": ("FreqEncoderVersionId", ""),
    "TARGET_ENCODER_VERSION_ID": ("TargetEncoderVersionId", ""),
    "TRAIN_FEATURES_VERSION_ID": ("TrainFeaturesVersionId", ""),
    "MANIFEST_VERSION_ID": ("ManifestVersionId", ""),
    "AWS_ENDPOINT_URL_S3": ("S3EndpointUrl", ""),
    "ARTIFACT_DIR": ("ArtifactDir", "/tmp/ml_artifacts"),
    "MAX_RECORDS": ("MaxRecords", 1000),
    "OMP_NUM_THREADS": (None, "1"),
    "POWERTOOLS_SERVICE_NAME": ("ServiceName", "housets-predict"),
    "POWERTOOLS_LOG_LEVEL": ("LogLevel", "INFO"),
    "POWERTOOLS_METRICS_NAMESPACE": ("MetricsNamespace", "HouseTS"),
    "LOG_EVENT": ("LogEvent", "false"),
    "POWERTOOLS_TRACE_DISABLED": (None, {"Fn::If": ["TracingActive", "false", "true"]}),
}


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
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = "s3://deployment-bucket/artifact.zip"
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name="us-east-1"))
    output = translator.translate(template, dict(items), get_managed_policy_map=lambda: {})
    return json.dumps(output)


def translate(parameters: Mapping[str, str]) -> dict[str, Any]:
    """The CloudFormation template the SAM transform produces for these parameter values."""
    return json.loads(_translated(tuple(sorted(parameters.items()))))


class Evaluator:
    """Just enough of CloudFormation to see what a resource becomes for given parameters."""

    NO_VALUE = object()

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.template = template
        self.values: dict[str, Any] = {
            "AWS::Partition": PARTITION,
            "AWS::Region": "us-east-1",
            "AWS::StackName": "housets-test",
            "AWS::AccountId": "123456789012",
            "AWS::URLSuffix": "amazonaws.com",
        }
        for name, spec in template.get("Parameters", {}).items():
            value = str(parameters.get(name, spec.get("Default", "")))
            if spec["Type"] == "CommaDelimitedList":
                self.values[name] = value.split(",")
            else:
                self.values[name] = value

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def _sub(self, match: re.Match[str]) -> str:
        value = self.values.get(match.group(1))
        return match.group(0) if value is None else str(value)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(x) for x in value) if v is not self.NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.NO_VALUE if arg == "AWS::NoValue" else self.values.get(arg, value)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in arg)
                return left == right
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Fn::Join":
                return arg[0].join(self.resolve(arg[1]))
            if key == "Fn::Sub" and isinstance(arg, str):
                # Unknown names (resources, attributes) stay as written.
                return re.sub(r"\$\{([^}!]+)\}", lambda m: self._sub(m), arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not self.NO_VALUE}


def function_role(parameters: Mapping[str, str]) -> dict[str, Any]:
    """The function's execution role as deployed with these parameters."""
    template = translate(parameters)
    role_ref = template["Resources"][FUNCTION]["Properties"]["Role"]
    role = template["Resources"][role_ref["Fn::GetAtt"][0]]
    return Evaluator(template, parameters).resolve(role["Properties"])


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


def test_function_policies_are_inline_documents_only() -> None:
    """No SAM policy template (S3ReadPolicy grants the whole bucket) and no managed policy."""
    function = sam_source()["Resources"][FUNCTION]["Properties"]
    assert "Role" not in function
    for policy in function["Policies"]:
        assert isinstance(policy, dict) and set(policy) == {"Version", "Statement"}, policy
    text = json.dumps(function)
    for template_name in ("S3ReadPolicy", "S3CrudPolicy", "S3FullAccessPolicy", "AmazonS3"):
        assert template_name not in text


@pytest.mark.parametrize("name", sorted(PARAMETER_SETS))
def test_role_reads_only_the_two_artifact_prefixes(name: str) -> None:
    parameters = PARAMETER_SETS[name]
    role = function_role(parameters)
    assert set(role.get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED

    pinned = any(parameters.get(p) for p in PIN_PARAMETERS)
    allowed_actions = {"s3:GetObject"} | ({"s3:GetObjectVersion"} if pinned else set())
    expected_resources = {
        f"arn:{PARTITION}:s3:::{BUCKET}/models/*",
        f"arn:{PARTITION}:s3:::{BUCKET}/processed/*",
    }
    granted: set[str] = set()
    for statement in statements(role):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = set(as_list(statement["Action"]))
        assert actions <= allowed_actions, actions
        assert set(as_list(statement["Resource"])) == expected_resources
        granted |= actions
    assert "s3:GetObject" in granted
    # s3:GetObjectVersion exists only to make VersionId pins work, and only then.
    assert ("s3:GetObjectVersion" in granted) == pinned


def test_role_follows_custom_prefixes() -> None:
    parameters = {"ArtifactBucket": BUCKET, "ModelPrefix": "v2/models/", "ProcessedPrefix": "v2/"}
    resources = {r for s in statements(function_role(parameters)) for r in as_list(s["Resource"])}
    assert resources == {
        f"arn:{PARTITION}:s3:::{BUCKET}/v2/models/*",
        f"arn:{PARTITION}:s3:::{BUCKET}/v2/*",
    }


def test_default_keys_lie_under_the_granted_prefixes() -> None:
    """A key outside both prefixes would deploy fine and then fail with AccessDenied."""
    parameters = sam_source()["Parameters"]
    prefixes = (parameters["ModelPrefix"]["Default"], parameters["ProcessedPrefix"]["Default"])
    for key in (
        "ModelKey",
        "FreqEncoderKey",
        "TargetEncoderKey",
        "TrainFeaturesKey",
        "ManifestKey",
    ):
        assert parameters[key]["Default"].startswith(prefixes), key


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
    """config.py holds the code's defaults; the template must deploy the same ones."""
    config = pytest.importorskip("predict_fn.config")
    parameters = sam_source()["Parameters"]
    pairs = {
        "MODEL_KEY": "ModelKey",
        "FREQ_ENCODER_KEY": "FreqEncoderKey",
        "TARGET_ENCODER_KEY": "TargetEncoderKey",
        "TRAIN_FEATURES_KEY": "TrainFeaturesKey",
        "MANIFEST_KEY": "ManifestKey",
        "ARTIFACT_DIR": "ArtifactDir",
        "MAX_RECORDS": "MaxRecords",
    }
    for constant, parameter in pairs.items():
        assert str(getattr(config, constant)) == str(parameters[parameter]["Default"]), constant


def test_every_variable_the_config_reads_is_declared() -> None:
    """A variable config.load() reads but the template does not set could not be configured
    in AWS, nor overridden by `sam local invoke --env-vars`."""
    config = pytest.importorskip("predict_fn.config")
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
    assert env.read, "config.load() read no variable from the mapping it was given"
    assert env.read <= set(declared), env.read - set(declared)


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
    config = pytest.importorskip("predict_fn.config")
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
    parameters = sam_source()["Parameters"]
    assert parameters["Architecture"]["Default"] == "x86_64"
    assert set(parameters["Architecture"]["AllowedValues"]) == {"x86_64", "arm64"}
    assert parameters["MemorySize"]["Default"] == 1024
    assert parameters["Timeout"]["Default"] == 30


@pytest.mark.parametrize(
    ("parameters", "provisioned"), [({"ArtifactBucket": BUCKET}, None), (ON, 2)]
)
def test_provisioned_concurrency_is_off_at_zero(
    parameters: dict[str, str], provisioned: int | None
) -> None:
    template = translate(parameters)
    alias = template["Resources"][f"{FUNCTION}Aliaslive"]["Properties"]
    config = Evaluator(template, parameters).resolve(alias).get("ProvisionedConcurrencyConfig")
    got = None if config is None else int(config["ProvisionedConcurrentExecutions"])
    assert got == provisioned


# --- the HTTP API ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["off", "on"])
def test_http_api_routes_auth_cors(name: str) -> None:
    parameters = PARAMETER_SETS[name]
    template = translate(parameters)
    evaluator = Evaluator(template, parameters)
    apis = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    assert len(apis) == 1
    body = evaluator.resolve(apis[0]["Properties"]["Body"])
    routes = {(m.upper(), p): op for p, item in body["paths"].items() for m, op in item.items()}
    assert set(routes) == {("POST", "/predict"), ("GET", "/health")}
    for operation in routes.values():
        integration = operation["x-amazon-apigateway-integration"]
        assert integration["payloadFormatVersion"] == "2.0"
        # The API invokes the live alias (provisioned concurrency, safe rollouts).
        assert f"{FUNCTION}Aliaslive" in json.dumps(integration["uri"])
        if parameters["ApiAuth"] == "IAM":
            assert operation["security"] == [{"AWS_IAM": []}]
        else:
            assert "security" not in operation
    cors = body.get("x-amazon-apigateway-cors")
    if parameters.get("CorsAllowedOrigins"):
        assert cors["allowOrigins"] == parameters["CorsAllowedOrigins"].split(",")
    else:
        assert cors is None


def test_http_api_stage_throttling_and_access_log() -> None:
    template = translate({"ArtifactBucket": BUCKET})
    stages = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    assert len(stages) == 1
    stage = Evaluator(template, {}).resolve(stages[0]["Properties"])
    throttling = stage["DefaultRouteSettings"]
    assert int(throttling["ThrottlingBurstLimit"]) > 0
    assert float(throttling["ThrottlingRateLimit"]) > 0
    access = stage["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    # $context.error.messageString is a quoted JSON string once API Gateway fills it in.
    fields = json.loads(access["Format"].replace("$context.error.messageString", '"Not Found"'))
    assert {"requestId", "status", "routeKey"} <= set(fields)
    assert not any("body" in str(v).lower() for v in fields.values())


# --- logs, alarms, rollouts, outputs ------------------------------------------------------


def test_log_groups_have_retention_and_the_function_uses_its_own() -> None:
    resources = sam_source()["Resources"]
    for name in ("PredictFunctionLogGroup", "HttpApiAccessLogGroup"):
        assert resources[name]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    logging = resources[FUNCTION]["Properties"]["LoggingConfig"]
    assert logging["LogGroup"] == {"Ref": "PredictFunctionLogGroup"}


@pytest.mark.parametrize("name", ["off", "on"])
def test_alarms_and_deployment_preference(name: str) -> None:
    parameters = PARAMETER_SETS[name]
    template = translate(parameters)
    evaluator = Evaluator(template, parameters)
    alarms = {
        logical
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and evaluator.condition(resource.get("Condition", "CreateAlarms"))
    }
    group = evaluator.resolve(template["Resources"][f"{FUNCTION}DeploymentGroup"]["Properties"])
    config_name = evaluator.resolve(group["DeploymentConfigName"])
    assert parameters["DeploymentType"] in json.dumps(config_name)
    rollback_alarms = {a["Name"]["Ref"] for a in group["AlarmConfiguration"].get("Alarms", [])}
    if parameters["AlarmsEnabled"] == "true":
        assert alarms == {
            "FunctionErrorsAlarm",
            "FunctionThrottlesAlarm",
            "FunctionDurationAlarm",
            "Api5xxAlarm",
        }
        assert rollback_alarms == alarms
    else:
        assert alarms == set()
        assert rollback_alarms == set()


def test_outputs() -> None:
    outputs = sam_source()["Outputs"]
    assert outputs["PredictUrl"]["Value"]["Fn::Sub"].endswith("/predict")
    assert outputs["FunctionName"]["Value"] == {"Ref": FUNCTION}
    assert outputs["AliasArn"]["Value"] == {"Ref": f"{FUNCTION}.Alias"}


# --- samconfig.toml -------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["default", "prod"])
def test_samconfig_environment(env: str) -> None:
    from samcli.lib.config.samconfig import SamConfig

    config = SamConfig(str(ROOT))  # the SAM CLI's own reader
    deploy = config.get_all(["deploy"], "parameters", env=env)
    assert deploy["stack_name"]
    assert deploy["region"]
    assert deploy["resolve_s3"] is True
    assert "CAPABILITY_IAM" in deploy["capabilities"]
    assert deploy["confirm_changeset"] is True
    assert config.get_all(["build"], "parameters", env=env)["parallel"] is True

    overrides = samconfig_overrides(env)
    assert {"ArtifactBucket", "ModelKey", "ManifestKey"} <= set(overrides)
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

    config = SamConfig(str(ROOT))
    names = {
        config.get_all(["deploy"], "parameters", env=e)["stack_name"] for e in ("default", "prod")
    }
    assert len(names) == 2
    prod = samconfig_overrides("prod")
    assert prod["DeploymentType"] != "AllAtOnce"
    assert prod["AlarmsEnabled"] == "true"


def test_parameter_sets_are_valid() -> None:
    """The sets used above are values CloudFormation would accept."""
    template = sam_source()
    for name, parameters in PARAMETER_SETS.items():
        assert check_parameter_values(template, parameters) == [], name
    assert copy.deepcopy(ON) == ON  # the sets are plain data, never mutated by the helpers
