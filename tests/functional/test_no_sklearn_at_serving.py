"""Serving never needs scikit-learn: the layers leave it out (it is training-only).

Installed, scikit-learn is imported by every `import lightgbm`, which cost ~0.6 s of
a ~1.2 s cold start; the handler only calls the fitted model's `booster_`. Here a
fresh process makes scikit-learn unimportable before anything else is imported
(`sys.modules["sklearn"] = None`, so lightgbm falls back to its own base classes, as
on Lambda), unpickles the trained LGBMRegressor through predict_fn.app and must
answer every predict event exactly as this process, which has scikit-learn, does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import BUCKET, ROOT

EVENTS_DIR = ROOT / "events"
EXPECTED: dict[str, int] = json.loads((EVENTS_DIR / "expected.json").read_text())
PREDICT_EVENTS = sorted(name for name, status in EXPECTED.items() if name.startswith("predict"))

SERVE_WITHOUT_SKLEARN = """
import sys
sys.modules["sklearn"] = None  # `import sklearn` now raises ImportError
import json, warnings
from pathlib import Path
warnings.simplefilter("always")
spec = json.loads(Path(sys.argv[1]).read_text())
import boto3
from moto import mock_aws
from training.upload import upload_tree
with mock_aws(), warnings.catch_warnings(record=True) as caught:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=spec["bucket"])
    upload_tree(Path(spec["artifacts"]), spec["bucket"], s3)
    import lightgbm
    import predict_fn.app as app
    from support import lambda_context

    responses = {}
    for name in spec["events"]:
        event = json.loads((Path(spec["events_dir"]) / name).read_text())
        response = app.lambda_handler(event, lambda_context())
        responses[name] = [response["statusCode"], json.loads(response["body"])]
Path(spec["out"]).write_text(json.dumps({
    "responses": responses,
    "model_type": type(app.loader.bundle.model).__module__
    + "." + type(app.loader.bundle.model).__name__,
    "sklearn_seen_by_lightgbm": lightgbm.compat.SKLEARN_INSTALLED,
    "sklearn_modules": sorted(
        m for m, mod in sys.modules.items() if m.split(".")[0] == "sklearn" and mod is not None
    ),
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
}))
"""


@pytest.fixture(scope="module")
def served_without_sklearn(trained_artifacts: Path, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("no_sklearn")
    spec = {
        "bucket": BUCKET,
        "artifacts": str(trained_artifacts),
        "events_dir": str(EVENTS_DIR),
        "events": PREDICT_EVENTS,
        "out": str(work / "out.json"),
    }
    (work / "spec.json").write_text(json.dumps(spec))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
        "S3_BUCKET": BUCKET,
        "ARTIFACT_DIR": str(work / "ml_artifacts"),
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_SKLEARN, str(work / "spec.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads((work / "out.json").read_text())


def test_serving_imports_no_scikit_learn(served_without_sklearn):
    out = served_without_sklearn
    assert out["sklearn_modules"] == []
    assert out["sklearn_seen_by_lightgbm"] is False
    # The pickle names lightgbm's class; without scikit-learn it still unpickles, silently.
    assert out["model_type"] == "lightgbm.sklearn.LGBMRegressor"
    noisy = [w for w in out["warnings"] if "sklearn" in w.lower() or "scikit" in w.lower()]
    assert noisy == []


def test_predictions_equal_those_made_with_scikit_learn_installed(
    served_without_sklearn, app_module, invoke
):
    assert "sklearn" in sys.modules, "this process should be the one with scikit-learn"
    responses = served_without_sklearn["responses"]
    assert sorted(responses) == PREDICT_EVENTS
    for name in PREDICT_EVENTS:
        event = json.loads((EVENTS_DIR / name).read_text())
        status, body = invoke(app_module, event)
        assert [status, body["predictions"]] == [
            responses[name][0],
            responses[name][1]["predictions"],
        ], name
        assert status == EXPECTED[name] == 200
