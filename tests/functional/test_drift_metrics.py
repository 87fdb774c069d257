"""Issue 13 acceptance 1: drift metrics in the handler's EMF output, and /health's summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import BUCKET, http_event, to_records

from predict_fn import config, drift
from predict_fn.features import INPUT_NUMERIC


@pytest.fixture(scope="module")
def training_rows(demo_frame: pd.DataFrame) -> pd.DataFrame:
    from training import pipeline

    return pipeline.split_by_time(demo_frame, pipeline.EVAL_FRACTION)[0]


@pytest.fixture(scope="module")
def statistics(trained_artifacts: Path) -> dict[str, Any]:
    """What training wrote into the demo tree's manifest."""
    manifest = json.loads((trained_artifacts / config.MANIFEST_KEY).read_text())
    return manifest["statistics"]


def emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, list[float]]:
    """Metric name → values, from the EMF lines the handler printed."""
    values: dict[str, list[float]] = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == config.METRICS_NAMESPACE
                for metric in directive["Metrics"]:
                    if metric["Name"] in drift.METRICS:  # what the alarms select on
                        assert metric["Unit"] == "Count"
                        assert directive["Dimensions"] == [["service"]]
                    values.setdefault(metric["Name"], []).extend(np.ravel(blob[metric["Name"]]))
    return values


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = to_records(frame)
    for row in rows:
        row.pop("price")
    return rows


def test_training_rows_drift_nowhere(app_module, invoke, training_rows, capsys) -> None:
    """Every training row, in the first request after init: the warm-up's made-up record
    drifts every way, and none of that may reach this request's metrics."""
    capsys.readouterr()
    event = http_event("POST", "/predict", {"records": records_of(training_rows)})
    status, body = invoke(app_module, event)
    assert status == 200, body
    values = emitted(capsys)
    assert values["RecordsPredicted"] == [len(training_rows)]
    assert not set(drift.METRICS) & set(values)


def test_a_stranger_produces_each_drift_metric(
    app_module, invoke, training_rows, statistics, capsys
) -> None:
    row = records_of(training_rows.head(1))[0]
    zipcode = next(z for z in range(100_000) if z not in set(statistics["zipcodes"]))
    stranger = {
        **row,
        "zipcode": zipcode,
        "city_full": "Atlantis-Lemuria",
        "Total Population": 10 * statistics["inputs"]["Total Population"]["max"],
    }
    always_there = next(n for n, s in statistics["inputs"].items() if s["missing_rate"] == 0)
    gap = {**row, always_there: None}
    capsys.readouterr()
    event = http_event("POST", "/predict", {"records": [stranger, gap, row]})
    status, body = invoke(app_module, event)
    assert status == 200, body
    values = emitted(capsys)
    for name in (drift.UNSEEN_ZIPCODES, drift.UNSEEN_CITIES, drift.OUT_OF_RANGE_INPUTS):
        assert values[name] == [1], name
    assert values[drift.MISSING_INPUTS] == [1]
    assert values["RecordsPredicted"] == [3]


def test_health_summarises_the_training_statistics(app_module, invoke, statistics) -> None:
    status, body = invoke(app_module, http_event("GET", "/health"))
    assert status == 200
    assert body["model"]["statistics"] == {
        "inputs": len(INPUT_NUMERIC),
        "zipcodes": len(statistics["zipcodes"]),
        "cities": len(statistics["cities"]),
        "predictions": {k: statistics["predictions"][k] for k in ("min", "max")},
    }


def test_a_manifest_without_statistics_serves_unmeasured(
    s3, fresh_app, invoke, trained_artifacts, demo_records, capsys
) -> None:
    manifest = json.loads((trained_artifacts / config.MANIFEST_KEY).read_text())
    manifest.pop("statistics", None)  # as trained before statistics existed
    s3.put_object(Bucket=BUCKET, Key=config.MANIFEST_KEY, Body=json.dumps(manifest).encode())
    app = fresh_app()
    _, health = invoke(app, http_event("GET", "/health"))
    assert health["model"]["statistics"] is None
    capsys.readouterr()
    stranger = {**demo_records(1)[0], "zipcode": 1, "city_full": "Atlantis", "bank": 1e9}
    status, _ = invoke(app, http_event("POST", "/predict", {"records": [stranger]}))
    assert status == 200
    values = emitted(capsys)
    assert values["RecordsPredicted"] == [1]
    assert not set(drift.METRICS) & set(values)
