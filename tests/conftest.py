"""Shared fixtures: a demo-trained artifact tree, moto S3 holding it, a fresh handler module."""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pandas as pd
import pytest
from aws_lambda_powertools import Logger
from moto import mock_aws
from support import BUCKET, lambda_context, to_records, upload

from local.host import LambdaContext

# Tests must never reach real AWS: fake credentials and no profile, before boto3 is used.
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_SERVICE_NAME="housets-predict-test",
    # What the runtime sets and local.host's context reads.
    AWS_LAMBDA_FUNCTION_NAME="PredictFunction",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024",
)


@pytest.fixture(name="lambda_context")
def lambda_context_fixture() -> LambdaContext:
    return lambda_context()


@pytest.fixture(scope="session")
def demo_frame() -> pd.DataFrame:
    from training import demo_data

    return demo_data.generate(1200, seed=11)


@pytest.fixture(scope="session")
def trained_artifacts(tmp_path_factory: pytest.TempPathFactory, demo_frame: pd.DataFrame) -> Path:
    """A real artifact tree from the training pipeline on demo data (trained once per run)."""
    from training import pipeline

    out = tmp_path_factory.mktemp("artifacts")
    pipeline.write_artifacts(pipeline.train(demo_frame), out, "demo:test")
    return out


@pytest.fixture
def demo_records(demo_frame: pd.DataFrame) -> Callable[..., list[dict[str, Any]]]:
    def make(n: int = 1, *, with_price: bool = False) -> list[dict[str, Any]]:
        rows = to_records(demo_frame.head(n))
        if not with_price:
            for row in rows:
                row.pop("price")
        return rows

    return make


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trained_artifacts: Path) -> Iterator[Any]:
    """moto S3 with the artifacts uploaded and the function's env pointing at them."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        upload(client, trained_artifacts)
        monkeypatch.setenv("S3_BUCKET", BUCKET)
        monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "ml_artifacts"))
        yield client


@pytest.fixture
def fresh_app() -> Callable[[], ModuleType]:
    """Import predict_fn.app anew: one call is one Lambda cold start (init phase)."""

    def start() -> ModuleType:
        sys.modules.pop("predict_fn.app", None)
        return importlib.import_module("predict_fn.app")

    return start


@pytest.fixture(scope="module")
def warm_app(trained_artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One warm container shared by a module, for tests that must not depend on cold starts."""
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        upload(client, trained_artifacts)
        patch.setenv("S3_BUCKET", BUCKET)
        patch.setenv("ARTIFACT_DIR", str(tmp_path_factory.mktemp("warm")))
        sys.modules.pop("predict_fn.app", None)
        yield importlib.import_module("predict_fn.app")


@pytest.fixture
def app_module(s3: Any, fresh_app: Callable[[], ModuleType]) -> ModuleType:
    return fresh_app()


@pytest.fixture
def invoke(
    lambda_context: LambdaContext,
) -> Callable[..., tuple[int, dict[str, Any]]]:
    """Call a handler module with an event; returns (status, parsed JSON body)."""

    def call(module: ModuleType, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = module.lambda_handler(event, lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return call


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict]]]:
    """The exact text the Powertools handler writes (what CloudWatch receives), parsed as JSON.

    Powertools binds its handler to the sys.stdout of the first Logger in the process, so
    the test points that handler at its own buffer instead of relying on capsys.
    """
    Logger()  # the first Logger of a service installs its handler; later ones reuse it
    service = logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"])
    (handler,) = [h for h in service.handlers if isinstance(h, logging.StreamHandler)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)
