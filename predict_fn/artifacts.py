"""Cold-start path: S3 → ARTIFACT_DIR (verified, atomic) → a loaded Bundle.

Nothing here runs on the warm path. Every pickle's SHA-256 is checked against the
manifest (and the MODEL_SHA256 pin) before it is unpickled, because unpickling runs
code. Only the header of the training-features CSV is read, with ranged GETs, so
cold start does not grow with the training set. With MANIFEST_VERSION_ID set, the
manifest is read at that S3 object version and every artifact at the VersionId the
manifest records (training/upload.py writes them), so one pin fixes all five objects.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import joblib
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from predict_fn import config
from predict_fn.config import ArtifactRef, Settings
from predict_fn.features import Encoders
from predict_fn.model import Bundle

HEADER_CHUNK = 64 * 1024
HEADER_MAX = 4 * 1024 * 1024  # a header longer than this is not a feature order
_STREAM_CHUNK = 1024 * 1024

# Standard retry mode backs off on throttling and 5xx. The timeouts bound a hung S3:
# three attempts of at most 2 s to connect and 5 s between bytes stay well inside the
# 30 s function timeout, so the client gets our 503, not a Lambda timeout.
S3_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
)


class ArtifactError(RuntimeError):
    """The artifacts cannot be served: missing, unreachable, corrupt or inconsistent."""


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """What one artifact fetch did, for the cold-start log line."""

    name: str
    key: str
    version_id: str | None
    etag: str | None
    bytes: int
    sha256: str | None
    digest_ok: bool | None
    cached: bool
    ms: float


@dataclass(frozen=True, slots=True)
class LoadResult:
    bundle: Bundle
    fetches: tuple[FetchRecord, ...]
    load_ms: float


def s3_client() -> Any:
    """S3 client; AWS_ENDPOINT_URL_S3 (moto_server, LocalStack) is honoured by boto3 itself."""
    return boto3.client("s3", config=S3_CONFIG)


def _get(client: Any, bucket: str, ref: ArtifactRef, **extra: str) -> dict[str, Any]:
    params = {"Bucket": bucket, "Key": ref.key, **extra}
    if ref.version_id:
        params["VersionId"] = ref.version_id
    try:
        response: dict[str, Any] = client.get_object(**params)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        raise ArtifactError(f"s3://{bucket}/{ref.key}: {code}") from exc
    except BotoCoreError as exc:
        raise ArtifactError(f"s3://{bucket}/{ref.key}: S3 unreachable ({exc})") from exc
    return response


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (training writes the manifest with it)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_STREAM_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_manifest(client: Any, settings: Settings) -> tuple[dict[str, Any], FetchRecord]:
    started = time.perf_counter()
    response = _get(client, settings.bucket, settings.manifest)
    try:
        raw = response["Body"].read()
        manifest = json.loads(raw)
    except (BotoCoreError, OSError) as exc:
        raise ArtifactError(f"manifest {settings.manifest.key}: read failed ({exc})") from exc
    except ValueError as exc:
        raise ArtifactError(f"manifest {settings.manifest.key}: not JSON ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts"), dict):
        raise ArtifactError(f"manifest {settings.manifest.key}: no 'artifacts' table")
    if settings.model_version and manifest.get("version") != settings.model_version:
        raise ArtifactError(
            f"manifest {settings.manifest.key} describes version {manifest.get('version')!r}, "
            f"not the configured MODEL_VERSION {settings.model_version!r}"
        )
    record = FetchRecord(
        name="manifest",
        key=settings.manifest.key,
        version_id=response.get("VersionId"),
        etag=response.get("ETag"),
        bytes=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        digest_ok=None,
        cached=False,
        ms=(time.perf_counter() - started) * 1000,
    )
    return manifest, record


def artifact_refs(settings: Settings, manifest: Mapping[str, Any]) -> dict[str, ArtifactRef]:
    """Where to read each listed artifact: its versioned key, at the VersionId the manifest
    records when the manifest itself is pinned.

    A pinned manifest that records no VersionId is refused rather than read at "latest":
    the pin promises exact objects, and a silent fallback would serve whatever was
    uploaded last.
    """
    refs = {}
    for name in config.ARTIFACTS:
        version_id = None
        if settings.manifest_version_id:
            entry = manifest["artifacts"].get(name)
            version_id = entry.get("version_id") if isinstance(entry, dict) else None
            if not isinstance(version_id, str) or not version_id:
                raise ArtifactError(
                    f"manifest {settings.manifest.key} (pinned by MANIFEST_VERSION_ID) records "
                    f"no S3 version_id for {name!r}: publish it with `python -m training "
                    "--upload` to a bucket with versioning on"
                )
        refs[name] = ArtifactRef(name, settings.key(name), version_id)
    return refs


def expected_digest(manifest: Mapping[str, Any], name: str, pin: str | None = None) -> str:
    entry = manifest["artifacts"].get(name)
    digest = entry.get("sha256") if isinstance(entry, dict) else None
    if not isinstance(digest, str) or len(digest) != 64:
        raise ArtifactError(f"manifest has no sha256 for {name!r}")
    if pin and pin != digest:
        raise ArtifactError(f"{name}: manifest sha256 {digest[:12]}… differs from pin {pin[:12]}…")
    return digest


def fetch_file(client: Any, settings: Settings, ref: ArtifactRef, digest: str) -> FetchRecord:
    """Download `ref` into ARTIFACT_DIR unless a cached copy already has `digest`.

    Written to a temporary name and renamed only once its digest matches, so a
    crash mid-download never leaves a file that a later start would trust.
    """
    started = time.perf_counter()
    dest = settings.artifact_dir / ref.key
    if dest.is_file() and sha256_file(dest) == digest:
        ms = (time.perf_counter() - started) * 1000
        return FetchRecord(
            ref.name, ref.key, ref.version_id, None, dest.stat().st_size, digest, True, True, ms
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    response = _get(client, settings.bucket, ref)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
    hasher = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as fh:
            for chunk in response["Body"].iter_chunks(_STREAM_CHUNK):
                hasher.update(chunk)
                fh.write(chunk)
                size += len(chunk)
        actual = hasher.hexdigest()
        if actual != digest:
            raise ArtifactError(
                f"{ref.key}: sha256 {actual[:12]}… does not match manifest {digest[:12]}…; "
                "refusing to load it"
            )
        tmp.replace(dest)
    except (BotoCoreError, OSError) as exc:
        raise ArtifactError(f"{ref.key}: download failed ({exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return FetchRecord(
        name=ref.name,
        key=ref.key,
        version_id=response.get("VersionId"),
        etag=response.get("ETag"),
        bytes=size,
        sha256=actual,
        digest_ok=True,
        cached=False,
        ms=(time.perf_counter() - started) * 1000,
    )


def fetch_header(
    client: Any, settings: Settings, ref: ArtifactRef
) -> tuple[list[str], FetchRecord]:
    """The training CSV's header row, read with ranged GETs of HEADER_CHUNK bytes."""
    started = time.perf_counter()
    buffer = b""
    response: dict[str, Any] = {}
    while b"\n" not in buffer:
        if len(buffer) >= HEADER_MAX:
            raise ArtifactError(f"{ref.key}: no header line in the first {HEADER_MAX} bytes")
        end = len(buffer) + HEADER_CHUNK - 1
        try:
            response = _get(client, settings.bucket, ref, Range=f"bytes={len(buffer)}-{end}")
        except ArtifactError as exc:
            if buffer and "InvalidRange" in str(exc):
                break  # the file ends right after a header with no newline
            raise
        try:
            chunk = response["Body"].read()
        except (BotoCoreError, OSError) as exc:
            raise ArtifactError(f"{ref.key}: read failed ({exc})") from exc
        buffer += chunk
        if len(chunk) < HEADER_CHUNK:
            break
    line = buffer.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(csv.reader(io.StringIO(line.decode("utf-8"))), [])
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"{ref.key}: header is not UTF-8") from exc
    record = FetchRecord(
        name=ref.name,
        key=ref.key,
        version_id=response.get("VersionId"),
        etag=response.get("ETag"),
        bytes=len(buffer),
        sha256=None,
        digest_ok=None,
        cached=False,
        ms=(time.perf_counter() - started) * 1000,
    )
    return header, record


