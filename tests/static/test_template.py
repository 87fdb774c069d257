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

from predict_fn import config

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
    "ModelVersion": "2026-11-26",
    "ModelSha256": "0" * 64,
    "ManifestVersionId": "Wq1.Ab5OZW5kz7MHPzpVQhJ8S6CDNtQ7",
}
PARAMETER_SETS = {"defaults": {"ArtifactBucket": BUCKET}, "off": OFF, "on": ON}
# Room left for later issues (SnapStart, drift alarms) under issue 10's ceiling of 24.
MAX_PARAMETERS = 24
# Environment variable → (template parameter, its default). None: a literal value.
ENVIRONMENT: dict[str, tuple[str | None, Any]] = {
    "S3_BUCKET": ("ArtifactBucket", None),
    "MODEL_VERSION": ("ModelVersion", ""),
    "MODEL_SHA256": ("ModelSha256", ""),
    "MANIFEST_VERSION_ID": ("ManifestVersionId", ""),
    "MAX_RECORDS": ("MaxRecords", 1000),
    "AWS_ENDPOINT_URL_S3": (None, ""),
    "OMP_NUM_THREADS": (None, "1"),
    "POWERTOOLS_SERVICE_NAME": (None, {"Ref": "AWS::StackName"}),
    "POWERTOOLS_LOG_LEVEL": ("LogLevel", "INFO"),
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
    "LOG_EVENT",
}
CODE_DEFAULT_ONLY = {"ARTIFACT_DIR"}
# The five keys the function reads, in the unversioned tree (config.py's one layout).
LAYOUT_KEYS = (config.MANIFEST_KEY, *config.ARTIFACTS.values())


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


class Resolved:
    """The transform's output seen through SAM CLI's own intrinsic resolver.

    Parameter values are merged the way `sam local` merges them (pseudo parameters,
    defaults, overrides), then made strings, as CloudFormation passes every parameter
    (a Number default would otherwise compare unequal to "0" in a condition). SAM's
    resolver turns `AWS::NoValue` into None and then fails on it inside Fn::If, so it
    is given a marker instead, and values that resolve to the marker are dropped, which
    is what CloudFormation does with them. Properties that only exist once deployed (a
    version's GetAtt) are not resolved here.
    """

    NO_VALUE = "<AWS::NoValue>"

    def __init__(self, parameters: Mapping[str, str]) -> None:
        self.template = translate(parameters)
        values = SamBaseProvider._get_parameter_values(self.template, dict(parameters))
        strings = {name: str(value) for name, value in values.items()}
        symbols = IntrinsicsSymbolTable(
            template=self.template, logical_id_translator={**strings, "AWS::NoValue": self.NO_VALUE}
        )
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


def function_role(parameters: Mapping[str, str]) -> dict[str, Any]:
    """The function's execution role as deployed with these parameters."""
    resolved = Resolved(parameters)
    role_ref = resolved.resource(FUNCTION)["Properties"]["Role"]
    return resolved(resolved.resource(role_ref["Fn::GetAtt"][0])["Properties"])


def s3_arn(key: str) -> str:
    return f"arn:{PARTITION}:s3:::{BUCKET}/{key}"


