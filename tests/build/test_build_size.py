"""The function plus both layers fit Lambda's unzipped limit, and ship what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_output import SIZE_REPORT, Build

from bench.size import LIMIT, measure, report, totals

pytestmark = pytest.mark.build


def test_total_unzipped_size_under_lambda_limit(build: Build, request: pytest.FixtureRequest):
    request.config.stash[SIZE_REPORT] = report(measure(build.root))
    sizes = totals(build.root)
    assert sizes["total"] < LIMIT, sizes


def files(root: Path, pattern: str) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(pattern))


def test_layers_ship_bytecode_only(build: Build):
    """Third-party code ships as .pyc beside nothing: .py next to it breaks the budget."""
    for layer in build.layers:
        assert files(layer, "*.py") == []
        assert files(layer / "python", "*.pyc")


def test_function_keeps_only_its_own_sources(build: Build):
    sources = files(build.function, "*.py")
    assert sources and all(s.startswith("predict_fn/") for s in sources), sources
    assert (build.function / "predict_fn" / "app.py").is_file()


def test_what_lambda_never_runs_is_pruned(build: Build):
    for unit in (build.function, *build.layers):
        leftovers = [
            path
            for pattern in ("*.pyi", "*.h", "*.pxd", "*.pyx", "*.a", "RECORD", "bin")
            for path in files(unit, pattern)
        ]
        leftovers += [d for d in files(unit, "tests") if d != "python/numpy/_core/tests"]
        leftovers += [d for d in files(unit, "__pycache__") if not d.startswith("predict_fn/")]
        assert leftovers == [], unit.name
    assert (build.core / "python/numpy/_core/tests/_natype.pyc").is_file()


def test_runtime_packages_are_not_shipped(build: Build):
    """boto3 and its dependencies come with the python3.13 runtime."""
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3"):
        for unit in build.python_dirs:
            assert not (unit / name).exists(), f"{unit}/{name}"


def test_ml_layer_ships_libgomp_but_not_scikit_learn(build: Build):
    """libgomp comes out of scikit-learn's wheel; nothing else of that wheel ships."""
    assert (build.ml / "lib" / "libgomp.so.1").is_file()
    assert files(build.ml / "lib", "*") == ["libgomp.so.1"]
    for unit in build.python_dirs:
        shipped = [p.name for p in unit.iterdir() if p.name.startswith(("sklearn", "scikit_"))]
        shipped += [p.name for p in unit.glob("threadpoolctl*")]
        assert shipped == [], unit


def test_no_top_level_module_in_two_units(build: Build):
    """Only the first copy on sys.path is imported: a second one wastes the budget."""
    seen: dict[str, str] = {}
    for unit in build.python_dirs:
        for entry in unit.iterdir():
            name = entry.name.removesuffix(".pyc")
            assert name not in seen, f"{name} is in {seen.get(name)} and {unit}"
            seen[name] = str(unit)
