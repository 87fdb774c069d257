"""Every shared object in the build loads on Amazon Linux 2023 with what the layers ship."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from build_output import Build
from elf_deps import check, elf_files, load_policy

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_policy_matches_amazon_linux_2023_glibc(policy):
    newest = max(tuple(map(int, v.split("."))) for v in policy.symbol_versions["GLIBC"])
    assert newest == (2, 34)
    assert "libc.so.6" in policy.libraries


def test_shared_objects_need_only_base_or_shipped_libraries(build: Build, policy):
    assert sum(1 for _ in elf_files([build.function, *build.layers])) > 100
    problems = check([build.function, *build.layers], build.lib_dirs, policy)
    assert problems == [], "\n".join(map(str, problems))


def test_check_fails_without_shipped_libgomp(build: Build, policy, tmp_path: Path):
    """lib_lightgbm.so finds libgomp.so.1 only in the ml layer's lib/ (/opt/lib)."""
    ml = shutil.copytree(build.ml, tmp_path / "MlLayer", symlinks=True)
    (ml / "lib" / "libgomp.so.1").unlink()
    problems = check([ml], [build.core / "lib", ml / "lib"], policy)
    assert {(p.path.relative_to(ml).as_posix(), p.library) for p in problems} == {
        ("python/lightgbm/lib/lib_lightgbm.so", "libgomp.so.1")
    }
