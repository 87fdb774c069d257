"""Issue 5: X-Ray subsegments when tracing is on; no X-Ray SDK import when it is off."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support import ROOT

PROBE_OFF = """
import sys, predict_fn.app
print(any(name.startswith("aws_xray_sdk") for name in sys.modules))
"""

PROBE_ON = """
import json
from aws_xray_sdk.core import xray_recorder
from predict_fn import tracing

class Collect:  # stands in for the UDP emitter to the X-Ray daemon
    sent = []
    def send_entity(self, entity):
        self.sent.append(entity.name)
    def set_daemon_address(self, address):
        pass

xray_recorder.configure(emitter=Collect())
for name in ("## artifact fetch", "## features", "## predict"):
    with tracing.subsegment(name):
        pass
print(json.dumps(Collect.sent))
"""


def run(probe: str, **env: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "S3_BUCKET": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return proc.stdout.strip().splitlines()[-1]


def test_tracing_off_never_imports_the_xray_sdk() -> None:
    assert run(PROBE_OFF, POWERTOOLS_TRACE_DISABLED="true") == "False"


def test_tracing_on_records_the_three_subsegments() -> None:
    out = run(
        PROBE_ON,
        POWERTOOLS_TRACE_DISABLED="false",
        LAMBDA_TASK_ROOT=str(ROOT),  # Powertools only traces inside Lambda
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    assert json.loads(out) == ["## artifact fetch", "## features", "## predict"]
