"""The README's set-up on a fresh machine: no uv anywhere, an empty HOME, only python3 and make.

The clone gets a scrubbed environment: HOME an empty temp dir and a PATH of the
system directories plus one folder holding only a python3.13 link (uv finds an
interpreter there; these machines cannot download one). Only uv's package cache is
shared, to save downloads. The system python3 here is Debian's, which refuses pip
installs (PEP 668), so the bootstrap must take the private-venv road.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_support import (
    CACHED_START_TIMEOUT,
    READY,
    check_answers,
    moto_port,
    port_free,
    scratch_dirs,
    stop_group,
    wait_for_line,
)
from support import ROOT, UV

from local.s3 import free_port

pytestmark = pytest.mark.e2e

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INSTALLER = "curl -LsSf https://astral.sh/uv/install.sh | sh"
# How this machine reaches the package registries; not state a user's account holds.
NETWORK = re.compile(
    r"(SSL_CERT_(FILE|DIR)|PIP_CERT|REQUESTS_CA_BUNDLE|(https?|no|all)_proxy)", re.I
)
BUILD_TIMEOUT = 900
# A fresh clone installs the environment from the uv cache and trains the demo model.
FRESH_START_TIMEOUT = 420.0


@dataclass(frozen=True)
class Machine:
    """A fresh clone and the scrubbed environment a new user's shell would give it."""

    clone: Path
    env: dict[str, str]
    build_log: str
    build_seconds: float


def python313() -> Path:
    """The real python3.13 binary behind this venv (a link target, not a venv shim)."""
    return Path(sys.executable).resolve()


def interpreter_dir(tmp: Path) -> Path:
    folder = tmp / "python-only"
    folder.mkdir()
    (folder / "python3.13").symlink_to(python313())
    return folder


def scrubbed_env(tmp: Path, path: str) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir()
    cache = subprocess.run([UV, "cache", "dir"], capture_output=True, text=True, check=True)
    network = {name: value for name, value in os.environ.items() if NETWORK.fullmatch(name)}
    return {
        **network,
        "HOME": str(home),
        "PATH": path,
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp),
        "UV_CACHE_DIR": cache.stdout.strip(),
    }


def clone_worktree(dest: Path) -> Path:
    """`git clone` of this repository, with the working tree's uncommitted files laid over it."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True, timeout=120)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (os.fsdecode(raw) for raw in listed)):
        source, target = ROOT / name, dest / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif target.is_file():  # deleted in the working tree, not yet committed
            target.unlink()
    return dest


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    tmp = tmp_path_factory.mktemp("fresh")
    path = f"{interpreter_dir(tmp)}:{SYSTEM_PATH}"
    env = scrubbed_env(tmp, path)
    assert shutil.which("uv", path=path) is None, "the scrubbed PATH must hold no uv"
    clone = clone_worktree(tmp / "clone")
    started = time.monotonic()
    done = subprocess.run(
        ["make", "build"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    seconds = time.monotonic() - started
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-6000:]
    print(f"fresh machine: bootstrap + make build in {seconds:.1f}s")
    yield Machine(clone, env, log, seconds)


def test_make_build_bootstraps_uv_and_hands_it_to_every_nested_make(machine: Machine) -> None:
    private_uv = machine.clone / ".bootstrap" / "bin" / "uv"
    assert private_uv.is_file()
    assert "installing uv" in machine.build_log
    # The function's and both layers' makefile builds ran the private uv by absolute path.
    for unit in ("PredictFunction", "CoreLayer", "MlLayer"):
        target = machine.clone / ".aws-sam" / "build" / unit
        assert f'"{private_uv}" pip install --target "{target}' in machine.build_log, unit
    assert (machine.clone / ".aws-sam" / "build" / "template.yaml").is_file()
    # Nothing was installed into the user's account: HOME holds no uv.
    home = Path(machine.env["HOME"])
    assert not list(home.rglob("uv")), sorted(home.rglob("*"))


def test_make_serve_then_ctrl_c_on_the_fresh_machine(machine: Machine, tmp_path: Path) -> None:
    """`make serve` trains the demo model, answers the printed curl, and stops on Ctrl-C."""
    for run, (timeout, sig) in enumerate(
        [(FRESH_START_TIMEOUT, signal.SIGINT), (CACHED_START_TIMEOUT, signal.SIGTERM)]
    ):
        port = free_port()
        log = tmp_path / f"make-serve-{run}.log"
        scratch = tmp_path / f"tmp-{run}"
        scratch.mkdir()
        started = time.monotonic()
        with log.open("wb") as handle:
            make = subprocess.Popen(
                ["make", "serve", f"PORT={port}"],
                cwd=machine.clone,
                env={**machine.env, "TMPDIR": str(scratch)},
                stdout=handle,
                stderr=subprocess.STDOUT,
                # Like a terminal: its own session, so Ctrl-C reaches the whole group, and
                # SIGINT at its default even when this test runs in a background job.
                start_new_session=True,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )
        try:
            wait_for_line(log, READY, make, timeout)
            elapsed = time.monotonic() - started
            assert ("training on demo data" in log.read_text()) == (run == 0)
            if run == 0:
                check_answers(log)
        finally:
            stop_group(make, sig)
        assert port_free(port)
        assert port_free(moto_port(log))
        assert scratch_dirs(scratch) == []
        print(f"fresh machine: make serve run {run} ready in {elapsed:.1f}s")


# The other roads to a uv, each through scripts/uv.sh alone in a scrubbed environment.


def wrapper(folder: Path, python: Path, refuse: tuple[str, ...]) -> Path:
    """A python3 that refuses the given `-m` modules, the way a minimal distro's does."""
    folder.mkdir(exist_ok=True)
    cases = "".join(
        f'    *"-m {module}"*) echo "No module named {module}" >&2; exit 1;;\n' for module in refuse
    )
    script = folder / "python3"
    script.write_text(f'#!/bin/sh\ncase "$*" in\n{cases}esac\nexec "{python}" "$@"\n')
    script.chmod(0o755)
    return script


