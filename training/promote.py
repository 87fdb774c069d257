"""Point the deployed function at a published model version, after proving it loads.

    python -m training.promote --version V [--config-env prod] [--manifest-version-id ID]
                               [--dry-run]

The check is the function's own cold start: predict_fn.artifacts.load with the
function's settings, then predict_fn.model.probe, the prediction a container makes
before it serves. Only then is `sam deploy` run with ModelVersion=V, so the change
rolls out through the alias and its deployment preference like any code change.
Rolling back is promoting the previous version.

On a bucket with versioning, the manifest's current S3 VersionId is pinned too
(ManifestVersionId), so the function keeps reading exactly the files verified here
even if someone uploads the same version again; --manifest-version-id picks an older
upload, and --manifest-version-id '' deploys unpinned.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from predict_fn import artifacts, config
from predict_fn.model import Bundle, ProbeFailed, probe

SAMCONFIG = Path(__file__).resolve().parent.parent / "samconfig.toml"
BUCKET_PARAMETER = "ArtifactBucket"
VERSION_PARAMETER = "ModelVersion"
PIN_PARAMETER = "ManifestVersionId"


def deploy_overrides(samconfig: Path, config_env: str) -> dict[str, str]:
    """The parameter_overrides that `sam deploy --config-env` would use, as a dict."""
    data = tomllib.loads(samconfig.read_text())
    params = data.get(config_env, {}).get("deploy", {}).get("parameters", {})
    raw = params.get("parameter_overrides", [])
    items = shlex.split(raw) if isinstance(raw, str) else list(raw)
    return dict(item.split("=", 1) for item in items)


def verify(bucket: str, version: str, manifest_version_id: str | None) -> tuple[Bundle, str]:
    """Load and probe `version` as a cold start of the promoted function would.

    manifest_version_id None pins the manifest's current VersionId (none on an unversioned
    bucket). Returns the bundle and the pin ("" for none). Raises ArtifactError,
    ConfigError or ProbeFailed when the version must not be served.
    """
    client = artifacts.s3_client()
    with tempfile.TemporaryDirectory() as scratch:
        env = {"S3_BUCKET": bucket, "MODEL_VERSION": version, "ARTIFACT_DIR": scratch}
        if manifest_version_id is None:
            _, current = artifacts.fetch_manifest(client, config.load(env))
            manifest_version_id = current.version_id or ""
        env["MANIFEST_VERSION_ID"] = manifest_version_id
        bundle = artifacts.load(config.load(env), client).bundle
    probe(bundle)
    return bundle, manifest_version_id


def deploy_command(
    overrides: dict[str, str], config_env: str, version: str, manifest_version_id: str
) -> list[str]:
    # `sam deploy` keeps a stack's previous value for any parameter it is not given, so
    # the pin is always passed: a stale pin would name an object of another version. SAM
    # parses an empty value only when quoted.
    pin = manifest_version_id or '""'
    merged = {**overrides, VERSION_PARAMETER: version, PIN_PARAMETER: pin}
    # --parameter-overrides on the command line replaces samconfig's list, so pass it whole.
    pairs = [f"{k}={v}" for k, v in merged.items()]
    return ["sam", "deploy", "--config-env", config_env, "--parameter-overrides", *pairs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.promote",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", required=True, type=config.model_version)
    parser.add_argument("--config-env", default="default", help="samconfig.toml environment")
    parser.add_argument("--samconfig", type=Path, default=SAMCONFIG)
    parser.add_argument("--bucket", help=f"default: {BUCKET_PARAMETER} from samconfig.toml")
    parser.add_argument(
        "--manifest-version-id",
        help="S3 VersionId of the manifest to pin (default: its current one; '' for no pin)",
    )
    parser.add_argument("--dry-run", action="store_true", help="verify and print, do not deploy")
    args = parser.parse_args(argv)

    overrides = deploy_overrides(args.samconfig, args.config_env)
    bucket = args.bucket or overrides.get(BUCKET_PARAMETER)
    if not bucket:
        parser.error(f"no --bucket and no {BUCKET_PARAMETER} in {args.samconfig}")
    try:
        bundle, pin = verify(bucket, args.version, args.manifest_version_id)
    except (artifacts.ArtifactError, config.ConfigError, ProbeFailed) as exc:
        print(f"refusing to promote {args.version}: {exc}", file=sys.stderr)
        return 1
    pinned = f"pinned manifest VersionId {pin}" if pin else "manifest not pinned"
    print(
        f"verified s3://{bucket} version {bundle.version}: {len(bundle.feature_order)} "
        f"features, probe prediction ok; {pinned}"
    )
    command = deploy_command(overrides, args.config_env, args.version, pin)
    print(shlex.join(command))
    if args.dry_run:
        return 0
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
