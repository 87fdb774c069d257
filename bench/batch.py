"""Batch throughput: `make batch` on a large CSV against the booster's own predict rate.

The booster's rate is the ceiling: it is the model alone, one thread, on the feature
matrix of the same rows, with no reading, checking or writing. `make batch` runs one
worker per core, so its rate per core is the figure to hold against it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.inputs import CACHE, REQUEST_SEED
from local.batch import score_file
from predict_fn import config, features
from predict_fn.artifacts import build_bundle
from predict_fn.contract import LABEL
from training import demo_data

GOAL = 0.7  # issue 12: at least 70 % of the booster's rows/s, per core


def rows_csv(rows: int) -> Path:
    """`rows` unseen demo rows as a client would send them (no price), cached."""
    path = CACHE / f"batch-{rows}.csv"
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        frame = demo_data.generate(rows, seed=REQUEST_SEED).drop(columns=[LABEL])
        frame.to_csv(path.with_suffix(".tmp"), index=False)
        path.with_suffix(".tmp").rename(path)
    return path


def _booster_rate(tree: Path, data: Path) -> float:
    """Rows per second of the booster alone, one thread, on the same rows' features."""
    manifest = json.loads((tree / config.MANIFEST_KEY).read_text())
    paths = {name: tree / config.ARTIFACTS[name] for name in config.PICKLES}
    bundle = build_bundle(paths, manifest["features"], manifest)
    matrix = features.matrix(pd.read_csv(data), bundle.encoders, bundle.feature_order)
    started = time.perf_counter()
    bundle.model.booster_.predict(matrix, num_threads=1)
    return len(matrix) / (time.perf_counter() - started)


def measure(tree: Path, rows: int) -> dict[str, Any]:
    data = rows_csv(rows)
    workers = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as scratch:
        summary = score_file(data, Path(scratch) / "out.csv", tree, workers)
    rate = summary.rows / summary.seconds
    booster = _booster_rate(tree, data)
    return {
        "rows": summary.rows,
        "errors": summary.errors,
        "workers": workers,
        "seconds": round(summary.seconds, 2),
        "start_seconds": round(summary.start_seconds, 2),
        "rows_per_s": round(rate),
        "rows_per_s_per_core": round(rate / workers),
        "steady_rows_per_s_per_core": round(summary.steady_rate / workers),
        "booster_rows_per_s": round(booster),
        "ratio": rate / workers / booster,
        "steady_ratio": summary.steady_rate / workers / booster,
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 12's goal, end to end and once started (the first block out)."""
    name = f"make batch rows/s per core / booster rows/s, {result['rows']:,} rows"
    return [
        {"target": label, "value": value, "bound": f">= {GOAL:g}", "met": value >= GOAL}
        for label, value in (
            (name, result["ratio"]),
            (f"{name}, once started", result["steady_ratio"]),
        )
    ]
