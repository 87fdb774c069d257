"""Fixtures for the end-to-end tests: one moto_server process shared by the session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import EVENT_FILES, EVENTS, port_free

from local.s3 import BUCKET, MotoServer, client, moto_server, seed


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory, trained_artifacts: Path) -> Iterator[MotoServer]:
    """moto_server as a real process, holding the demo-trained artifacts."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as handle, moto_server(handle) as server:
        seed(client(server.endpoint), BUCKET, trained_artifacts)
        yield server
    assert server.process.poll() is not None
    assert port_free(server.port)


@pytest.fixture(scope="session")
def event_files() -> dict[str, dict[str, Any]]:
    return {name: json.loads((EVENTS / name).read_text()) for name in EVENT_FILES}