def resolve_uv(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(repo / "scripts" / "uv.sh")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    """Just the resolver, in a folder of its own: each case starts without .bootstrap/."""
    (tmp_path / "repo" / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "uv.sh", tmp_path / "repo" / "scripts" / "uv.sh")
    return tmp_path / "repo"


def test_uv_on_path_is_used_as_it_is(bare_repo: Path, tmp_path: Path) -> None:
    real = Path(UV).resolve()
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "uv").symlink_to(real)
    done = resolve_uv(bare_repo, scrubbed_env(tmp_path, f"{folder}:{SYSTEM_PATH}"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(real)
    assert not (bare_repo / ".bootstrap").exists()


def test_importable_uv_is_found_by_its_module(
    bare_repo: Path, tmp_path: Path, machine: Machine
) -> None:
    # The fresh clone's bootstrap venv has uv as a module: a python3 that runs there.
    venv_python = machine.clone / ".bootstrap" / "bin" / "python3"
    folder = tmp_path / "bin"
    wrapper(folder, venv_python, ())
    done = resolve_uv(bare_repo, scrubbed_env(tmp_path, f"{folder}:{SYSTEM_PATH}"))
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == (machine.clone / ".bootstrap" / "bin" / "uv").resolve()
    assert not (bare_repo / ".bootstrap").exists()


def system_python() -> Path:
    """The distribution's python3 (here Debian 12's, which refuses pip installs: PEP 668)."""
    found = shutil.which("python3", path=SYSTEM_PATH)
    assert found, "the machine needs a python3"
    return Path(found)


def test_without_venv_pip_installs_into_the_private_folder(bare_repo: Path, tmp_path: Path) -> None:
    """Debian without python3-venv: its pip installs into .bootstrap/ with --target."""
    folder = tmp_path / "bin"
    wrapper(folder, system_python(), ("venv",))
    env = scrubbed_env(tmp_path, f"{folder}:{SYSTEM_PATH}")
    done = resolve_uv(bare_repo, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(bare_repo / ".bootstrap" / "bin" / "uv")
    assert subprocess.run([done.stdout.strip(), "--version"], capture_output=True).returncode == 0
    assert not any(Path(env["HOME"]).iterdir())  # nothing in the user's account


def test_without_venv_or_pip_one_line_names_the_installer(bare_repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    wrapper(folder, system_python(), ("venv", "pip"))
    done = resolve_uv(bare_repo, scrubbed_env(tmp_path, f"{folder}:{SYSTEM_PATH}"))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1].endswith(INSTALLER)
    assert not (bare_repo / ".bootstrap").exists()


def test_make_stops_with_that_line_when_uv_cannot_be_had(bare_repo: Path, tmp_path: Path) -> None:
    shutil.copy2(ROOT / "Makefile", bare_repo / "Makefile")
    folder = tmp_path / "bin"
    wrapper(folder, python313(), ("venv", "pip"))
    done = subprocess.run(
        ["make", "setup"],
        cwd=bare_repo,
        env=scrubbed_env(tmp_path, f"{folder}:{SYSTEM_PATH}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert INSTALLER in done.stderr
    assert "no uv" in done.stderr
