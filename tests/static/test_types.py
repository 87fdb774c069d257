"""The type checker runs clean (strict) over predict_fn, training and local, as `make lint`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import ROOT


def test_mypy_is_clean() -> None:
    mypy = Path(sys.executable).with_name("mypy")
    done = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Success: no issues found" in done.stdout
