"""The local artifact tree: reuse it when it is there, train it (demo or user data) when not."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(".artifacts")
DEMO = ROOT / "demo"
# Written last by training, so its presence means the whole tree is there.
COMPLETE_MARKER = Path("models/manifest.json")


def default_dir(data: Path | None) -> Path:
    """.artifacts/demo, or .artifacts/<stem> for a user CSV, so each source keeps its cache."""
    return ROOT / data.stem if data else DEMO


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _stamp(artifacts: Path) -> Path:
    # Beside the tree, not in it: everything in the tree is uploaded to S3.
    return artifacts.with_name(artifacts.name + ".source-sha256")


def ensure(artifacts: Path, data: Path | None) -> Path:
    """Return a complete artifact tree at `artifacts`, training into it only when needed.

    Without data, any complete tree is served as it is (ARTIFACTS=dir). With data, the
    tree is reused only if it was trained on a file with the same content.
    """
    complete = (artifacts / COMPLETE_MARKER).is_file()
    digest = _digest(data) if data else None
    stamp = _stamp(artifacts)
    if complete and (digest is None or (stamp.is_file() and stamp.read_text() == digest)):
        print(f"using the trained artifacts in {artifacts}", flush=True)
        return artifacts
    source = ["--data", str(data)] if data else ["--demo"]
    print(f"training on {data or 'demo data'} into {artifacts}", flush=True)
    # Until training finishes, a stale manifest must not make a half-written tree look whole.
    (artifacts / COMPLETE_MARKER).unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    # A child process: the training imports stay out of the process that serves.
    command = [sys.executable, "-m", "training", *source, "--out", str(artifacts)]
    if subprocess.run(command, check=False).returncode != 0:
        raise SystemExit(f"training into {artifacts} failed (its output is above)")
    if digest:
        stamp.write_text(digest)
    return artifacts
