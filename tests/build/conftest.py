"""Fixtures for tests of the `sam build` output; `make test` runs `make build` first."""

from __future__ import annotations

import pytest
from build_output import SIZE_REPORT, Build, load_build


@pytest.fixture(scope="session")
def build() -> Build:
    return load_build()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report = terminalreporter.config.stash.get(SIZE_REPORT, None)
    if report:
        terminalreporter.write_sep("-", "sam build output size")
        terminalreporter.write_line(report)
