"""Environment → one immutable Settings object, read once per container.

The default artifact keys live here and nowhere else: training writes its output
tree with these relative paths, so a trained folder mirrors the S3 layout.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MODEL_KEY = "models/model.pkl"
FREQ_ENCODER_KEY = "models/freq_encoder.pkl"
TARGET_ENCODER_KEY = "models/target_encoder.pkl"
TRAIN_FEATURES_KEY = "processed/feature_engineered_train.csv"
MANIFEST_KEY = "models/manifest.json"
ARTIFACT_DIR = "/tmp/ml_artifacts"
MAX_RECORDS = 1000
# Used when POWERTOOLS_METRICS_NAMESPACE is unset: a metric flush without a namespace
# raises, which would turn every response into a Lambda error.
METRICS_NAMESPACE = "HouseTS"


_VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ConfigError(ValueError):
    """The function's environment is unusable (a deployment mistake, not a client one)."""


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """Where one artifact lives in S3, and which object version to read if pinned."""

    name: str
    key: str
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    bucket: str
    model: ArtifactRef
    freq_encoder: ArtifactRef
    target_encoder: ArtifactRef
    train_features: ArtifactRef
    manifest: ArtifactRef
    artifact_dir: Path
    model_version: str | None
    model_sha256: str | None
    max_records: int
    log_event: bool

    @property
    def pickles(self) -> tuple[ArtifactRef, ...]:
        return (self.model, self.freq_encoder, self.target_encoder)


def versioned(key: str, model_version: str | None) -> str:
    """'models/model.pkl' → 'models/<version>/model.pkl'.

    The version goes below the top folder so the IAM grant on models/* and processed/*
    still covers every published version.
    """
    if not model_version:
        return key
    top, _, rest = key.partition("/")
    return f"{top}/{model_version}/{rest}" if rest else f"{model_version}/{top}"


def model_version(version: str) -> str:
    """A version is one safe path segment: it becomes part of every artifact key."""
    if not _VERSION_RE.fullmatch(version):
        raise ConfigError(f"model version must match {_VERSION_RE.pattern}, got {version!r}")
    return version


def _ref(
    env: Mapping[str, str], name: str, var: str, default: str, model_version: str | None
) -> ArtifactRef:
    key = versioned(env.get(var) or default, model_version)
    object_version = env.get(var.removesuffix("_KEY") + "_VERSION_ID") or None
    return ArtifactRef(name=name, key=key, version_id=object_version)


def _positive_int(env: Mapping[str, str], var: str, default: int) -> int:
    raw = env.get(var) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{var} must be an integer, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{var} must be >= 1, got {value}")
    return value


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; raises ConfigError when S3_BUCKET is missing."""
    env = os.environ if env is None else env
    bucket = env.get("S3_BUCKET", "").strip()
    if not bucket:
        raise ConfigError("S3_BUCKET is not set")
    sha = (env.get("MODEL_SHA256") or "").strip().lower() or None
    version = (env.get("MODEL_VERSION") or "").strip() or None
    if version:
        model_version(version)
    return Settings(
        bucket=bucket,
        model=_ref(env, "model", "MODEL_KEY", MODEL_KEY, version),
        freq_encoder=_ref(env, "freq_encoder", "FREQ_ENCODER_KEY", FREQ_ENCODER_KEY, version),
        target_encoder=_ref(
            env, "target_encoder", "TARGET_ENCODER_KEY", TARGET_ENCODER_KEY, version
        ),
        train_features=_ref(
            env, "train_features", "TRAIN_FEATURES_KEY", TRAIN_FEATURES_KEY, version
        ),
        manifest=_ref(env, "manifest", "MANIFEST_KEY", MANIFEST_KEY, version),
        artifact_dir=Path(env.get("ARTIFACT_DIR") or ARTIFACT_DIR),
        model_version=version,
        model_sha256=sha,
        max_records=_positive_int(env, "MAX_RECORDS", MAX_RECORDS),
        log_event=(env.get("LOG_EVENT") or "false").strip().lower() == "true",
    )


def metrics_namespace(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("POWERTOOLS_METRICS_NAMESPACE") or METRICS_NAMESPACE


def tracing_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Powertools' own switch; off unless the template turns X-Ray tracing on."""
    env = os.environ if env is None else env
    return (env.get("POWERTOOLS_TRACE_DISABLED") or "true").strip().lower() == "false"
