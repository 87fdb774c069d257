from __future__ import annotations

from pathlib import Path

import pytest

from predict_fn import config

SEED_LAYOUT = {
    "model": "models/model.pkl",
    "freq_encoder": "models/freq_encoder.pkl",
    "target_encoder": "models/target_encoder.pkl",
    "train_features": "processed/feature_engineered_train.csv",
}


def test_defaults_match_the_seed_layout() -> None:
    s = config.load({"S3_BUCKET": "b"})
    assert {name: s.key(name) for name in config.ARTIFACTS} == SEED_LAYOUT
    assert (s.manifest.key, s.manifest.version_id) == ("models/manifest.json", None)
    assert s.artifact_dir == Path("/tmp/ml_artifacts")
    assert (s.max_records, s.log_event, s.model_sha256, s.model_version) == (
        1000,
        False,
        None,
        None,
    )


def test_a_version_goes_below_each_top_folder() -> None:
    s = config.load({"S3_BUCKET": "b", "MODEL_VERSION": "2026-11-26"})
    assert s.key("model") == "models/2026-11-26/model.pkl"
    assert s.key("train_features") == "processed/2026-11-26/feature_engineered_train.csv"
    assert s.manifest.key == "models/2026-11-26/manifest.json"


def test_overrides_and_the_manifest_pin() -> None:
    s = config.load(
        {
            "S3_BUCKET": "b",
            "MANIFEST_VERSION_ID": " abc ",
            "MAX_RECORDS": "5",
            "LOG_EVENT": "TRUE",
            "MODEL_SHA256": "AB" * 32,
        }
    )
    assert s.manifest.version_id == "abc"
    assert (s.max_records, s.log_event, s.model_sha256) == (5, True, "ab" * 32)


def test_empty_variables_mean_unset() -> None:
    """The template sets every variable, empty when the deployer chose nothing."""
    s = config.load(
        {"S3_BUCKET": "b", "MODEL_VERSION": "", "MODEL_SHA256": " ", "MANIFEST_VERSION_ID": ""}
    )
    assert (s.model_version, s.model_sha256, s.manifest_version_id) == (None, None, None)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"S3_BUCKET": "  "},
        {"S3_BUCKET": "b", "MAX_RECORDS": "x"},
        {"S3_BUCKET": "b", "MAX_RECORDS": "0"},
        {"S3_BUCKET": "b", "MODEL_VERSION": "../../etc"},
    ],
)
def test_unusable_environment_is_a_config_error(env: dict[str, str]) -> None:
    with pytest.raises(config.ConfigError):
        config.load(env)
