"""Upload a trained artifact tree to S3 under the same relative keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from predict_fn import config

# The manifest goes last: a reader that sees the new manifest finds every file it names.
_ORDER = (
    config.MODEL_KEY,
    config.FREQ_ENCODER_KEY,
    config.TARGET_ENCODER_KEY,
    config.TRAIN_FEATURES_KEY,
    config.MANIFEST_KEY,
)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """'s3://bucket/some/prefix' → ('bucket', 'some/prefix')."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise ValueError(f"not an s3://BUCKET[/PREFIX] URI: {uri!r}")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix.strip("/")


def upload_tree(
    local_dir: Path, bucket: str, prefix: str, client: Any, version: str | None = None
) -> list[str]:
    """Upload the five artifacts (under `<top>/<version>/` when versioned), manifest last."""
    keys = []
    for rel in _ORDER:
        key = config.versioned(rel, version)
        key = f"{prefix}/{key}" if prefix else key
        client.upload_file(str(local_dir / rel), bucket, key)
        keys.append(key)
    return keys
