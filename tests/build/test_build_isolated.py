"""The build output alone serves every event, in a bare python3.13 laid out like Lambda.

No project venv: a fresh `python3.13 -I -S` whose sys.path is the built function root,
the two layers' python/ folders (/opt/python) and the runtime's boto3; LD_LIBRARY_PATH
is the layers' lib/ (/opt/lib); S3 is a moto_server on a loopback port.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from build_output import Build
from support import ROOT, upload

from local.template import function_environment, read_app, read_env_vars
from scripts.export_requirements import RUNTIME_PROVIDED

pytestmark = pytest.mark.build

EVENTS_DIR = ROOT / "events"
HOST = Path(__file__).with_name("lambda_host.py")
REGION = "us-east-1"


def bare_python() -> Path:
    """The interpreter behind the dev venv; -I -S keeps every site-packages off its path."""
    assert sys.version_info[:2] == (3, 13), "the Lambda runtime is python3.13"
    return Path(sys.base_prefix) / "bin" / "python3.13"


def run_bare(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(bare_python()), "-I", "-S", *args],
        env={"PATH": os.defpath, "LANG": "C.UTF-8", "TZ": ":UTC", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.fixture(scope="session")
def runtime_boto3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stands in for /var/runtime: the dev env's boto3 and its dependencies, linked."""
    root = tmp_path_factory.mktemp("var_runtime")
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        assert spec and spec.origin, name
        (root / name).symlink_to(Path(spec.origin).parent, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not listen on 127.0.0.1:{port}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def function_config(template: Path) -> tuple[str, dict[str, str]]:
    """Handler and environment as `sam local invoke --env-vars events/env.json` sets them
    (parameter defaults, conditions and !If resolved as local/template.py does)."""
    function = read_app(template).functions["PredictFunction"]
    overrides = read_env_vars(EVENTS_DIR / "env.json")
    return function.handler, function_environment(function, overrides, {})


def lambda_env(build: Build) -> dict[str, str]:
    return {
        "LD_LIBRARY_PATH": ":".join(map(str, build.lib_dirs)),
        "LAMBDA_TASK_ROOT": str(build.function),
        "AWS_LAMBDA_FUNCTION_NAME": "PredictFunction",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }


def test_layers_alone_import_and_predict(build: Build, trained_artifacts: Path):
    """The pruned, bytecode-only layers unpickle the trained LGBMRegressor and run its
    booster, as serving does, with no scikit-learn anywhere on the path."""
    code = (
        "import importlib.util, json, sys; sys.path[:0] = json.loads(sys.argv[1])\n"
        "import numpy, pandas, lightgbm, joblib, scipy\n"
        "model = joblib.load(sys.argv[2])\n"
        "rows = numpy.zeros((3, model.n_features_in_))\n"
        "print(json.dumps({\n"
        "    'kind': type(model).__name__,\n"
        "    'predictions': model.booster_.predict(rows, num_threads=1).tolist(),\n"
        "    'sklearn_findable': importlib.util.find_spec('sklearn') is not None,\n"
        "    'sklearn_seen_by_lightgbm': lightgbm.compat.SKLEARN_INSTALLED,\n"
        "    'sklearn_modules': [m for m in sys.modules if m.split('.')[0] == 'sklearn'],\n"
        "}))\n"
    )
    layers = json.dumps([str(layer / "python") for layer in build.layers])
    model = str(trained_artifacts / "models" / "model.pkl")
    result = run_bare(["-W", "error", "-c", code, layers, model], lambda_env(build))
    out = json.loads(result.stdout)
    assert out["kind"] == "LGBMRegressor"
    predictions = out["predictions"]
    assert len(predictions) == 3 and all(p == p for p in predictions)
    # Serving needs no scikit-learn: the layers do not ship it (nor does lightgbm
    # import it), and unpickling without it warns about nothing (-W error).
    assert not out["sklearn_findable"]
    assert not out["sklearn_seen_by_lightgbm"]
    assert out["sklearn_modules"] == []


def test_build_output_serves_every_event(
    build: Build,
    runtime_boto3: Path,
    moto_endpoint: str,
    trained_artifacts: Path,
    tmp_path: Path,
):
    handler, env = function_config(build.root / "template.yaml")
    env.update(
        lambda_env(build),
        AWS_ENDPOINT_URL_S3=moto_endpoint,
        ARTIFACT_DIR=str(tmp_path / "ml_artifacts"),
    )
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION)
    s3.create_bucket(Bucket=env["S3_BUCKET"])
    upload(s3, trained_artifacts, env["S3_BUCKET"])

    expected: dict[str, int] = json.loads((EVENTS_DIR / "expected.json").read_text())
    allowed = [*map(str, build.python_dirs), str(runtime_boto3)]
    spec = {
        "path": allowed,
        "handler": handler,
        "events": {name: str(EVENTS_DIR / name) for name in expected},
        "out": str(tmp_path / "out.json"),
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    run_bare([str(HOST), str(tmp_path / "spec.json")], env)
    out: dict[str, Any] = json.loads((tmp_path / "out.json").read_text())

    statuses = {name: response["status"] for name, response in out["responses"].items()}
    assert statuses == expected, {
        n: out["responses"][n]["body"] for n in statuses if statuses[n] != expected[n]
    }
    assert out["foreign_modules"] == []
    native_roots = (*allowed, *map(str, build.lib_dirs))
    assert [
        so
        for so in out["shared_objects"]
        if "site-packages" in so and not so.startswith(native_roots)
    ] == []
    # The shipped OpenMP runtime, not one the host happens to have.
    assert str(build.ml / "lib" / "libgomp.so.1") in out["shared_objects"]
    # Serving imports no scikit-learn (an installed one costs ~0.6 s of cold start).
    assert out["sklearn_modules"] == []
