"""Issue 5 acceptance 4: publish versions, promote, roll back — against moto S3."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import joblib
import numpy as np
import pytest
from support import BUCKET, ROOT, http_event, to_records

from predict_fn import config
from predict_fn.artifacts import sha256_file
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
        keys = list(upload_tree(tree, BUCKET, s3, version=version))
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
        # An unversioned bucket: no pin, and any pin a previous deploy set is cleared.
        assert "manifest not pinned" in out
        assert f"'{promote.PIN_PARAMETER}=\"\"'" in out
        check(target)
    v1_preds = serve(monkeypatch, fresh_app, invoke, "v1", records)[1]
    v2_preds = serve(monkeypatch, fresh_app, invoke, "v2", records)[1]
    assert not np.allclose(v1_preds, v2_preds), "the two versions must be different models"


def test_promote_refuses_a_broken_version(published, s3, capsys):
    s3.put_object(Bucket=BUCKET, Key="models/v2/model.pkl", Body=b"not the model")
    code = promote.main(["--version", "v2", "--bucket", BUCKET, "--dry-run"])
    assert code == 1
    assert "refusing to promote v2" in capsys.readouterr().err


def test_promote_refuses_a_model_that_fails_the_probe(versions, s3, capsys, tmp_path):
    """Digests and schema check out, but the model cannot predict: the function's own probe
    refuses it before anything is deployed."""
    tree = shutil.copytree(versions["v1"][0], tmp_path / "v3")
    real = joblib.load(tree / config.MODEL_KEY)
    joblib.dump(
        SimpleNamespace(booster_=None, feature_name_=real.feature_name_), tree / config.MODEL_KEY
    )
    manifest = json.loads((tree / config.MANIFEST_KEY).read_text())
    manifest["version"] = "v3"
    manifest["artifacts"]["model"]["sha256"] = sha256_file(tree / config.MODEL_KEY)
    (tree / config.MANIFEST_KEY).write_text(json.dumps(manifest))
    upload_tree(tree, BUCKET, s3, version="v3")
    assert promote.main(["--version", "v3", "--bucket", BUCKET, "--dry-run"]) == 1
    assert "probe prediction raised" in capsys.readouterr().err


def test_promote_pins_the_manifest_on_a_versioned_bucket(versions, s3, capsys):
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = upload_tree(versions["v1"][0], BUCKET, s3, version="v1")
    again = upload_tree(versions["v1"][0], BUCKET, s3, version="v1")
    manifest_key = "models/v1/manifest.json"
    assert first[manifest_key] != again[manifest_key]

    assert promote.main(["--version", "v1", "--bucket", BUCKET, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"pinned manifest VersionId {again[manifest_key]}" in out
    assert f"{promote.PIN_PARAMETER}={again[manifest_key]}" in out

    # An older upload of the same version, chosen explicitly (a rollback to exact bytes).
    argv = ["--version", "v1", "--bucket", BUCKET, "--dry-run"]
    assert promote.main([*argv, "--manifest-version-id", first[manifest_key]]) == 0
    assert f"{promote.PIN_PARAMETER}={first[manifest_key]}" in capsys.readouterr().out
    assert promote.main([*argv, "--manifest-version-id", "no-such-version"]) == 1
    assert "refusing to promote v1" in capsys.readouterr().err


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
    command = promote.deploy_command(overrides, "prod", "v7", "Wq1.Ab5")
    assert command[:4] == ["sam", "deploy", "--config-env", "prod"]
    assert command[5:] == [
        "ArtifactBucket=b",
        "ModelVersion=v7",
        "MemorySize=2048",
        "ManifestVersionId=Wq1.Ab5",
    ]


def test_deploy_command_is_what_sam_parses() -> None:
    """SAM CLI's own parser reads the overrides, the empty pin included."""
    from samcli.cli.types import CfnParameterOverridesType

    command = promote.deploy_command({"ArtifactBucket": "b"}, "default", "v7", "")
    parsed = CfnParameterOverridesType().convert(tuple(command[5:]), None, None)
    assert parsed == {"ArtifactBucket": "b", "ModelVersion": "v7", "ManifestVersionId": ""}


@pytest.mark.parametrize("uri", ["s3://", "bucket", "s3://bucket/models", "https://bucket"])
def test_upload_takes_a_bucket_and_no_prefix(uri: str, capsys) -> None:
    """The function reads the layout's keys at the bucket's root, so a prefix is refused."""
    from training.__main__ import main

    with pytest.raises(SystemExit):
        main(["--demo", "--out", "unused", "--upload", uri])
    assert "not an s3://BUCKET URI" in capsys.readouterr().err


def test_upload_refuses_a_tree_of_another_version(versions, s3) -> None:
    tree, _ = versions["v1"]
    with pytest.raises(ValueError, match="holds version 'v1', not 'v2'"):
        upload_tree(tree, BUCKET, s3, version="v2")
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="models/v2/")
