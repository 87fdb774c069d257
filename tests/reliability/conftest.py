"""Fixtures of the reliability suite: moto_server and the local API as real processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.e2e_support import LocalApi, start_api

from local.s3 import BUCKET, MotoServer, client, moto_server, seed

# Figures the tests report: printed in the terminal summary (percentiles, RSS).
REPORTS: list[tuple[str, dict[str, Any]]] = []


def report(name: str, figures: dict[str, Any]) -> None:
    REPORTS.append((name, figures))
    print(f"{name}: {json.dumps(figures)}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORTS:
        terminalreporter.section("reliability figures")
        for name, figures in REPORTS:
            terminalreporter.write_line(f"{name}: {json.dumps(figures)}")


@pytest.fixture(scope="session")
def reliability_s3(
    tmp_path_factory: pytest.TempPathFactory, trained_artifacts: Path
) -> Iterator[MotoServer]:
    """moto_server holding the demo artifacts, shared by the tests that leave it alone."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as handle, moto_server(handle) as server:
        seed(client(server.endpoint), BUCKET, trained_artifacts)
        yield server


@pytest.fixture(scope="session")
def reliability_api(
    tmp_path_factory: pytest.TempPathFactory, reliability_s3: MotoServer
) -> Iterator[LocalApi]:
    """One local API process (one container) for the fuzz and load tests."""
    server = start_api(tmp_path_factory.mktemp("api") / "api.log", reliability_s3)
    yield server
    server.stop()
