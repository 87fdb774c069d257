"""Bounded loopback load on the local API: only 200s, latency reported, RSS stable.

16 clients for LOAD_SECONDS (10 s in `make test`; `make soak` sets SOAK_SECONDS=60).
Latency percentiles are printed, not asserted (they depend on the machine); the RSS
bound is generous and relative: the median of the last quarter of the samples may
exceed the first quarter's by at most 25 % + 20 MiB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import report
from e2e.e2e_support import LocalApi, descendants
from reliability_support import (
    CLIENTS,
    LOAD_SECONDS,
    MIB,
    only_200_predictions,
    request,
    run_load,
)

pytestmark = pytest.mark.e2e

BATCHES = (1, 2, 5, 10, 25)


def test_load_only_200s_and_stable_rss(
    reliability_api: LocalApi, demo_records: Callable[..., list[dict[str, Any]]]
) -> None:
    records = demo_records(max(BATCHES), with_price=True)
    # Warm up (the first request is the container's cold start) and take references.
    reference = {}
    for size in BATCHES:
        outcome = request(reliability_api.base, "POST", "/predict", {"records": records[:size]})
        assert outcome.status == 200, outcome.body
        reference[size] = outcome.body["predictions"]

    def body(client: int, turn: int) -> dict[str, Any]:
        return {"records": records[: BATCHES[(client + turn) % len(BATCHES)]]}

    (container,) = descendants(reliability_api.process.pid)  # where the function runs
    result = run_load(
        reliability_api.base,
        body,
        seconds=LOAD_SECONDS,
        clients=CLIENTS,
        pid=container,
        check=only_200_predictions(reference),
    )
    figures = result.summary()
    report("load", figures)
    assert result.errors == [], result.errors[:20]
    assert set(result.statuses) == {200}
    assert result.count >= CLIENTS  # every client got answers
    first, last = result.rss_quarters()
    assert last <= first * 1.25 + 20 * MIB, figures
    assert reliability_api.process.poll() is None
    assert descendants(reliability_api.process.pid) == {container}  # the same container
