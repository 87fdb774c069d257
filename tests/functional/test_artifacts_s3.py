"""Acceptance 2.1: artifacts come from S3 once per container; the CSV by ranged GET only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import BUCKET, http_event

from predict_fn import artifacts, config
from training.upload import upload_tree


@pytest.fixture
def s3_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every GetObject the function's S3 client sends, with its parameters."""
    calls: list[dict] = []
    real = artifacts.s3_client

    def counting() -> object:
        client = real()
        client.meta.events.register(
            "provide-client-params.s3.GetObject", lambda params, **_: calls.append(dict(params))
        )
        return client

    monkeypatch.setattr(artifacts, "s3_client", counting)
    return calls


def test_each_artifact_fetched_once_per_container(s3, s3_calls, fresh_app, invoke, demo_records):
    app = fresh_app()
    keys = [c["Key"] for c in s3_calls]
    assert sorted(keys) == sorted(
        [
            config.MANIFEST_KEY,
            config.MODEL_KEY,
            config.FREQ_ENCODER_KEY,
            config.TARGET_ENCODER_KEY,
            config.TRAIN_FEATURES_KEY,
        ]
    )
    for n in (1, 5, 1, 20):
        status, body = invoke(app, http_event("POST", "/predict", {"records": demo_records(n)}))
        assert (status, body["count"]) == (200, n)
    invoke(app, http_event("GET", "/health"))
    assert len(s3_calls) == 5, "warm requests must not touch S3"


def test_training_csv_is_read_by_range_only(s3, s3_calls, fresh_app, trained_artifacts: Path):
    fresh_app()
    csv_calls = [c for c in s3_calls if c["Key"] == config.TRAIN_FEATURES_KEY]
    assert [c["Range"] for c in csv_calls] == [f"bytes=0-{artifacts.HEADER_CHUNK - 1}"]
    csv_size = (trained_artifacts / config.TRAIN_FEATURES_KEY).stat().st_size
    assert csv_size > 4 * artifacts.HEADER_CHUNK, "the test CSV must be big enough to matter"
    assert all("Range" not in c for c in s3_calls if c["Key"] != config.TRAIN_FEATURES_KEY)


def test_long_header_takes_more_ranges(
    s3, s3_calls, fresh_app, invoke, trained_artifacts, tmp_path
):
    """A header longer than one range is read in further ranges, still never the body."""
    names = json.loads((trained_artifacts / config.MANIFEST_KEY).read_text())["features"]
    # An extra 64 KiB column name pushes the newline into the second range.
    padded = "x" * (artifacts.HEADER_CHUNK + 100) + "," + ",".join(names)
    s3.put_object(Bucket=BUCKET, Key=config.TRAIN_FEATURES_KEY, Body=(padded + "\n1,2\n").encode())
    app = fresh_app()
    ranges = [c["Range"] for c in s3_calls if c["Key"] == config.TRAIN_FEATURES_KEY]
    assert ranges == [
        f"bytes=0-{artifacts.HEADER_CHUNK - 1}",
        f"bytes={artifacts.HEADER_CHUNK}-{2 * artifacts.HEADER_CHUNK - 1}",
    ]
    status, _ = invoke(app, http_event("GET", "/health"))
    assert status == 503, "a header that is not the model's schema must be refused"


def test_cached_files_reused_only_when_digest_matches(s3, s3_calls, fresh_app, tmp_path):
    fresh_app()
    first = len(s3_calls)
    fresh_app()  # a second cold start in the same sandbox: files in ARTIFACT_DIR are valid
    second = [c["Key"] for c in s3_calls[first:]]
    assert sorted(second) == sorted([config.MANIFEST_KEY, config.TRAIN_FEATURES_KEY])
    cached = tmp_path / "ml_artifacts" / config.MODEL_KEY
    cached.write_bytes(cached.read_bytes()[:1000])  # truncated file left behind
    fresh_app()
    assert config.MODEL_KEY in [c["Key"] for c in s3_calls[first + len(second) :]]
    assert not list(cached.parent.glob("*.part")), "no partial download is left behind"


@pytest.fixture
def versioned_upload(s3, trained_artifacts: Path) -> dict[str, str | None]:
    """The artifacts published again, now to a bucket with versioning on."""
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return upload_tree(trained_artifacts, BUCKET, s3)


def test_upload_records_every_version_id_in_the_manifest(s3, versioned_upload):
    assert list(versioned_upload)[-1] == config.MANIFEST_KEY, "the manifest goes last"
    assert all(versioned_upload.values())
    manifest_version = versioned_upload[config.MANIFEST_KEY]
    body = s3.get_object(Bucket=BUCKET, Key=config.MANIFEST_KEY, VersionId=manifest_version)
    entries = json.loads(body["Body"].read())["artifacts"]
    assert {name: (e["key"], e["version_id"]) for name, e in entries.items()} == {
        name: (key, versioned_upload[key]) for name, key in config.ARTIFACTS.items()
    }


def test_manifest_pin_reads_every_artifact_at_its_recorded_version(
    s3, versioned_upload, s3_calls, fresh_app, invoke, monkeypatch
):
    # A later upload under the same key must not reach a function pinned to this one.
    s3.put_object(Bucket=BUCKET, Key=config.MODEL_KEY, Body=b"a newer, broken model")
    monkeypatch.setenv("MANIFEST_VERSION_ID", versioned_upload[config.MANIFEST_KEY])
    status, health = invoke(fresh_app(), http_event("GET", "/health"))
    assert status == 200, health
    assert {c["Key"]: c.get("VersionId") for c in s3_calls} == versioned_upload


def test_without_the_pin_the_latest_objects_are_read(
    s3, versioned_upload, s3_calls, fresh_app, invoke
):
    s3.put_object(Bucket=BUCKET, Key=config.MODEL_KEY, Body=b"a newer, broken model")
    status, _ = invoke(fresh_app(), http_event("GET", "/health"))
    assert status == 503, "the newer model fails its digest check"
    assert s3_calls and all("VersionId" not in c for c in s3_calls)


def test_pinned_manifest_without_version_ids_is_refused(s3, trained_artifacts, tmp_path):
    """A manifest uploaded to an unversioned bucket names no object versions to pin."""
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    manifest = (trained_artifacts / config.MANIFEST_KEY).read_bytes()
    put = s3.put_object(Bucket=BUCKET, Key=config.MANIFEST_KEY, Body=manifest)
    settings = config.load(
        {
            "S3_BUCKET": BUCKET,
            "MANIFEST_VERSION_ID": put["VersionId"],
            "ARTIFACT_DIR": str(tmp_path / "ml_artifacts"),
        }
    )
    with pytest.raises(artifacts.ArtifactError, match="records no S3 version_id for 'model'"):
        artifacts.load(settings, s3)
