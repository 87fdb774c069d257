"""The deployment requirements files are uv.lock's, and no package ships twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import ROOT

from scripts.export_requirements import FILES, RUNTIME_PROVIDED, UNITS, WHEEL_SOURCES, expected

REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+")


def pinned(path: Path) -> set[str]:
    return {
        m[1].lower() for line in path.read_text().splitlines() if (m := REQUIREMENT.match(line))
    }


@pytest.fixture(scope="module")
def fresh() -> dict[Path, str]:
    return expected()


@pytest.mark.parametrize("rel", sorted(FILES))
def test_requirements_match_fresh_export(rel: str, fresh: dict[Path, str]):
    path = ROOT / rel
    assert path.read_text() == fresh[path], (
        f"{rel} drifted from uv.lock: run `uv run --frozen python -m scripts.export_requirements`"
    )


@pytest.mark.parametrize("rel", sorted(FILES))
def test_every_requirement_is_pinned_and_hashed(rel: str):
    # An entry is a "name==version" line plus its indented --hash and "# via" lines.
    entries = re.split(r"\n(?=\S)", (ROOT / rel).read_text())
    requirements = [entry for entry in entries if REQUIREMENT.match(entry)]
    assert requirements
    assert all("--hash=sha256:" in entry for entry in requirements)


def test_no_package_in_two_units():
    """Only the first copy on sys.path is ever imported; a second one wastes the budget."""
    sets = {rel: pinned(ROOT / rel) for rel in UNITS}
    for a in sets:
        for b in sets:
            if a < b:
                assert not sets[a] & sets[b], (a, b, sets[a] & sets[b])


def test_units_split_the_stack_as_designed():
    core = pinned(ROOT / "layers/core/requirements.txt")
    ml = pinned(ROOT / "layers/ml/requirements.txt")
    function = pinned(ROOT / "predict_fn/requirements.txt")
    assert {"numpy", "pandas"} <= core
    assert {"lightgbm", "joblib", "scipy"} <= ml
    # Training-only: installed, scikit-learn is imported by every `import lightgbm`.
    assert not {"scikit-learn", "threadpoolctl"} & (core | ml | function)
    assert "aws-lambda-powertools" in function
    assert not function & set(RUNTIME_PROVIDED), "the python3.13 runtime ships boto3"


def test_build_recipes_are_identical_copies():
    """SAM builds each folder alone, so each keeps its own copy of deps.mk."""
    copies = [ROOT / folder / "deps.mk" for folder in ("layers/core", "layers/ml", "predict_fn")]
    assert len({path.read_text() for path in copies}) == 1


def test_libgomp_source_is_the_locked_scikit_learn_wheel_alone():
    """The ML layer takes libgomp out of this wheel and ships nothing else of it."""
    assert WHEEL_SOURCES == {"layers/ml/libgomp-source.txt": ("training", "scikit-learn")}
    assert pinned(ROOT / "layers/ml/libgomp-source.txt") == {"scikit-learn"}
    makefile = (ROOT / "layers/ml/Makefile").read_text()
    assert "-r libgomp-source.txt" in makefile
    assert "../" not in makefile, "SAM builds the layer from a copy of its folder alone"