def _load_pickle(path: Path, name: str) -> Any:
    try:
        return joblib.load(path)
    except Exception as exc:  # unpickling can raise anything; the digest already matched
        raise ArtifactError(f"{name}: cannot be loaded ({type(exc).__name__}: {exc})") from exc


def build_bundle(paths: Mapping[str, Path], header: list[str], manifest: dict[str, Any]) -> Bundle:
    """Unpickle the verified files and check that model, feature order and manifest agree."""
    model = _load_pickle(paths["model"], "model")
    freq = _load_pickle(paths["freq_encoder"], "freq_encoder")
    target = _load_pickle(paths["target_encoder"], "target_encoder")
    if not hasattr(model, "booster_") or not hasattr(model, "feature_name_"):
        raise ArtifactError("model: not a fitted LightGBM scikit-learn model")
    if not isinstance(freq, dict) or not isinstance(target, dict):
        raise ArtifactError("encoders: expected plain dicts")
    try:
        encoders = Encoders.from_artifacts(freq, target)
    except (KeyError, TypeError) as exc:
        raise ArtifactError(f"target_encoder: {exc}") from exc
    model_features = list(model.feature_name_)
    if header != model_features:
        raise ArtifactError(
            "feature order mismatch: training CSV header "
            f"({len(header)} columns) differs from the model's {len(model_features)} features"
        )
    listed = manifest.get("features")
    if listed is not None and list(listed) != header:
        raise ArtifactError("feature order mismatch: manifest 'features' differs from the header")
    return Bundle(model=model, encoders=encoders, feature_order=tuple(header), manifest=manifest)


def load(settings: Settings, client: Any | None = None) -> LoadResult:
    """Fetch, verify and load every artifact. Raises ArtifactError on any problem."""
    started = time.perf_counter()
    client = client or s3_client()
    manifest, manifest_record = fetch_manifest(client, settings)
    refs = artifact_refs(settings, manifest)
    pickles = [refs[name] for name in config.PICKLES]
    digests = {
        ref.name: expected_digest(
            manifest, ref.name, settings.model_sha256 if ref.name == "model" else None
        )
        for ref in pickles
    }
    # The four GETs wait on the network, not the CPU: issued together, a cold start
    # pays about one S3 round trip instead of four (boto3 clients are thread-safe).
    with ThreadPoolExecutor(max_workers=len(pickles) + 1) as pool:
        header_job = pool.submit(fetch_header, client, settings, refs["train_features"])
        file_jobs = [
            pool.submit(fetch_file, client, settings, ref, digests[ref.name]) for ref in pickles
        ]
        file_records = [job.result() for job in file_jobs]
        header, header_record = header_job.result()
    paths = {ref.name: settings.artifact_dir / ref.key for ref in pickles}
    bundle = build_bundle(paths, header, manifest)
    fetches = (manifest_record, *file_records, header_record)
    return LoadResult(bundle, fetches, (time.perf_counter() - started) * 1000)
