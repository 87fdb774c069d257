"""Issue 5 acceptance 4: publish versions, promote, roll back — against moto S3."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import BUCKET, ROOT, http_event, to_records

from predict_fn import config
from predict_fn.model import predict
from training import demo_data, pipeline, promote
from training.upload import upload_tree


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict[str, tuple[Path, pipeline.TrainResult]]:
    """Two different models, trained once for this module."""
    trained = {}
    for version, seed in (("v1", 11), ("v2", 99)):
        out = tmp_path_factory.mktemp(version)
        result = pipeline.train(demo_data.generate(900, seed=seed))
        pipeline.write_artifacts(result, out, f"demo:{version}", version=version)
        trained[version] = (out, result)
    return trained


@pytest.fixture
def published(s3, versions):
    """v1 and v2 published under models/<v>/ and processed/<v>/ in the bucket."""
    for version, (tree, _) in versions.items():
        keys = upload_tree(tree, BUCKET, "", s3, version=version)
        assert keys[0] == f"models/{version}/model.pkl"
        assert keys[-1] == f"models/{version}/manifest.json"
        assert f"processed/{version}/feature_engineered_train.csv" in keys
    return {version: result for version, (_, result) in versions.items()}


def serve(monkeypatch, fresh_app, invoke, version: str, records) -> tuple[str, list[float]]:
    """What a new container of the function deployed with ModelVersion=`version` answers."""
    monkeypatch.setenv("MODEL_VERSION", version)
    app = fresh_app()
    status, health = invoke(app, http_event("GET", "/health"))
    assert status == 200, health
    status, body = invoke(app, http_event("POST", "/predict", {"records": records}))
    assert status == 200 and body["model"]["version"] == health["model"]["version"]
    return health["model"]["version"], body["predictions"]


def test_promote_and_roll_back(published, monkeypatch, fresh_app, invoke, demo_frame, capsys):
    frame = demo_frame.head(20).drop(columns=["price"])
    records = to_records(frame)
    expected = {v: published[v].bundle for v in ("v1", "v2")}

    def check(version: str) -> None:
        served_version, predictions = serve(monkeypatch, fresh_app, invoke, version, records)
        assert served_version == version
        want = predict(expected[version], frame)
        np.testing.assert_allclose(predictions, want, rtol=0, atol=1e-9)

    check("v1")
    for target in ("v2", "v1"):  # promote, then roll back by promoting the previous version
        code = promote.main(
            [
                "--version",
                target,
                "--bucket",
                BUCKET,
                "--dry-run",
                "--samconfig",
                str(ROOT / "samconfig.toml"),
            ]
        )
        assert code == 0
        out = capsys.readouterr().out
        assert f"verified s3://{BUCKET} version {target}" in out
        assert f"{promote.VERSION_PARAMETER}={target}" in out
        check(target)
    v1_preds = serve(monkeypatch, fresh_app, invoke, "v1", records)[1]
    v2_preds = serve(monkeypatch, fresh_app, invoke, "v2", records)[1]
    assert not np.allclose(v1_preds, v2_preds), "the two versions must be different models"


def test_promote_refuses_a_broken_version(published, s3, capsys):
    s3.put_object(Bucket=BUCKET, Key="models/v2/model.pkl", Body=b"not the model")
    code = promote.main(["--version", "v2", "--bucket", BUCKET, "--dry-run"])
    assert code == 1
    assert "refusing to promote v2" in capsys.readouterr().err


def test_promote_refuses_an_unpublished_version(published, capsys):
    assert promote.main(["--version", "v9", "--bucket", BUCKET, "--dry-run"]) == 1
    assert "NoSuchKey" in capsys.readouterr().err


def test_manifest_of_another_version_is_refused(published, s3, monkeypatch, fresh_app, invoke):
    s3.copy_object(
        Bucket=BUCKET,
        Key="models/v2/manifest.json",
        CopySource={"Bucket": BUCKET, "Key": "models/v1/manifest.json"},
    )
    monkeypatch.setenv("MODEL_VERSION", "v2")
    status, _ = invoke(fresh_app(), http_event("GET", "/health"))
    assert status == 503


def test_deploy_command_keeps_samconfig_overrides(tmp_path: Path) -> None:
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        "version = 0.1\n[prod.deploy.parameters]\n"
        'parameter_overrides = "ArtifactBucket=b ModelVersion=old MemorySize=2048"\n'
    )
    overrides = promote.deploy_overrides(samconfig, "prod")
    command = promote.deploy_command(overrides, "prod", "v7")
    assert command[:4] == ["sam", "deploy", "--config-env", "prod"]
    assert command[5:] == ["ArtifactBucket=b", "ModelVersion=v7", "MemorySize=2048"]


def test_versioned_keys_stay_under_the_granted_prefixes() -> None:
    s = config.load({"S3_BUCKET": "b", "MODEL_VERSION": "2026-11-26"})
    assert s.model.key == "models/2026-11-26/model.pkl"
    assert s.train_features.key == "processed/2026-11-26/feature_engineered_train.csv"
    assert s.manifest.key == "models/2026-11-26/manifest.json"
    with pytest.raises(config.ConfigError):
        config.load({"S3_BUCKET": "b", "MODEL_VERSION": "../../etc"})
