"""SAM CLI's internal, unversioned pieces that local/ drives, checked on the project's template.

SamLocalStackProvider, SamFunctionProvider, ApiProvider, LocalLambdaRunner and
LocalApigwService have no stable API: uv.lock pins SAM CLI, and these tests fail when an
upgrade changes what local/ relies on (what they return, or how a request travels from
the gateway through SAM's runner to local.runner and back).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from samcli.yamlhelper import yaml_parse
from support import ROOT

from local import sam
from local.api import Gateway
from local.runner import Layout

TEMPLATE = ROOT / "template.yaml"
BUILD = ROOT / ".aws-sam" / "build"
# No bucket: the function's init fails on its configuration at once, offline.
NO_S3 = "http://127.0.0.1:9"
ENV_VARS = {"Parameters": {"S3_BUCKET": "", "AWS_ENDPOINT_URL_S3": NO_S3}}


def default(parameter: str) -> Any:
    return yaml_parse(TEMPLATE.read_text())["Parameters"][parameter]["Default"]


@pytest.fixture(scope="module")
def app() -> Iterator[sam.Application]:
    app = sam.read(TEMPLATE, ENV_VARS)
    yield app
    app.runner.local_runtime.close()


def config_of(app: sam.Application) -> Any:
    return app.runner.get_invoke_config(app.runner.get_function("PredictFunction"))


def test_routes_of_the_http_api(app: sam.Application) -> None:
    routes = {
        (r.path, tuple(r.methods), r.function_name, r.event_type, r.payload_format_version)
        for r in app.api.routes
    }
    assert routes == {
        ("/predict", ("POST",), "PredictFunction", "HttpApi", None),
        ("/health", ("GET",), "PredictFunction", "HttpApi", None),
    }
    assert (app.api.stage_name, app.api.binary_media_types) == (None, [])
    assert sam.routed_function(app) == "PredictFunction"


def test_function_as_sam_resolves_it(app: sam.Application) -> None:
    config = config_of(app)
    assert (config.name, config.handler, config.runtime) == (
        "PredictFunction",
        "predict_fn.app.lambda_handler",
        "python3.13",
    )
    assert (config.timeout, config.memory) == (default("Timeout"), default("MemorySize"))
    assert Path(config.code_abs_path) == ROOT / "predict_fn"
    layers = [Path(layer.codeuri).resolve() for layer in config.layers]
    assert layers == [ROOT / "layers" / "core", ROOT / "layers" / "ml"]


def test_environment_as_sam_resolves_it(app: sam.Application) -> None:
    env = config_of(app).env_vars.resolve()
    # Overridden: SAM would pass "ArtifactBucket", its stand-in for a Ref without default.
    assert (env["S3_BUCKET"], env["AWS_ENDPOINT_URL_S3"]) == ("", NO_S3)
    assert env["MAX_RECORDS"] == str(default("MaxRecords"))
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "PredictFunction"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == str(default("Timeout"))
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(default("MemorySize"))


def test_env_vars_file_like_sam_local() -> None:
    """A function's own entry wins over "Parameters"; undeclared names are dropped."""
    env_vars = {**ENV_VARS, "PredictFunction": {"S3_BUCKET": "bucket-f", "NOT_DECLARED": "x"}}
    env = sam.function_config(TEMPLATE, "PredictFunction", env_vars).env_vars.resolve()
    assert env["S3_BUCKET"] == "bucket-f"
    assert "NOT_DECLARED" not in env


def test_source_tree_layout(app: sam.Application) -> None:
    """CodeUri names the package: /var/task is its parent; the layers hold only recipes."""
    layout = Layout.of(config_of(app), isolated=False)
    assert (layout.path, layout.libraries) == ((ROOT,), ())


@pytest.mark.build
@pytest.mark.skipif(not (BUILD / "template.yaml").is_file(), reason="needs `make build`")
def test_build_output_layout() -> None:
    layout = Layout.of(
        sam.function_config(BUILD / "template.yaml", "PredictFunction"), isolated=True
    )
    assert layout.path == (
        BUILD / "PredictFunction",
        BUILD / "CoreLayer" / "python",
        BUILD / "MlLayer" / "python",
    )
    assert BUILD / "MlLayer" / "lib" in layout.libraries
    assert layout.handler == "predict_fn.app.lambda_handler"


def test_a_request_goes_through_sams_gateway_to_our_runner_and_back(app: sam.Application) -> None:
    """GET /health on the real function: it has no bucket, so its own 503 comes back."""
    gateway = Gateway(app.api, app.runner, port=3000)
    gateway.create()
    client = gateway.app.test_client()
    response = client.get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["message"], body["loaded"]) == ("Model not loaded", False)
    assert body["request_id"]
    unrouted = client.post("/health")
    assert (unrouted.status_code, unrouted.get_json()) == (404, {"message": "Not Found"})
