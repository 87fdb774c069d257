"""`make bench` runs end to end on the build output, in its smallest setting.

Correctness only, no timing: every scenario cold-starts through local.runner's host,
both handlers answer every batch size, and the tables are printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from build_output import Build

from bench.__main__ import main

pytestmark = pytest.mark.build


def test_bench_prints_its_tables(
    build: Build, trained_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    argv = [
        "--build-dir",
        str(build.root),
        "--artifacts",
        str(trained_artifacts),
        "--out",
        str(out),
    ]
    small = ["--runs", "1", "--calls", "3", "--large-rows", "3000", "--batch-rows", "3000"]
    assert main([*argv, *small]) == 0
    printed = capsys.readouterr().out
    headings = ("### Cold start", "### Warm latency", "### Memory", "### Size", "### Batch")
    assert all(heading in printed for heading in (*headings, "### Targets"))
    results = json.loads(out.read_text())
    scenarios = {"import floor", "ours", "reference", "ours, 3,000-row CSV"}
    scenarios |= {"reference, 3,000-row CSV", "ours, SnapStart restore"}
    assert scenarios == set(results["cold_start"])
    restore = results["cold_start"]["ours, SnapStart restore"]["runs"][0]
    assert restore["restore_ms"] >= 0 and restore["first_prediction_ms"] > 0
    assert restore["init_ms"] > restore["total_ms"] - restore["first_prediction_ms"]
    scored = results["batch"]
    assert scored["rows"] == 3000 and scored["errors"] == 0
    assert scored["booster_rows_per_s"] > 0 and scored["ratio"] > 0
    targets = {t["target"].split(",")[0] for t in results["targets"]}
    assert {
        "make batch rows/s per core / booster rows/s",
        "first request after init / warm p50",
        "first request after a SnapStart restore / warm p50",
    } <= targets
    ours = results["cold_start"]["ours"]["runs"][0]
    assert {"interpreter_ms", "imports_ms", "fetch_ms", "load_ms", "first_prediction_ms"} <= set(
        ours
    )
    assert ours["fetch_ms"] > 0 and ours["load_ms"] > 0  # the phases were timed in the host
    latency = results["warm"]["latency"]
    assert {size: row["calls"] for size, row in latency["ours"].items()} == dict.fromkeys(
        ("1", "10", "100", "1000"), 3
    )