def iam_allows(pattern: str, arn: str) -> bool:
    """IAM resource matching: `*` is any run of characters ('/' included), `?` one."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, arn) is not None


def granted_resources(parameters: Mapping[str, str]) -> set[str]:
    return {r for s in statements(function_role(parameters)) for r in as_list(s["Resource"])}


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
    assert resolved.condition("UseIamAuth") is True
    assert resolved.condition("NotifyByEmail") is False  # Fn::And over a Condition
    assert resolved.condition("HasManifestPin") is False
    assert resolved.condition("HasProvisionedConcurrency") is False  # "0", a string


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
def test_role_reads_only_the_artifact_keys(name: str) -> None:
    parameters = PARAMETER_SETS[name]
    role = function_role(parameters)
    assert set(role.get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED

    pinned = bool(parameters.get("ManifestVersionId"))
    allowed_actions = {"s3:GetObject"} | ({"s3:GetObjectVersion"} if pinned else set())
    # Each layout key, unversioned and for any version: derived from config.py.
    expected_resources = {s3_arn(k) for k in LAYOUT_KEYS} | {
        s3_arn(config.versioned(k, "*")) for k in LAYOUT_KEYS
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
    # s3:GetObjectVersion exists only to make the manifest pin work, and only then.
    assert ("s3:GetObjectVersion" in granted) == pinned


@pytest.mark.parametrize("version", ["", "2026-11-26", "v3.1_rc-2"])
def test_role_allows_every_key_the_function_reads(version: str) -> None:
    settings = config.load({"S3_BUCKET": BUCKET, "MODEL_VERSION": version})
    keys = [settings.manifest.key, *(settings.key(name) for name in config.ARTIFACTS)]
    patterns = granted_resources({"ArtifactBucket": BUCKET, "ModelVersion": version})
    for key in keys:
        assert any(iam_allows(p, s3_arn(key)) for p in patterns), key


@pytest.mark.parametrize(
    "key",
    [
        "models/report.html",
        "models/v1/notes.txt",
        "processed/other.csv",
        "raw/HouseTS.csv",
        "data/models/model.pkl",
        "manifest.json",
    ],
)
def test_role_allows_nothing_else_in_the_bucket(key: str) -> None:
    patterns = granted_resources(ON)
    assert not any(iam_allows(p, s3_arn(key)) for p in patterns)
    assert not any(iam_allows(p, f"arn:aws:s3:::other-bucket/{LAYOUT_KEYS[0]}") for p in patterns)


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
    pairs = {"MAX_RECORDS": "MaxRecords", "METRICS_NAMESPACE": "MetricsNamespace"}
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
    ("parameters", "provisioned"), [({"ArtifactBucket": BUCKET}, None), (ON, 2)]
)
def test_provisioned_concurrency_is_off_at_zero(
    parameters: dict[str, str], provisioned: int | None
) -> None:
    resolved = Resolved(parameters)
    alias = resolved.resource(f"{FUNCTION}Aliaslive")["Properties"]
    # Only this property: the alias's FunctionVersion exists once deployed.
    setting = resolved(alias.get("ProvisionedConcurrencyConfig", {"Ref": "AWS::NoValue"}))
    got = None if setting is None else int(setting["ProvisionedConcurrentExecutions"])
    assert got == provisioned


@pytest.mark.parametrize(
    ("parameters", "snapstart", "provisioned"),
    [
        ({"ArtifactBucket": BUCKET}, True, None),  # the default: SnapStart on
        ({"ArtifactBucket": BUCKET, "SnapStart": "None"}, False, None),
        ({"ArtifactBucket": BUCKET, "ProvisionedConcurrency": "3"}, False, 3),  # PC wins
        ({"ArtifactBucket": BUCKET, "SnapStart": "None", "ProvisionedConcurrency": "3"}, False, 3),
    ],
)
def test_snapstart_and_provisioned_concurrency_are_never_on_together(
    parameters: dict[str, str], snapstart: bool, provisioned: int | None
) -> None:
    resolved = Resolved(parameters)
    function = resolved.resource(FUNCTION)["Properties"]
    setting = resolved(function.get("SnapStart", {"Ref": "AWS::NoValue"}))
    assert (setting == {"ApplyOn": "PublishedVersions"}) is snapstart
    assert setting in (None, {"ApplyOn": "PublishedVersions"})
    alias = resolved.resource(f"{FUNCTION}Aliaslive")["Properties"]
    pc = resolved(alias.get("ProvisionedConcurrencyConfig", {"Ref": "AWS::NoValue"}))
    assert (None if pc is None else int(pc["ProvisionedConcurrentExecutions"])) == provisioned
    assert not (snapstart and provisioned)


def test_snapstart_parameter_and_its_limits() -> None:
    """Lambda refuses SnapStart with EFS or more than 512 MB of /tmp: the function has neither."""
    template = sam_source()
    parameter = template["Parameters"]["SnapStart"]
    assert parameter["Default"] == "PublishedVersions"
    assert parameter["AllowedValues"] == ["PublishedVersions", "None"]
    properties = template["Resources"][FUNCTION]["Properties"]
    assert "FileSystemConfigs" not in properties
    assert properties.get("EphemeralStorage", {"Size": 512})["Size"] <= 512
    assert properties["AutoPublishAlias"] == "live"  # SnapStart applies to published versions


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


def test_log_groups_have_retention_and_the_function_uses_its_own() -> None:
    resources = sam_source()["Resources"]
    for name in ("PredictFunctionLogGroup", "HttpApiAccessLogGroup"):
        assert resources[name]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    logging = resources[FUNCTION]["Properties"]["LoggingConfig"]
    assert logging["LogGroup"] == {"Ref": "PredictFunctionLogGroup"}


@pytest.mark.parametrize("name", ["off", "on"])
def test_alarms_and_deployment_preference(name: str) -> None:
    parameters = PARAMETER_SETS[name]
    resolved = Resolved(parameters)
    alarms = {
        logical
        for logical, resource in resolved.template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and resolved.condition(resource.get("Condition", "CreateAlarms"))
    }
    group = resolved(resolved.resource(f"{FUNCTION}DeploymentGroup")["Properties"])
    assert (
        group["DeploymentConfigName"] == f"CodeDeployDefault.Lambda{parameters['DeploymentType']}"
    )
    rollback_alarms = {a["Name"] for a in group["AlarmConfiguration"].get("Alarms", [])}
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
