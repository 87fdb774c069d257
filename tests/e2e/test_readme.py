"""Every command in README.md is run here or by CI (`make test` is .ci/run itself).

curl commands run against a real local API; make targets must exist; sam and
training commands must use flags their CLIs accept (deploying needs AWS, so their
--help is the contract checked).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator

import pytest
from e2e_support import LocalApi, start_api
from support import ROOT

from local.s3 import MotoServer

pytestmark = pytest.mark.e2e

README = (ROOT / "README.md").read_text()


def commands() -> list[str]:
    found = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                found.append(command)
    return found


def by_tool(tool: str) -> list[list[str]]:
    return [shlex.split(c) for c in commands() if shlex.split(c)[0] == tool]


def test_quickstart_is_two_commands_and_ci_runs_the_test_one() -> None:
    assert commands()[:2] == ["make serve", "make test"]
    ci = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci == ["make test"]


def test_every_make_target_in_the_readme_exists() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    used = {word for c in commands() for word in re.findall(r"\bmake ([a-z-]+)", c)}
    used |= set(re.findall(r"`make ([a-z-]+)", README))
    assert used and used <= targets, used - targets


@pytest.mark.parametrize(
    ("argv_prefix", "skip"),
    [(["uv", "run", "sam"], 3), (["uv", "run", "python", "-m"], 4)],
    ids=["sam", "python -m"],
)
def test_cli_flags_in_the_readme_exist(argv_prefix: list[str], skip: int) -> None:
    checked = 0
    for argv in by_tool("uv"):
        if argv[: len(argv_prefix)] != argv_prefix:
            continue
        words = argv[skip:]
        # Leading words up to the first flag: the subcommand path plus any positional
        # argument, which click's eager --help accepts.
        first_flag = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
        subcommand = words[:first_flag]
        if argv_prefix[-1] == "-m":
            help_cmd = [sys.executable, "-m", subcommand[0], "--help"]
        else:
            help_cmd = [sys.executable, "-m", "samcli", *subcommand, "--help"]
        help_text = subprocess.run(
            help_cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
        ).stdout
        for flag in (w.split("=")[0] for w in words if w.startswith("-")):
            assert flag in help_text, f"{' '.join(argv)}: {flag} not in {' '.join(help_cmd)}"
        checked += 1
    assert checked


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, s3: MotoServer) -> Iterator[LocalApi]:
    server = start_api(tmp_path_factory.mktemp("readme") / "api.log", s3)
    yield server
    server.stop()


def test_readme_curl_commands_answer(api: LocalApi) -> None:
    curls = by_tool("curl")
    assert len(curls) >= 2
    for argv in curls:
        argv = [a.replace("http://127.0.0.1:3000", api.base) for a in argv]
        out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout
        body = json.loads(out)
        if any(a.endswith("/predict") for a in argv):
            assert body["count"] == len(body["predictions"]) == 1
        else:
            assert body["loaded"] is True
