"""Issue 5 acceptance 1-2: structured JSON logs and EMF metrics, captured from the handler."""

from __future__ import annotations

import json
import sys

from support import BUCKET, http_event

from predict_fn import config

MARKER = "Secret-Metro-Marker-7f3a"


def emf_blobs(capsys) -> list[dict]:
    out = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in out if line.startswith("{") and '"_aws"' in line]


def metric_values(blobs: list[dict]) -> dict[str, list]:
    values: dict[str, list] = {}
    for blob in blobs:
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == config.METRICS_NAMESPACE
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
    return values


def record(demo_records) -> dict:
    return {**demo_records(1)[0], "city_full": MARKER}


def test_cold_start_logs_one_line_per_artifact_and_warm_none(
    s3, fresh_app, invoke, demo_records, log_lines
):
    fresh_app()
    cold = [ln for ln in log_lines() if ln["message"] == "artifact"]
    assert sorted(ln["artifact"]["name"] for ln in cold) == sorted(
        ["manifest", "model", "freq_encoder", "target_encoder", "train_features"]
    )
    for line in cold:
        art = line["artifact"]
        assert art["key"] and art["bytes"] > 0 and art["ms"] >= 0
        assert art["etag"] or art["cached"]
    assert {ln["artifact"]["digest_ok"] for ln in cold if ln["artifact"]["name"] != "manifest"} <= {
        True,
        None,
    }
    app = sys.modules["predict_fn.app"]
    before = len(log_lines())
    invoke(app, http_event("POST", "/predict", {"records": demo_records(3)}))
    warm = log_lines()[before:]
    assert not [ln for ln in warm if ln["message"] == "artifact"]
    (request,) = [ln for ln in warm if ln["message"] == "request"]
    assert request["status"] == 200 and request["route"] == "POST /predict"
    assert request["records"] == 3 and request["latency_ms"] > 0
    assert request["cold_start"] in (True, False)


def test_request_lines_are_json_with_request_id_and_no_body(
    s3, fresh_app, invoke, demo_records, log_lines
):
    app = fresh_app()
    init = len(log_lines())  # init-phase lines precede any request, so carry no request id
    for event in (
        http_event("POST", "/predict", {"records": [record(demo_records)]}),
        http_event("POST", "/predict", {"records": [{**record(demo_records), "bad": MARKER}]}),
        http_event("GET", "/health"),
    ):
        event["requestContext"]["requestId"] = "rid-42"
        invoke(app, event)
    lines = log_lines()[init:]
    assert len([ln for ln in lines if ln["message"] == "request"]) == 3
    assert all(ln["correlation_id"] == "rid-42" for ln in lines)
    assert MARKER not in json.dumps(lines)


def test_log_event_true_logs_the_body(s3, fresh_app, invoke, demo_records, log_lines, monkeypatch):
    monkeypatch.setenv("LOG_EVENT", "true")
    app = fresh_app()
    invoke(app, http_event("POST", "/predict", {"records": [record(demo_records)]}))
    assert MARKER in json.dumps(log_lines())


def test_emf_for_success(s3, fresh_app, invoke, demo_records, capsys):
    app = fresh_app()
    capsys.readouterr()
    invoke(app, http_event("POST", "/predict", {"records": demo_records(4)}))
    values = metric_values(emf_blobs(capsys))
    assert values["Requests"] == [1]
    assert values["RecordsPredicted"] == [4]
    assert len(values["Latency"]) == 1 and values["Latency"][0] > 0
    assert "ValidationErrors" not in values


def test_emf_for_validation_error(s3, fresh_app, invoke, capsys):
    app = fresh_app()
    invoke(app, http_event("GET", "/health"))
    capsys.readouterr()
    invoke(app, http_event("POST", "/predict", {"records": [{"date": "x"}]}))
    values = metric_values(emf_blobs(capsys))
    assert values["ValidationErrors"] == [1]
    assert values["Requests"] == [1]
    assert "RecordsPredicted" not in values


def test_emf_for_artifact_failure(s3, fresh_app, invoke, demo_records, capsys):
    s3.delete_object(Bucket=BUCKET, Key=config.MODEL_KEY)
    app = fresh_app()
    capsys.readouterr()
    status, _ = invoke(app, http_event("POST", "/predict", {"records": demo_records(1)}))
    assert status == 503
    values = metric_values(emf_blobs(capsys))
    # One failure at init, one when the request retried the load.
    assert values["ArtifactLoadFailures"] == [1, 1]
    assert values["Unavailable"] == [1]
    assert values["Requests"] == [1]
