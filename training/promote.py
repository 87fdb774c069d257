"""Point the deployed function at a published model version, after proving it loads.

    python -m training.promote --version V [--config-env prod] [--dry-run]

The check is the function's own cold start (predict_fn.artifacts.load) against the
versioned keys, plus one prediction; only then is `sam deploy` run with
ModelVersion=V, so the change rolls out through the alias and its deployment
preference like any code change. Rolling back is promoting the previous version.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from predict_fn import artifacts, config, contract
from predict_fn.model import Bundle, predict

SAMCONFIG = Path(__file__).resolve().parent.parent / "samconfig.toml"
BUCKET_PARAMETER = "ArtifactBucket"
VERSION_PARAMETER = "ModelVersion"


def deploy_overrides(samconfig: Path, config_env: str) -> dict[str, str]:
    """The parameter_overrides that `sam deploy --config-env` would use, as a dict."""
    data = tomllib.loads(samconfig.read_text())
    params = data.get(config_env, {}).get("deploy", {}).get("parameters", {})
    raw = params.get("parameter_overrides", [])
    items = shlex.split(raw) if isinstance(raw, str) else list(raw)
    return dict(item.split("=", 1) for item in items)


def verify(bucket: str, version: str) -> Bundle:
    """Load `version` exactly as a cold start would; raises ArtifactError if it can't."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {"S3_BUCKET": bucket, "MODEL_VERSION": version, "ARTIFACT_DIR": scratch}
        return artifacts.load(config.load(env)).bundle


def smoke_prediction(bundle: Bundle) -> float:
    """One prediction on a minimal record: the loaded model answers with a finite number."""
    record: dict[str, Any] = {"date": "2023-06-30", "zipcode": 10001, "city_full": "Smoke Test"}
    (value,) = predict(bundle, contract.to_columns([record]))
    return float(value)


def deploy_command(overrides: dict[str, str], config_env: str, version: str) -> list[str]:
    merged = {**overrides, VERSION_PARAMETER: version}
    # --parameter-overrides on the command line replaces samconfig's list, so pass it whole.
    pairs = [f"{k}={v}" for k, v in merged.items()]
    return ["sam", "deploy", "--config-env", config_env, "--parameter-overrides", *pairs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.promote", description=__doc__)
    parser.add_argument("--version", required=True, type=config.model_version)
    parser.add_argument("--config-env", default="default", help="samconfig.toml environment")
    parser.add_argument("--samconfig", type=Path, default=SAMCONFIG)
    parser.add_argument("--bucket", help=f"default: {BUCKET_PARAMETER} from samconfig.toml")
    parser.add_argument("--dry-run", action="store_true", help="verify and print, do not deploy")
    args = parser.parse_args(argv)

    overrides = deploy_overrides(args.samconfig, args.config_env)
    bucket = args.bucket or overrides.get(BUCKET_PARAMETER)
    if not bucket:
        parser.error(f"no --bucket and no {BUCKET_PARAMETER} in {args.samconfig}")
    try:
        bundle = verify(bucket, args.version)
    except (artifacts.ArtifactError, config.ConfigError) as exc:
        print(f"refusing to promote {args.version}: {exc}", file=sys.stderr)
        return 1
    print(
        f"verified s3://{bucket} version {bundle.version}: {len(bundle.feature_order)} features, "
        f"smoke prediction {smoke_prediction(bundle):,.0f}"
    )
    command = deploy_command(overrides, args.config_env, args.version)
    print(shlex.join(command))
    if args.dry_run:
        return 0
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
