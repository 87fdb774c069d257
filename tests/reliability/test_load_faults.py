"""Faults during load, against real processes on loopback.

(a) S3 down while a fresh container cold-starts: every request gets the function's own
    503 JSON within the function timeout (never a 500, never a hang); moto_server is
    restarted on the same port with the artifacts seeded again, and the same API
    process (same container, one init) recovers without a restart.
(b) A corrupted model.pkl uploaded mid-run: a new container, i.e. a second local API
    process against the same S3 (each process is one Lambda container with its own
    /tmp), refuses it with 503 and logs the digest mismatch, while the warm container
    under load keeps answering 200 with unchanged predictions.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import report
from e2e.e2e_support import LocalApi, start_api
from reliability_support import LOAD_SECONDS, LoadResult, Outcome, request, run_load

from local.s3 import BUCKET, MotoServer, client, free_port, seed, stop, wait_for_port
from predict_fn import config

pytestmark = pytest.mark.e2e

FUNCTION_TIMEOUT = 30.0  # template.yaml's Timeout default
UNAVAILABLE = "Model unavailable, retry later"
RECOVERY_TIMEOUT = 60.0


def start_moto(port: int, log: Path) -> MotoServer:
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process, 30)
    return MotoServer(f"http://127.0.0.1:{port}", port, process)


@contextmanager
def api_process(log: Path, s3: MotoServer) -> Iterator[LocalApi]:
    api = start_api(log, s3)
    try:
        yield api
    finally:
        if api.process.poll() is None:
            api.stop()


def function_503(outcome: Outcome) -> str | None:
    """The function's own 503 (not the gateway's timeout), answered within the timeout."""
    body = outcome.body if isinstance(outcome.body, dict) else {}
    if outcome.status != 503 or body.get("message") != UNAVAILABLE or "request_id" not in body:
        return f"expected the function's 503, got {str(outcome.body)[:200]}"
    if outcome.seconds >= FUNCTION_TIMEOUT:
        return f"took {outcome.seconds:.1f} s"
    return None


def until_200(base: str, body: dict[str, Any], timeout: float) -> tuple[float, list[int]]:
    """Seconds until the first 200 and the statuses seen before it."""
    started = time.monotonic()
    seen = []
    while time.monotonic() - started < timeout:
        outcome = request(base, "POST", "/predict", body)
        if outcome.status == 200:
            return time.monotonic() - started, seen
        seen.append(outcome.status)
        time.sleep(0.2)
    raise AssertionError(f"no 200 within {timeout} s; statuses {seen[-10:]}")


def test_s3_down_during_cold_start_then_recovery(
    tmp_path: Path,
    trained_artifacts: Path,
    demo_records: Callable[..., list[dict[str, Any]]],
) -> None:
    port = free_port()
    moto_log = tmp_path / "moto.log"
    s3 = start_moto(port, moto_log)
    try:
        seed(client(s3.endpoint), BUCKET, trained_artifacts)
        with api_process(tmp_path / "api.log", s3) as api:
            stop(s3.process)  # before the first request: the container's init finds no S3
            records = demo_records(3)
            body = {"records": records}
            outage = run_load(
                api.base,
                lambda _c, _t: body,
                seconds=5,
                # One local container serialises requests, each retrying the whole load
                # against a dead S3 (seconds each): few clients keep the queue inside
                # the function timeout, as Lambda would run them in separate containers.
                clients=2,
                check=function_503,
            )
            assert outage.errors == [], outage.errors[:10]
            assert set(outage.statuses) == {503} and outage.count >= 2
            health = request(api.base, "GET", "/health")
            assert (health.status, health.body.get("loaded")) == (503, False), health.body

            s3 = start_moto(port, moto_log)  # same port: the function's endpoint is unchanged
            seed(client(s3.endpoint), BUCKET, trained_artifacts)
            recovered_after, before = until_200(api.base, body, RECOVERY_TIMEOUT)
            assert set(before) <= {503}, before
            after = run_load(
                api.base,
                lambda _c, _t: body,
                seconds=LOAD_SECONDS,
                clients=8,
                check=lambda o: None if o.status == 200 else str(o.body)[:200],
            )
            assert after.errors == [], after.errors[:10]
            assert set(after.statuses) == {200}
            pid = api.process.pid
            log = api.stop()
        report(
            "fault_s3_down",
            {
                "outage": _brief(outage),
                "recovered_after_s": round(recovered_after, 2),
                "after": _brief(after),
            },
        )
        assert api.process.pid == pid
        assert log.count("Init Duration") == 1, "the API was not restarted: one container"
        assert "artifact load failed" in log and "S3 unreachable" in log
        assert "handler raised" not in log and "unhandled error" not in log
    finally:
        stop(s3.process)


def test_corrupted_artifact_refused_by_new_container_warm_one_unaffected(
    tmp_path: Path,
    trained_artifacts: Path,
    demo_records: Callable[..., list[dict[str, Any]]],
) -> None:
    s3 = start_moto(free_port(), tmp_path / "moto.log")
    try:
        s3_client = client(s3.endpoint)
        seed(s3_client, BUCKET, trained_artifacts)
        records = demo_records(4)
        body = {"records": records}
        with api_process(tmp_path / "warm.log", s3) as warm:
            first = request(warm.base, "POST", "/predict", body)
            assert first.status == 200, first.body
            reference = first.body["predictions"]
            done = threading.Event()
            results: list[LoadResult] = []
            loader = threading.Thread(
                target=lambda: results.append(
                    run_load(
                        warm.base,
                        lambda _c, _t: body,
                        seconds=max(LOAD_SECONDS, 10) + 120,  # ended by `done` below
                        clients=4,
                        pid=warm.process.pid,
                        stop=done,
                        check=lambda o: (
                            None
                            if o.status == 200 and o.body["predictions"] == reference
                            else f"{str(o.body)[:200]}"
                        ),
                    )
                ),
                daemon=True,
            )
            started = time.monotonic()
            loader.start()
            try:
                load = _corrupt_and_start_new_container(
                    tmp_path, s3, trained_artifacts, body, started, loader, done, results
                )
            finally:
                done.set()
            warm_health = request(warm.base, "GET", "/health")
            assert warm_health.status == 200, warm_health.body
        new_log = (tmp_path / "new.log").read_text()
        report("fault_corrupt_artifact", {"warm_load": _brief(load), "new_container": 503})
        assert load.errors == [], load.errors[:10]
        assert set(load.statuses) == {200} and load.count > 0
        assert "does not match manifest" in new_log and "refusing to load it" in new_log
        assert config.MODEL_KEY in new_log
    finally:
        stop(s3.process)


def _corrupt_and_start_new_container(
    tmp_path: Path,
    s3: MotoServer,
    trained_artifacts: Path,
    body: dict[str, Any],
    started: float,
    loader: threading.Thread,
    done: threading.Event,
    results: list[LoadResult],
) -> LoadResult:
    """Mid-run: corrupt model.pkl in S3, check a new container refuses it, end the load."""
    s3_client = client(s3.endpoint)
    time.sleep(1.0)
    model = (trained_artifacts / config.MODEL_KEY).read_bytes()
    middle = len(model) // 2
    corrupted = model[:middle] + bytes(b ^ 0xFF for b in model[middle : middle + 64])
    corrupted += model[middle + 64 :]
    s3_client.put_object(Bucket=BUCKET, Key=config.MODEL_KEY, Body=corrupted)
    with api_process(tmp_path / "new.log", s3) as new:
        refused = request(new.base, "POST", "/predict", body)
        assert function_503(refused) is None, refused.body
        health = request(new.base, "GET", "/health")
        assert (health.status, health.body.get("loaded")) == (503, False)
    while time.monotonic() - started < LOAD_SECONDS:
        time.sleep(0.2)
    done.set()
    loader.join(60)
    assert not loader.is_alive()
    (load,) = results
    return load


def _brief(result: LoadResult) -> dict[str, Any]:
    figures = result.summary()
    keep = ("clients", "seconds", "requests", "statuses", "errors", "p50_ms", "p99_ms")
    return {k: figures[k] for k in keep if k in figures}
