"""Where `sam build` put the three units, as the tests of its output see them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from support import ROOT

from bench.size import UNITS

BUILD_DIR = ROOT / ".aws-sam" / "build"
# The size test leaves its table here; conftest prints it in the terminal summary.
SIZE_REPORT = pytest.StashKey[str]()


@dataclass(frozen=True)
class Build:
    """The function and its two layers, laid out as Lambda mounts them (/var/task, /opt)."""

    root: Path
    function: Path
    core: Path
    ml: Path

    @property
    def layers(self) -> tuple[Path, Path]:
        return self.core, self.ml

    @property
    def python_dirs(self) -> list[Path]:
        """sys.path as Lambda builds it: the function root, then each layer's python/."""
        return [self.function, *(layer / "python" for layer in self.layers)]

    @property
    def lib_dirs(self) -> list[Path]:
        """The layers' lib/ folders: /opt/lib, which Lambda puts on LD_LIBRARY_PATH."""
        return [layer / "lib" for layer in self.layers]


def load_build() -> Build:
    missing = [name for name in UNITS if not (BUILD_DIR / name).is_dir()]
    if missing:
        pytest.fail(
            f"{BUILD_DIR} lacks {', '.join(missing)}: run `make build` (`make test` does)",
            pytrace=False,
        )
    return Build(BUILD_DIR, *(BUILD_DIR / name for name in UNITS))
