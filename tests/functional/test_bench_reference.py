"""The benchmark's reference handler answers like ours, so the comparison is like for like.

Correctness only: no timings here (they belong to `make bench`).
"""

from __future__ import annotations

import importlib
import sys

import pytest
from support import BUCKET, http_event


@pytest.fixture
def reference(s3, monkeypatch, tmp_path):
    """The reference module freshly imported (a cold container) with a /tmp of its own."""
    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "reference_artifacts"))
    sys.modules.pop("bench.reference.handler", None)
    yield importlib.import_module("bench.reference.handler")
    sys.modules.pop("bench.reference.handler", None)


def test_reference_predicts_what_ours_predicts(app_module, reference, invoke, demo_records):
    records = demo_records(6)
    records[1]["median_dom"] = None  # null and absent numbers reach both models as NaN
    del records[2]["inventory"]
    event = http_event("POST", "/predict", {"records": records})

    ours_status, ours = invoke(app_module, event)
    ref_status, ref = invoke(reference, event)

    assert (ours_status, ref_status) == (200, 200)
    assert ref["count"] == ours["count"] == len(records)
    assert ref["predictions"] == pytest.approx(ours["predictions"], rel=1e-9)


def test_reference_reads_s3_on_the_first_request_only(reference, invoke, demo_records, s3):
    event = http_event("POST", "/predict", {"records": demo_records(1)})
    first = invoke(reference, event)
    s3.delete_object(Bucket=BUCKET, Key=reference.KEYS["model"])
    assert invoke(reference, event) == first  # loaded again, but from its copy in /tmp
