"""Acceptance 2.2 and 2.5 on the real HouseTS sample (present in CI, absent in users' clones)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import BUCKET, REAL_SAMPLE, ROOT, http_event, to_records, upload

from predict_fn import config

pytestmark = pytest.mark.skipif(not REAL_SAMPLE.exists(), reason=f"{REAL_SAMPLE} not present")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    from training import pipeline

    out = tmp_path_factory.mktemp("real")
    result = pipeline.train(pipeline.read_housets(REAL_SAMPLE))
    pipeline.write_artifacts(result, out, REAL_SAMPLE.name)
    return out, result


def test_served_predictions_equal_training_predictions(
    real_run, s3, fresh_app, invoke, demo_records
):
    out, result = real_run
    upload(s3, out, BUCKET)  # replaces the demo artifacts the s3 fixture uploaded
    app = fresh_app()
    records = to_records(result.evaluation)
    served: list[float] = []
    for start in range(0, len(records), 100):  # batches of different sizes and compositions
        batch = records[start : start + 100]
        status, body = invoke(app, http_event("POST", "/predict", {"records": batch}))
        assert status == 200, body
        assert body["count"] == len(batch) == len(body["predictions"])
        assert body["actuals"] == [r["price"] for r in batch]
        served.extend(body["predictions"])
    assert len(served) == len(result.evaluation) > 100
    np.testing.assert_allclose(served, result.eval_predictions, rtol=0, atol=1e-9)
    assert all(type(p) is float for p in served)


def test_training_cli_on_real_sample(tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    proc = subprocess.run(
        [sys.executable, "-m", "training", "--data", str(REAL_SAMPLE), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "MAE" in proc.stdout and "RMSE" in proc.stdout and "MAPE" in proc.stdout
    assert "baseline_city_median" in proc.stdout
    manifest = json.loads((out / config.MANIFEST_KEY).read_text())
    for name, entry in manifest["artifacts"].items():
        data = (out / entry["key"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert len(data) == entry["bytes"]
    assert set(manifest["artifacts"]) == {
        "model",
        "freq_encoder",
        "target_encoder",
        "train_features",
    }
    header = (out / config.TRAIN_FEATURES_KEY).read_text().split("\n", 1)[0].split(",")
    assert header == manifest["features"]
    assert set(manifest["metrics"]) == {"model", "baseline_city_median"}
    assert set(manifest["metrics"]["model"]) == {"mae", "rmse", "mape", "r2"}
    assert manifest["training"]["date_max"] < manifest["evaluation"]["date_min"]
    assert manifest["libraries"]["lightgbm"]
