"""`local.serve` as `make serve` runs it: ready line, printed curl, clean stop (a fresh
machine's `make serve` is in test_fresh_machine.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import (
    CACHED_START_TIMEOUT,
    READY,
    STOP_TIMEOUT,
    check_answers,
    child_env,
    descendants,
    moto_port,
    port_free,
    scratch_dirs,
    wait_for_line,
    wait_gone,
)
from support import ROOT

from local.s3 import free_port

pytestmark = pytest.mark.e2e


def test_serve_stops_every_child_on_sigterm(tmp_path: Path, trained_artifacts: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    command = ["-m", "local.serve", "--port", str(port), "--artifacts", str(trained_artifacts)]
    with log.open("wb") as handle:
        serve = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=child_env(TMPDIR=str(tmp_path)),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_line(log, READY, serve, CACHED_START_TIMEOUT)
        assert "using the trained artifacts" in log.read_text()  # an existing tree: no training
        check_answers(log)
        children = descendants(serve.pid)
        assert len(children) == 2  # moto_server and the function's container (the API is this)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(STOP_TIMEOUT) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
    assert wait_gone(children) == set()
    assert port_free(port)
    assert port_free(moto_port(log))
    assert scratch_dirs(tmp_path) == []
