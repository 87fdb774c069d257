"""Issue 11: SnapStart. A snapshot never holds a container without its model; the hooks,
registered through snapshot_restore_py, warm the hot path before the snapshot and give
each restored copy its own credentials; a restore is counted, not reported as a cold start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import snapshot_restore_py
from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.metrics.provider import cold_start
from support import ROOT, http_event
from test_faults import closed_port
from test_observability import emf_blobs, metric_values

import predict_fn


def new_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty hook registries, Powertools' cold-start flags as a new runtime has them, and
    predict_fn.snapstart imported anew (it reads the init type at import)."""
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])
    monkeypatch.setattr(cold_start, "is_cold_start", True)
    monkeypatch.setattr(powertools_logger, "is_cold_start", True)
    monkeypatch.delitem(sys.modules, "predict_fn.snapstart", raising=False)
    monkeypatch.delattr(predict_fn, "snapstart", raising=False)


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    new_runtime(monkeypatch)
    yield
    sys.modules.pop("predict_fn.snapstart", None)


def run_hooks(registry: list) -> None:
    """What the Lambda runtime does with each registered hook."""
    for function, args, kwargs in registry:
        function(*args, **kwargs)


def import_app(init_type: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "S3_BUCKET": "housets-artifacts-test",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-c", "import predict_fn.app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_snapstart_init_fails_without_its_model_so_no_version_publishes() -> None:
    done = import_app("snap-start", f"http://127.0.0.1:{closed_port()}")
    assert done.returncode != 0
    assert "InitFailed" in done.stderr and "unreachable" in done.stderr


def test_on_demand_init_survives_the_same_fault() -> None:
    """It imports; test_faults.test_s3_unreachable shows the 503 and the recovery."""
    done = import_app("on-demand", f"http://127.0.0.1:{closed_port()}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "artifact load failed" in done.stdout + done.stderr


def test_snapshot_then_restore_with_s3_gone_serves_the_same_predictions(
    s3, fresh_app, invoke, demo_records, hooks, monkeypatch, capsys, log_lines
):
    records = demo_records(5)
    event = http_event("POST", "/predict", {"records": records})
    _, normal = invoke(fresh_app(), event)  # an on-demand container's answer

    new_runtime(monkeypatch)
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    app = fresh_app()
    assert len(snapshot_restore_py._before_snapshot_registry) == 1
    assert len(snapshot_restore_py._after_restore_registry) == 1
    run_hooks(snapshot_restore_py._before_snapshot_registry)
    capsys.readouterr()
    # The restored copy has no S3: everything it needs is in the snapshot.
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{closed_port()}")
    run_hooks(snapshot_restore_py._after_restore_registry)

    status, restored = invoke(app, event)
    assert status == 200
    assert restored["predictions"] == normal["predictions"]
    output = capsys.readouterr().out
    values = metric_values([json.loads(x) for x in output.splitlines() if '"_aws"' in x])
    assert values["Restores"] == [1]
    assert "ColdStart" not in values and "ModelLoadTime" not in values
    request_logs = [line for line in log_lines() if line["message"] == "request"]
    # The on-demand container's first request, then the restored copy's.
    assert [(r["init_type"], r["cold_start"]) for r in request_logs] == [
        ("on-demand", True),
        ("snap-start", False),
    ]

    invoke(app, event)  # the next request is an ordinary warm one
    assert "Restores" not in metric_values(emf_blobs(capsys))


def test_on_demand_init_warms_without_counting_the_warm_up(
    s3, fresh_app, invoke, demo_records, hooks, capsys
):
    app = fresh_app()
    assert app.loader.bundle is not None
    capsys.readouterr()
    invoke(app, http_event("POST", "/predict", {"records": demo_records(2)}))
    values = metric_values(emf_blobs(capsys))
    assert values["RecordsPredicted"] == [2]  # not 3: the warm-up's record is taken back
    assert values["ColdStart"] == [1] and "Restores" not in values
