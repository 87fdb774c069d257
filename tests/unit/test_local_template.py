"""local.template: routes, handler and environment read from SAM templates as `sam local` does."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from support import ROOT

from local.container import import_roots
from local.template import (
    Route,
    TemplateError,
    function_environment,
    ignored_overrides,
    read_app,
    read_env_vars,
)

TEMPLATE = ROOT / "template.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_project_template_routes_and_handler() -> None:
    app = read_app(TEMPLATE)
    assert set(app.routes) == {
        Route("POST", "/predict", "PredictFunction"),
        Route("GET", "/health", "PredictFunction"),
    }
    fn = app.functions["PredictFunction"]
    assert fn.handler == "predict_fn.app.lambda_handler"
    assert fn.code_dir == ROOT / "predict_fn"
    assert fn.layer_dirs == (ROOT / "layers" / "core", ROOT / "layers" / "ml")
    assert fn.runtime == "python3.13"


def test_project_template_parameter_defaults_and_overrides() -> None:
    fn = read_app(TEMPLATE).functions["PredictFunction"]
    assert (fn.timeout, fn.memory) == (30, 1024)
    assert fn.variables["MODEL_KEY"] == "models/model.pkl"
    assert fn.variables["ARTIFACT_DIR"] == "/tmp/ml_artifacts"
    assert fn.variables["S3_BUCKET"] == ""  # no Default: unresolved, as sam local passes it
    assert fn.logging["LogFormat"] == "JSON"

    fn = read_app(TEMPLATE, {"Timeout": "7", "ArtifactBucket": "mine"}).functions["PredictFunction"]
    assert fn.timeout == 7
    assert fn.variables["S3_BUCKET"] == "mine"


def test_unknown_parameter_override_is_refused() -> None:
    with pytest.raises(TemplateError, match="NoSuchParameter"):
        read_app(TEMPLATE, {"NoSuchParameter": "x"})


def test_globals_intrinsics_and_conditions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Parameters:
          Env: {Type: String, Default: dev}
          Origins: {Type: CommaDelimitedList, Default: "a,b"}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          NotProd: !Not [!Condition IsProd]
        Globals:
          Function:
            Timeout: 9
            Runtime: python3.13
            Environment: {Variables: {SHARED: one, OVERRIDDEN: global}}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Environment:
                Variables:
                  OVERRIDDEN: own
                  SUB: !Sub "${Env}-${AWS::Region}-${!Literal}"
                  SUB_LIST: !Sub ["${A}/${Env}", {A: x}]
                  CHOSEN: !If [IsProd, big, small]
                  FLAG: !If [NotProd, true, false]
                  GONE: !If [IsProd, kept, !Ref AWS::NoValue]
                  JOINED: !Join ["|", !Ref Origins]
                  PICKED: !Select [1, !Ref Origins]
                  ARN: !GetAtt Other.Arn
              Events:
                Any: {Type: HttpApi, Properties: {Path: "/items/{id}", Method: any}}
                Default: {Type: HttpApi}
                Rest: {Type: Api, Properties: {Path: /rest, Method: get}}
          ProdOnly:
            Type: AWS::Serverless::Function
            Condition: IsProd
            Properties: {Handler: x.y, CodeUri: src/}
          Other: {Type: AWS::SNS::Topic}
        """,
    )
    app = read_app(path)
    assert set(app.functions) == {"Fn"}
    fn = app.functions["Fn"]
    assert (fn.timeout, fn.memory, fn.runtime) == (9, 128, "python3.13")
    assert fn.code_dir == tmp_path / "src"
    assert fn.variables == {
        "SHARED": "one",
        "OVERRIDDEN": "own",
        "SUB": "dev-us-east-1-${Literal}",
        "SUB_LIST": "x/dev",
        "CHOSEN": "small",
        "FLAG": "true",
        "JOINED": "a|b",
        "PICKED": "b",
        "ARN": "",
    }
    # Only HttpApi events are HTTP API routes; no Path/Method is the $default catch-all.
    assert set(app.routes) == {Route("ANY", "/items/{id}", "Fn"), Route("ANY", "$default", "Fn")}
    assert {r.key for r in app.routes} == {"ANY /items/{id}", "$default"}

    prod = read_app(path, {"Env": "prod"})
    assert set(prod.functions) == {"Fn", "ProdOnly"}
    assert prod.functions["Fn"].variables["GONE"] == "kept"


def test_layers_must_be_local(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Layers: [arn:aws:lambda:us-east-1:123456789012:layer:x:1]
        """,
    )
    with pytest.raises(TemplateError, match="layers defined in the template"):
        read_app(path)


def test_env_vars_priority_like_sam_local(tmp_path: Path) -> None:
    fn = read_app(TEMPLATE).functions["PredictFunction"]
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps(
            {
                "Parameters": {"MODEL_KEY": "all/model.pkl", "MAX_RECORDS": 5},
                "PredictFunction": {"MAX_RECORDS": 7, "LOG_EVENT": True, "UNDECLARED": "x"},
                "OtherFunction": {"S3_BUCKET": "not-for-us"},
            }
        )
    )
    overrides = read_env_vars(env_file)
    shell = {"S3_BUCKET": "from-shell", "MAX_RECORDS": "1", "UNDECLARED": "y"}
    env = function_environment(fn, overrides, shell)
    assert env["S3_BUCKET"] == "from-shell"  # shell beats the template
    assert env["MAX_RECORDS"] == "7"  # the function's section beats Parameters and the shell
    assert env["MODEL_KEY"] == "all/model.pkl"
    assert env["LOG_EVENT"] == "true"  # JSON booleans as sam passes them
    assert env["TRAIN_FEATURES_KEY"] == "processed/feature_engineered_train.csv"
    assert "UNDECLARED" not in env  # sam only overrides declared variables
    assert ignored_overrides(fn, overrides) == ["UNDECLARED"]


def test_project_env_file_is_readable() -> None:
    overrides = read_env_vars(ROOT / "events" / "env.json")
    fn = read_app(TEMPLATE).functions["PredictFunction"]
    assert ignored_overrides(fn, overrides) == []


def test_import_root_for_a_package_codeuri() -> None:
    fn = read_app(TEMPLATE).functions["PredictFunction"]
    # CodeUri predict_fn/ is the package itself (the makefile build nests it), so the
    # source tree imports predict_fn.app from the repository root.
    assert import_roots(fn, from_build=False) == [ROOT]


def test_import_roots_of_a_build(tmp_path: Path) -> None:
    # The shape `sam build` writes: CodeUri and ContentUri point into the build dir.
    path = write(
        tmp_path,
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: Fn
              Handler: pkg.app.handler
              Layers: [!Ref Core]
          Core:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: Core}
        """,
    )
    (tmp_path / "Fn" / "pkg").mkdir(parents=True)
    fn = read_app(path).functions["Fn"]
    assert import_roots(fn, from_build=True) == [tmp_path / "Fn", tmp_path / "Core" / "python"]
    assert import_roots(fn, from_build=False) == [tmp_path / "Fn"]  # the package is inside
