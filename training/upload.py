"""Publish a trained artifact tree to S3 under the layout's keys, manifest last."""

from __future__ import annotations

import argparse
import json
import mimetypes
from pathlib import Path
from typing import Any

from predict_fn import config

# The training report (training/report.py) in a trained tree, and the top folder of its
# keys in the bucket: for people, so the function's read policy never covers it.
REPORT_DIR = "report"
REPORT_INDEX = f"{REPORT_DIR}/index.html"


def parse_s3_uri(uri: str) -> str:
    """'s3://bucket' → 'bucket' (an argparse type). No key prefix: the function derives
    every key from the layout and the model version, so a prefix would publish where
    nothing reads."""
    bucket = uri.removeprefix("s3://").rstrip("/")
    if not uri.startswith("s3://") or not bucket or "/" in bucket:
        raise argparse.ArgumentTypeError(f"not an s3://BUCKET URI (no key prefix): {uri!r}")
    return bucket


def _put(client: Any, bucket: str, key: str, body: Any, **extra: str) -> str | None:
    # put_object, not upload_file: only its response carries the new object's VersionId.
    response = client.put_object(Bucket=bucket, Key=key, Body=body, **extra)
    version_id = response.get("VersionId")
    return str(version_id) if version_id else None


def upload_tree(
    local_dir: Path, bucket: str, client: Any, version: str | None = None
) -> dict[str, str | None]:
    """Upload the four artifacts, the training report if the tree holds one, then a manifest
    recording each artifact's S3 key and VersionId (and the report's key).

    The manifest goes last, so a reader that sees it finds every file it names. On a
    bucket with versioning, the VersionIds it records are what a ManifestVersionId pin
    makes the function read. Returns S3 key → VersionId (None on an unversioned bucket),
    in upload order.
    """
    manifest = json.loads((local_dir / config.MANIFEST_KEY).read_text())
    if version and manifest.get("version") != version:
        # The function refuses a manifest of another version; fail before replacing anything.
        raise ValueError(f"{local_dir} holds version {manifest.get('version')!r}, not {version!r}")
    uploaded: dict[str, str | None] = {}
    for name, rel in config.ARTIFACTS.items():
        key = config.versioned(rel, version)
        with (local_dir / rel).open("rb") as body:
            uploaded[key] = _put(client, bucket, key, body)
        entry = manifest["artifacts"][name]
        entry["key"] = key
        if uploaded[key]:
            entry["version_id"] = uploaded[key]
    report = local_dir / REPORT_DIR
    for path in sorted(p for p in report.iterdir() if p.is_file()) if report.is_dir() else ():
        rel = f"{REPORT_DIR}/{path.name}"
        key = config.versioned(rel, version)
        # A content type, so a browser given the object's URL shows it instead of saving it.
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as body:
            uploaded[key] = _put(client, bucket, key, body, ContentType=content_type)
        if rel == REPORT_INDEX:
            manifest["report"] = key
    key = config.versioned(config.MANIFEST_KEY, version)
    text = json.dumps(manifest, indent=2, allow_nan=False) + "\n"
    uploaded[key] = _put(client, bucket, key, text.encode())
    return uploaded
