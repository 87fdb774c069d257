"""Regenerate the deployment requirements files from uv.lock.

The lock is the single source of versions; each deployment unit gets one dependency
group, minus what another unit (or the Lambda runtime) already puts on sys.path:
one copy of a package per function image, since only the first one on the path
is ever imported and every extra copy spends the 250 MB budget.

A build may also take a file out of a locked wheel it does not ship: the ML layer's
libgomp.so.1 comes from scikit-learn's manylinux wheel (lightgbm's has none), so
layers/ml/libgomp-source.txt pins that one wheel, with its hashes, for the build to
unpack into a scratch folder. scikit-learn itself is training-only: installed, it
is what `import lightgbm` would spend a third of the cold start importing.

    uv run --frozen python -m scripts.export_requirements          # write
    uv run --frozen python -m scripts.export_requirements --check  # exit 1 on drift
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The python3.13 runtime ships boto3 and its dependencies in /var/runtime;
# snapshot_restore_py (SnapStart hooks) ships in the python3.12+ runtimes too.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "snapshot_restore_py")

# target file -> (dependency group, packages left to another unit)
UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "layers/core/requirements.txt": ("core", ()),
    "layers/ml/requirements.txt": ("ml", ("numpy",)),
    "predict_fn/requirements.txt": (
        "function",
        (*RUNTIME_PROVIDED, "python-dateutil", "six"),  # dateutil and six: core layer
    ),
}


# target file -> (dependency group, the one package of it whose wheel a build unpacks)
WHEEL_SOURCES: dict[str, tuple[str, str]] = {
    "layers/ml/libgomp-source.txt": ("training", "scikit-learn"),
}

# Every file this script writes, for the drift test.
FILES = (*UNITS, *WHEEL_SOURCES)

NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


def _uv_export(group: str, *options: str) -> str:
    cmd = [
        os.environ.get("UV") or "uv",
        "export",
        "--frozen",
        "--only-group",
        group,
        "--no-emit-project",
        *options,
    ]
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def export(group: str, exclude: tuple[str, ...]) -> str:
    """The requirements text `uv export` derives from uv.lock for one unit."""
    return _uv_export(group, *(arg for name in exclude for arg in ("--no-emit-package", name)))


def export_one(group: str, package: str) -> str:
    """The locked requirement (with hashes) of `package` alone, from the group's closure."""
    closure = NAME.findall(_uv_export(group, "--no-hashes"))
    if package not in closure:
        raise LookupError(f"{package} is not in the {group!r} group of uv.lock")
    return export(group, tuple(sorted(name for name in closure if name != package)))


def expected() -> dict[Path, str]:
    units = {ROOT / rel: export(group, exclude) for rel, (group, exclude) in UNITS.items()}
    sources = {ROOT / rel: export_one(*spec) for rel, spec in WHEEL_SOURCES.items()}
    return {**units, **sources}


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
