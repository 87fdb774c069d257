"""Acceptance 2.1: artifacts come from S3 once per container; the CSV by ranged GET only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import BUCKET, http_event

from predict_fn import artifacts, config


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


def test_version_id_pin_is_sent(s3, s3_calls, fresh_app, monkeypatch, trained_artifacts):
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    put = s3.put_object(
        Bucket=BUCKET,
        Key=config.MODEL_KEY,
        Body=(trained_artifacts / config.MODEL_KEY).read_bytes(),
    )
    monkeypatch.setenv("MODEL_VERSION_ID", put["VersionId"])
    fresh_app()
    model_calls = [c for c in s3_calls if c["Key"] == config.MODEL_KEY]
    assert model_calls[0]["VersionId"] == put["VersionId"]
