"""Environment → one immutable Settings object, read once per container.

The artifact layout lives here and nowhere else. Training writes a tree with these
relative keys (a trained folder mirrors the unversioned S3 layout); a published
version goes below each key's top folder; the function derives every key it reads
from MODEL_VERSION alone, and template.yaml's read policy grants exactly these keys
(tests/static/test_template.py holds the two together).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

MANIFEST_KEY: Final = "models/manifest.json"
MODEL_KEY: Final = "models/model.pkl"
FREQ_ENCODER_KEY: Final = "models/freq_encoder.pkl"
TARGET_ENCODER_KEY: Final = "models/target_encoder.pkl"
TRAIN_FEATURES_KEY: Final = "processed/feature_engineered_train.csv"
# What the manifest lists (its `artifacts` table): name → key in the unversioned tree.
ARTIFACTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "model": MODEL_KEY,
        "freq_encoder": FREQ_ENCODER_KEY,
        "target_encoder": TARGET_ENCODER_KEY,
        "train_features": TRAIN_FEATURES_KEY,
    }
)
# Unpickled, so digest-checked first; train_features is only read for its header.
PICKLES: Final = ("model", "freq_encoder", "target_encoder")

# Lambda's only writable disk; not a deployment choice, so not a template parameter.
ARTIFACT_DIR: Final = "/tmp/ml_artifacts"
MAX_RECORDS: Final = 1000
# Records per request with `explain`: TreeSHAP costs far more than a prediction. An env
# var only: the template's parameters are at the project's ceiling (issue 10).
MAX_EXPLAIN_RECORDS: Final = 100
# Batch scoring (predict_fn/batch.py, statemachine/batch.asl.yaml) in the artifact bucket:
# the state machine reads CSVs under the input prefix, the batch function writes each
# run's parts under OUTPUT_PREFIX/<execution name>/, and the roles grant only these.
BATCH_INPUT_PREFIX: Final = "batch/input/"
BATCH_OUTPUT_PREFIX: Final = "batch/output/"
# Each output part's columns, one line per input row: its prediction or its error.
BATCH_OUTPUT_COLUMNS: Final = ("row", "zipcode", "date", "prediction", "error")
# Rows per Distributed Map batch (the template's BatchSize default, and `make batch`'s).
# A HouseTS row is ~1.1 KB as a JSON item: 200 of them stay under the 256 KiB batch input.
BATCH_SIZE: Final = 200
# Used when POWERTOOLS_METRICS_NAMESPACE is unset: a metric flush without a namespace
# raises, which would turn every response into a Lambda error.
METRICS_NAMESPACE: Final = "HouseTS"

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
    model_version: str | None
    model_sha256: str | None
    # Pins the manifest object; the artifacts are then read at the VersionIds it records.
    manifest_version_id: str | None
    artifact_dir: Path
    max_records: int
    max_explain_records: int
    log_event: bool

    @property
    def manifest(self) -> ArtifactRef:
        return ArtifactRef(
            "manifest", versioned(MANIFEST_KEY, self.model_version), self.manifest_version_id
        )

    def key(self, name: str) -> str:
        """S3 key of the artifact `name` (a key of ARTIFACTS) for the configured version."""
        return versioned(ARTIFACTS[name], self.model_version)


def versioned(key: str, model_version: str | None) -> str:
    """'models/model.pkl' → 'models/<version>/model.pkl'.

    The version goes below the top folder, so one set of key patterns in the function's
    read policy covers every published version and the policy need not change (and cut
    off the version still serving) when a deploy promotes another.
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


def _positive_int(env: Mapping[str, str], var: str, default: int) -> int:
    raw = env.get(var) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{var} must be an integer, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{var} must be >= 1, got {value}")
    return value


def _optional(env: Mapping[str, str], var: str) -> str | None:
    # The template sets every variable, empty when the deployer chose nothing.
    return (env.get(var) or "").strip() or None


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; raises ConfigError when S3_BUCKET is missing."""
    env = os.environ if env is None else env
    bucket = env.get("S3_BUCKET", "").strip()
    if not bucket:
        raise ConfigError("S3_BUCKET is not set")
    version = _optional(env, "MODEL_VERSION")
    sha = _optional(env, "MODEL_SHA256")
    return Settings(
        bucket=bucket,
        model_version=model_version(version) if version else None,
        model_sha256=sha.lower() if sha else None,
        manifest_version_id=_optional(env, "MANIFEST_VERSION_ID"),
        artifact_dir=Path(env.get("ARTIFACT_DIR") or ARTIFACT_DIR),
        max_records=_positive_int(env, "MAX_RECORDS", MAX_RECORDS),
        max_explain_records=_positive_int(env, "MAX_EXPLAIN_RECORDS", MAX_EXPLAIN_RECORDS),
        log_event=(env.get("LOG_EVENT") or "false").strip().lower() == "true",
    )


def metrics_namespace(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("POWERTOOLS_METRICS_NAMESPACE") or METRICS_NAMESPACE


def tracing_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Powertools' own switch; off unless the template turns X-Ray tracing on."""
    env = os.environ if env is None else env
    return (env.get("POWERTOOLS_TRACE_DISABLED") or "true").strip().lower() == "false"
