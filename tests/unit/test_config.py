from __future__ import annotations

from pathlib import Path

import pytest

from predict_fn import config


def test_defaults_match_the_seed_layout() -> None:
    s = config.load({"S3_BUCKET": "b"})
    assert (s.model.key, s.freq_encoder.key, s.target_encoder.key) == (
        "models/model.pkl",
        "models/freq_encoder.pkl",
        "models/target_encoder.pkl",
    )
    assert s.train_features.key == "processed/feature_engineered_train.csv"
    assert s.manifest.key == "models/manifest.json"
    assert s.artifact_dir == Path("/tmp/ml_artifacts")
    assert (s.max_records, s.log_event, s.model_sha256) == (1000, False, None)


def test_overrides_and_version_pins() -> None:
    s = config.load(
        {
            "S3_BUCKET": "b",
            "MODEL_KEY": "models/v2/model.pkl",
            "MODEL_VERSION_ID": "abc",
            "MAX_RECORDS": "5",
            "LOG_EVENT": "TRUE",
            "MODEL_SHA256": "AB" * 32,
        }
    )
    assert (s.model.key, s.model.version_id) == ("models/v2/model.pkl", "abc")
    assert s.freq_encoder.version_id is None
    assert (s.max_records, s.log_event, s.model_sha256) == (5, True, "ab" * 32)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"S3_BUCKET": "  "},
        {"S3_BUCKET": "b", "MAX_RECORDS": "x"},
        {"S3_BUCKET": "b", "MAX_RECORDS": "0"},
    ],
)
def test_unusable_environment_is_a_config_error(env: dict[str, str]) -> None:
    with pytest.raises(config.ConfigError):
        config.load(env)
