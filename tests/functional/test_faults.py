"""Acceptance 2.4: faults give a logged 503 JSON; the next request after the fix succeeds."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import joblib
import numpy as np
import pytest
from support import BUCKET, http_event

from predict_fn import artifacts, config


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def predict(invoke, app, records):
    return invoke(app, http_event("POST", "/predict", {"records": records}))


def logged(caplog, message: str) -> list:
    return [r for r in caplog.records if r.getMessage() == message]


def check_unavailable(invoke, app, records, caplog, reason: str) -> None:
    status, body = predict(invoke, app, records)
    assert status == 503
    assert body["message"] == "Model unavailable, retry later"
    assert body["request_id"] == "req-1"
    assert "Traceback" not in json.dumps(body)
    failures = logged(caplog, "artifact load failed")
    assert failures and reason in failures[-1].error
    assert failures[-1].levelname == "ERROR"
    assert logged(caplog, "model unavailable")
    health_status, health = invoke(app, http_event("GET", "/health"))
    assert (health_status, health["loaded"]) == (503, False)


def recovers(invoke, app, records) -> None:
    status, body = predict(invoke, app, records)
    assert (status, body["count"]) == (200, len(records))


def test_missing_object(s3, fresh_app, invoke, demo_records, caplog, trained_artifacts):
    s3.delete_object(Bucket=BUCKET, Key=config.TARGET_ENCODER_KEY)
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(2), caplog, "NoSuchKey")
    s3.upload_file(
        str(trained_artifacts / config.TARGET_ENCODER_KEY), BUCKET, config.TARGET_ENCODER_KEY
    )
    recovers(invoke, app, demo_records(2))


def test_missing_bucket_setting(s3, fresh_app, invoke, demo_records, caplog, monkeypatch):
    monkeypatch.delenv("S3_BUCKET")
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(1), caplog, "S3_BUCKET")


def test_s3_unreachable(s3, fresh_app, invoke, demo_records, caplog, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{closed_port()}")
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(1), caplog, "unreachable")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    recovers(invoke, app, demo_records(3))


def test_corrupted_artifact_is_never_unpickled(
    s3, fresh_app, invoke, demo_records, caplog, monkeypatch, trained_artifacts
):
    loads: list[Path] = []
    real_load = artifacts.joblib.load
    monkeypatch.setattr(artifacts.joblib, "load", lambda p: loads.append(p) or real_load(p))
    s3.put_object(Bucket=BUCKET, Key=config.MODEL_KEY, Body=b"\x80\x04 not the model")
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(1), caplog, "does not match manifest")
    assert loads == []
    s3.upload_file(str(trained_artifacts / config.MODEL_KEY), BUCKET, config.MODEL_KEY)
    recovers(invoke, app, demo_records(1))


def test_model_pin_mismatch(s3, fresh_app, invoke, demo_records, caplog, monkeypatch):
    monkeypatch.setenv("MODEL_SHA256", "0" * 64)
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(1), caplog, "differs from pin")


def test_corrupt_manifest(s3, fresh_app, invoke, demo_records, caplog, trained_artifacts):
    s3.put_object(Bucket=BUCKET, Key=config.MANIFEST_KEY, Body=b"{not json")
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(1), caplog, "not JSON")
    s3.upload_file(str(trained_artifacts / config.MANIFEST_KEY), BUCKET, config.MANIFEST_KEY)
    recovers(invoke, app, demo_records(1))


def test_truncated_cached_file_is_replaced(s3, fresh_app, invoke, demo_records, tmp_path):
    """A truncated file in ARTIFACT_DIR fails its digest check, so it is fetched again."""
    cached = tmp_path / "ml_artifacts" / config.MODEL_KEY
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x80\x04truncated")
    app = fresh_app()
    recovers(invoke, app, demo_records(2))
    assert cached.stat().st_size > 1000


def test_feature_order_model_mismatch(
    s3, fresh_app, invoke, demo_records, caplog, trained_artifacts
):
    path = trained_artifacts / config.TRAIN_FEATURES_KEY
    header, rest = path.read_text().split("\n", 1)
    s3.put_object(
        Bucket=BUCKET,
        Key=config.TRAIN_FEATURES_KEY,
        Body=(",".join(header.split(",")[:-1]) + "\n" + rest).encode(),
    )
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(1), caplog, "feature order mismatch")
    s3.upload_file(str(path), BUCKET, config.TRAIN_FEATURES_KEY)
    recovers(invoke, app, demo_records(1))


def publish_model(s3, trained_artifacts: Path, model: Any, scratch: Path) -> None:
    """Upload `model` as model.pkl with a manifest whose digest vouches for it."""
    path = scratch / "published.pkl"
    joblib.dump(model, path)
    manifest = json.loads((trained_artifacts / config.MANIFEST_KEY).read_text())
    manifest["artifacts"]["model"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    s3.upload_file(str(path), BUCKET, config.MODEL_KEY)
    s3.put_object(Bucket=BUCKET, Key=config.MANIFEST_KEY, Body=json.dumps(manifest).encode())


def restore_model(s3, trained_artifacts: Path) -> None:
    for key in (config.MODEL_KEY, config.MANIFEST_KEY):
        s3.upload_file(str(trained_artifacts / key), BUCKET, key)


def test_wrong_object_behind_model_key(
    s3, fresh_app, invoke, demo_records, caplog, trained_artifacts, tmp_path
):
    """A pickle that verifies but is not a fitted model (wrong file promoted) is refused."""
    publish_model(s3, trained_artifacts, {"not": "a model"}, tmp_path)
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(1), caplog, "not a fitted LightGBM")


def other_width_model(trained_artifacts: Path) -> Any:
    """A real fitted LightGBM model, named like ours, whose booster expects 2 features."""
    from lightgbm import LGBMRegressor

    real = joblib.load(trained_artifacts / config.MODEL_KEY)
    rng = np.random.default_rng(0)
    tiny = LGBMRegressor(n_estimators=2, verbose=-1).fit(rng.random((50, 2)), rng.random(50))
    return SimpleNamespace(booster_=tiny.booster_, feature_name_=list(real.feature_name_))


def names_only(trained_artifacts: Path) -> Any:
    real = joblib.load(trained_artifacts / config.MODEL_KEY)
    return SimpleNamespace(booster_={"predict": None}, feature_name_=list(real.feature_name_))


@pytest.mark.parametrize("make_model", [other_width_model, names_only])
def test_model_that_cannot_predict_is_never_served(
    s3, fresh_app, invoke, demo_records, caplog, trained_artifacts, tmp_path, make_model
):
    """Digest-valid, the right attributes, but no prediction: 503 and /health 503 until the
    bucket holds a working model again, then the next request succeeds (same container)."""
    publish_model(s3, trained_artifacts, make_model(trained_artifacts), tmp_path)
    app = fresh_app()
    check_unavailable(invoke, app, demo_records(2), caplog, "probe")
    check_unavailable(invoke, app, demo_records(2), caplog, "probe")  # retried, still refused
    restore_model(s3, trained_artifacts)
    recovers(invoke, app, demo_records(2))
    health_status, health = invoke(app, http_event("GET", "/health"))
    assert (health_status, health["loaded"]) == (200, True)


@pytest.mark.parametrize("body", [{"records": []}, {"records": [{"date": "x"}]}])
def test_bad_input_is_4xx_even_while_unavailable(s3, fresh_app, invoke, monkeypatch, body):
    monkeypatch.delenv("S3_BUCKET")
    app = fresh_app()
    status, _ = invoke(app, http_event("POST", "/predict", body))
    assert status in (400, 422)
