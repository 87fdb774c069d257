"""The build output alone serves every event, in a bare python3.13 laid out like Lambda.

No project venv: local.runner's isolated container, a fresh `python3.13 -I -S` whose
sys.path is the built function root, the two layers' python/ folders (/opt/python) and
the runtime's boto3; LD_LIBRARY_PATH is the layers' lib/ (/opt/lib); the environment is
what SAM CLI resolves from the built template and events/env.json; S3 is moto_server.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from build_output import Build
from support import ROOT

from local import sam
from local.runner import Container, Layout, bare_python
from local.s3 import BUCKET, MotoServer, client, local_s3_env_vars, moto_server, seed

pytestmark = pytest.mark.build

EVENTS_DIR = ROOT / "events"


@pytest.fixture(scope="module")
def moto(trained_artifacts: Path) -> Iterator[MotoServer]:
    with moto_server() as server:
        seed(client(server.endpoint), BUCKET, trained_artifacts)
        yield server


def layout(build: Build, moto: MotoServer) -> Layout:
    """As `sam local invoke --env-vars events/env.json` sets it up, pointed at moto."""
    env_vars = local_s3_env_vars(json.loads((EVENTS_DIR / "env.json").read_text()), moto.endpoint)
    config = sam.function_config(build.root / "template.yaml", "PredictFunction", env_vars)
    return Layout.of(config, isolated=True)


def test_layers_alone_import_and_predict(build: Build, moto: MotoServer, trained_artifacts: Path):
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
    lambda_layout = layout(build, moto)
    layers = json.dumps([str(p) for p in lambda_layout.path[1:]])
    model = str(trained_artifacts / "models" / "model.pkl")
    env = {"LD_LIBRARY_PATH": ":".join(map(str, lambda_layout.libraries)), "PATH": os.defpath}
    result = subprocess.run(
        [str(bare_python()), "-I", "-S", "-W", "error", "-c", code, layers, model],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout)
    assert out["kind"] == "LGBMRegressor"
    predictions = out["predictions"]
    assert len(predictions) == 3 and all(p == p for p in predictions)
    # Serving needs no scikit-learn: the layers do not ship it (nor does lightgbm
    # import it), and unpickling without it warns about nothing (-W error).
    assert not out["sklearn_findable"]
    assert not out["sklearn_seen_by_lightgbm"]
    assert out["sklearn_modules"] == []


def foreign(module: str, allowed: list[str], stdlib: list[str]) -> bool:
    """A module file from outside the Lambda layout: the test would not prove isolation."""
    if module.startswith(tuple(root + "/" for root in allowed)):
        return False
    return "site-packages" in module or not module.startswith(tuple(r + "/" for r in stdlib))


def test_build_output_serves_every_event(build: Build, moto: MotoServer, tmp_path: Path):
    expected: dict[str, int] = json.loads((EVENTS_DIR / "expected.json").read_text())
    with (tmp_path / "function.log").open("w") as log:
        container = Container(layout(build, moto), stderr=log)
        try:
            assert container.first["ok"], container.first
            responses: dict[str, Any] = {}
            for name in expected:
                event = json.loads((EVENTS_DIR / name).read_text())
                reply = container.invoke(event, name, time.monotonic() + 60)
                assert "payload" in reply, reply
                responses[name] = json.loads(reply["payload"])
            loaded = container.inspect()
        finally:
            container.close()
    statuses = {name: response["statusCode"] for name, response in responses.items()}
    assert statuses == expected, {
        n: responses[n]["body"] for n in statuses if statuses[n] != expected[n]
    }

    allowed = [str(p) for p in (*container.layout.path, container.scratch / "runtime")]
    stdlib = [entry for entry in loaded["path"] if entry and entry not in allowed]
    assert [m for m in loaded["modules"] if foreign(m, allowed, stdlib)] == []
    shared = loaded["shared_objects"]
    native_roots = (*allowed, *map(str, build.lib_dirs))
    assert [so for so in shared if "site-packages" in so and not so.startswith(native_roots)] == []
    # The shipped OpenMP runtime, not one the host happens to have.
    assert str(build.ml / "lib" / "libgomp.so.1") in shared
    # Serving imports no scikit-learn (an installed one costs ~0.6 s of cold start), and no
    # pydantic: the routes' response types are plain typing, never validated in Lambda.
    for package in ("sklearn", "pydantic"):
        assert [m for m in loaded["modules"] if f"/{package}/" in m] == []
