"""What the benchmarks feed both handlers: one artifact tree, a large copy, request events.

Everything slow to make is cached under .artifacts/bench and rebuilt only when its
source changes, so a rerun of `make bench` spends its time measuring.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from local.api import event
from local.artifacts import ensure
from predict_fn.artifacts import sha256_file
from predict_fn.config import MANIFEST_KEY, TRAIN_FEATURES_KEY
from predict_fn.contract import LABEL
from training import demo_data

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".artifacts" / "bench"
BATCH_SIZES = (1, 10, 100, 1000)
# Not the training seed (7): requests are rows the model has not seen.
REQUEST_SEED = 2026


def artifact_tree(tree: Path) -> Path:
    """The trained tree at `tree` (make train's .artifacts/demo by default), trained if absent."""
    return ensure(tree, None)


def _write_repeated(source: Path, dest: Path, rows: int) -> None:
    """`source`'s header, then its data rows repeated until there are `rows` of them.

    The values do not matter to either handler, only the size; repeating the real
    rows keeps every line a valid row of the same schema.
    """
    header, _, body = source.read_bytes().partition(b"\n")
    lines = body.splitlines(keepends=True)
    whole, rest = divmod(rows, len(lines))
    block = b"".join(lines)
    with dest.open("wb") as out:
        out.write(header + b"\n")
        for _ in range(whole):
            out.write(block)
        out.write(b"".join(lines[:rest]))


def large_tree(source: Path, rows: int) -> Path:
    """A copy of `source` whose training-features CSV has `rows` data rows.

    The manifest is updated to describe the new CSV, so the tree stays what training
    would have written for a training set of that size.
    """
    out = CACHE / f"train-{rows}"
    # Beside the tree, not in it: everything in the tree is uploaded to S3.
    stamp = out.with_name(out.name + ".source-sha256")
    manifest_path = source / MANIFEST_KEY
    source_digest = sha256_file(manifest_path)
    if stamp.is_file() and stamp.read_text() == source_digest:
        return out
    shutil.rmtree(out, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    shutil.copytree(source, out, ignore=shutil.ignore_patterns(Path(TRAIN_FEATURES_KEY).name))
    csv = out / TRAIN_FEATURES_KEY
    _write_repeated(source / TRAIN_FEATURES_KEY, csv, rows)
    manifest = json.loads(manifest_path.read_text())
    entry = manifest["artifacts"]["train_features"]
    entry.update(sha256=sha256_file(csv), bytes=csv.stat().st_size)
    (out / MANIFEST_KEY).write_text(json.dumps(manifest, indent=2) + "\n")
    stamp.write_text(source_digest)
    return out


def records(count: int) -> list[dict[str, Any]]:
    """`count` valid HouseTS records as a client sends them (NaN → null, no label)."""
    frame = demo_data.generate(count, seed=REQUEST_SEED).drop(columns=[LABEL])
    cleaned = frame.astype(object).where(frame.notna(), None)
    return json.loads(json.dumps(cleaned.to_dict(orient="records"), default=int))


def events(template: Path) -> dict[int, dict[str, Any]]:
    """POST /predict per batch size, as the local gateway hands it to the function (payload
    v2); the batches are prefixes of one record set."""
    pool = records(max(BATCH_SIZES))
    return {
        size: event(template, "POST", "/predict", json={"records": pool[:size]})
        for size in BATCH_SIZES
    }
