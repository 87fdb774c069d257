"""`local.serve` and `make serve` as a user runs them: ready line, printed curl, clean stop."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import (
    STOP_TIMEOUT,
    child_env,
    descendants,
    port_free,
    scratch_dirs,
    session_members,
    wait_for_line,
    wait_gone,
)
from support import ROOT

from local.s3 import free_port

pytestmark = pytest.mark.e2e

READY = r"Local API ready on http://127\.0\.0\.1:\d+"
# A fresh clone installs the environment from the uv cache and trains the demo model.
FRESH_START_TIMEOUT = 420.0
CACHED_START_TIMEOUT = 90.0


def printed_curls(log: Path) -> dict[str, list[str]]:
    curls = [shlex.split(line) for line in log.read_text().splitlines() if "curl " in line]
    return {"predict": next(c for c in curls if "POST" in c), "health": curls[-1]}


def run_curl(command: list[str]) -> dict:
    assert command[0] == "curl"
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def moto_port(log: Path) -> int:
    found = re.search(r"moto_server\) at http://127\.0\.0\.1:(\d+)", log.read_text())
    assert found, log.read_text()
    return int(found.group(1))


def check_answers(log: Path) -> None:
    curls = printed_curls(log)
    answer = run_curl(curls["predict"])
    assert answer["count"] == len(answer["predictions"]) == 1
    assert isinstance(answer["predictions"][0], float)
    assert run_curl(curls["health"])["loaded"] is True


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
        assert len(children) == 2  # moto_server and the API
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(STOP_TIMEOUT) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
    assert wait_gone(children) == set()
    assert port_free(port)
    assert port_free(moto_port(log))
    assert scratch_dirs(tmp_path) == []


def start_make_serve(clone: Path, port: int, log: Path, tmp: Path) -> subprocess.Popen[bytes]:
    # Like a terminal: its own session, so Ctrl-C can be sent to the whole group.
    env = child_env(TMPDIR=str(tmp))
    # As on a new machine: the clone gets its own .venv, and no outer make's state.
    for name in ("VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    with log.open("wb") as handle:
        return subprocess.Popen(
            ["make", "serve", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the whole session (what a terminal does on Ctrl-C); all of it must exit."""
    with contextlib.suppress(ProcessLookupError):  # already gone if make failed early
        os.killpg(process.pid, sig)
    try:
        process.wait(STOP_TIMEOUT)
    finally:
        left = wait_gone(session_members(process.pid))
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert left == set()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_fresh_clone_make_serve(tmp_path: Path) -> None:
    """A new user's first run: clone, `make serve`, paste the printed curl, Ctrl-C."""
    # Only committed work is cloned; FRESH_CLONE_SOURCE lets a developer point at a
    # scratch repository that holds uncommitted work.
    source = os.environ.get("FRESH_CLONE_SOURCE", str(ROOT))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", source, str(clone)], check=True, timeout=120)

    for run, (timeout, sig) in enumerate(
        [(FRESH_START_TIMEOUT, signal.SIGINT), (CACHED_START_TIMEOUT, signal.SIGTERM)]
    ):
        port = free_port()
        log = tmp_path / f"make-serve-{run}.log"
        started = time.monotonic()
        scratch = tmp_path / f"tmp-{run}"
        scratch.mkdir()
        make = start_make_serve(clone, port, log, scratch)
        try:
            wait_for_line(log, READY, make, timeout)
            elapsed = time.monotonic() - started
            text = log.read_text()
            assert ("training on demo data" in text) == (run == 0)
            if run == 0:  # the second run only proves the cache: no training, ready quickly
                check_answers(log)
        finally:
            stop_group(make, sig)
        assert port_free(port)
        assert port_free(moto_port(log))
        assert scratch_dirs(scratch) == []
        print(f"make serve run {run}: ready in {elapsed:.1f}s")
