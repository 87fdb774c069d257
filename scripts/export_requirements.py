"""Regenerate the three deployment requirements.txt files from uv.lock.

The lock is the single source of versions; each deployment unit gets one dependency
group, minus what another unit (or the Lambda runtime) already puts on sys.path:
one copy of a package per function image, since only the first one on the path
is ever imported and every extra copy spends the 250 MB budget.

    uv run --frozen python -m scripts.export_requirements          # write
    uv run --frozen python -m scripts.export_requirements --check  # exit 1 on drift
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The python3.13 runtime ships boto3 and its dependencies in /var/runtime.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3")

# target file -> (dependency group, packages left to another unit)
UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "layers/core/requirements.txt": ("core", ()),
    "layers/ml/requirements.txt": ("ml", ("numpy",)),
    "predict_fn/requirements.txt": (
        "function",
        (*RUNTIME_PROVIDED, "python-dateutil", "six"),  # dateutil and six: core layer
    ),
}


def export(group: str, exclude: tuple[str, ...]) -> str:
    """The requirements text `uv export` derives from uv.lock for one unit."""
    cmd = ["uv", "export", "--frozen", "--only-group", group, "--no-emit-project"]
    for name in exclude:
        cmd += ["--no-emit-package", name]
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def expected() -> dict[Path, str]:
    return {ROOT / rel: export(group, exclude) for rel, (group, exclude) in UNITS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    args = parser.parse_args(argv)
    drift = [
        path for path, text in expected().items() if not path.exists() or path.read_text() != text
    ]
    if args.check:
        for path in drift:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if drift else 0
    for path, text in expected().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
