"""Helpers for tests that run real processes on loopback: start, watch, stop, check clean.

Process bookkeeping reads /proc (Linux, like CI): psutil is not a dependency.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support import NOT_HTTP_EVENTS, ROOT

from local.s3 import FAKE_CREDENTIALS, MotoServer, free_port, local_s3_env_vars, wait_for_port

EVENTS = ROOT / "events"
EVENT_FILES = sorted(p.name for p in EVENTS.glob("*.json") if p.name not in NOT_HTTP_EVENTS)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    return text[text.rindex(")") + 2 :].split()


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def descendants(pid: int) -> set[int]:
    """Every live process below pid (children, grandchildren, ...)."""
    parents = {}
    for other in _all_pids():
        fields = _stat(other)
        if fields is not None and fields[0] != "Z":
            parents[other] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def session_members(sid: int) -> set[int]:
    """Live processes of a session (what `start_new_session=True` put them in)."""
    members = set()
    for pid in _all_pids():
        fields = _stat(pid)
        if fields is not None and fields[0] != "Z" and int(fields[3]) == sid:
            members.add(pid)
    return members


def port_free(port: int) -> bool:
    """Nobody listens on it: a server could bind it now (TIME_WAIT leftovers do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_gone(pids: set[int], timeout: float = STOP_TIMEOUT) -> set[int]:
    """The pids still running after waiting up to timeout seconds for them to exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {pid for pid in pids if running(pid)}
        if not left:
            return set()
        time.sleep(0.1)
    return {pid for pid in pids if running(pid)}


def wait_for_line(log: Path, pattern: str, process: subprocess.Popen[Any], timeout: float) -> str:
    """The first line of log matching pattern; fails if the process exits first."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if regex.search(line):
                return line
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode} first:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)
    raise AssertionError(f"no line matching {pattern!r} in {timeout:.0f}s:\n{log.read_text()}")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a spawned process: fake credentials, no real AWS profile."""
    drop = {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, **FAKE_CREDENTIALS, "PYTHONUNBUFFERED": "1", **extra}


READY = r"Local API ready on http://127\.0\.0\.1:\d+"
CACHED_START_TIMEOUT = 90.0


def printed_curls(log: Path) -> dict[str, list[str]]:
    curls = [shlex.split(line) for line in log.read_text().splitlines() if "curl " in line]
    return {"predict": next(c for c in curls if "POST" in c), "health": curls[-1]}


def run_curl(command: list[str]) -> dict[str, Any]:
    assert command[0] == "curl"
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def moto_port(log: Path) -> int:
    found = re.search(r"moto_server\) at http://127\.0\.0\.1:(\d+)", log.read_text())
    assert found, log.read_text()
    return int(found.group(1))


def check_answers(log: Path) -> None:
    """The curl commands `make serve` printed work when pasted: one prediction, loaded."""
    curls = printed_curls(log)
    answer = run_curl(curls["predict"])
    assert answer["count"] == len(answer["predictions"]) == 1
    assert isinstance(answer["predictions"][0], float)
    assert run_curl(curls["health"])["loaded"] is True


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


def scratch_dirs(tmp: Path) -> list[Path]:
    """The containers' private /tmp stand-ins under a TMPDIR (removed when they stop)."""
    return sorted(tmp.glob("lambda-*"))


@dataclass
class LocalApi:
    base: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    tmp: Path

    def stop(self) -> str:
        """SIGTERM, then check it exited cleanly, left no child, port or scratch dir."""
        children = descendants(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(STOP_TIMEOUT)
        assert code == 0, self.log.read_text()[-4000:]
        assert wait_gone(children) == set()
        assert port_free(self.port)
        assert scratch_dirs(self.tmp) == []
        return self.log.read_text()


def start_api(log: Path, s3: MotoServer, *extra: str) -> LocalApi:
    """`python -m local.api` against moto_server, as `make serve` wires it."""
    port = free_port()
    tmp = log.parent / f"tmp-{port}"
    tmp.mkdir()
    env_vars = log.parent / f"env-{port}.json"
    env_vars.write_text(json.dumps(local_s3_env_vars({}, s3.endpoint)))
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.api",
            "--port",
            str(port),
            "--env-vars",
            str(env_vars),
            *extra,
        ],
        cwd=ROOT,
        env=child_env(TMPDIR=str(tmp)),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    try:
        wait_for_port(port, process, START_TIMEOUT)
    except Exception:
        process.kill()
        process.wait()
        raise AssertionError(log.read_text()) from None
    return LocalApi(f"http://127.0.0.1:{port}", port, process, log, tmp)
