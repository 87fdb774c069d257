"""local.artifacts: when `make serve` trains and when it reuses the cached tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from local import artifacts


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record training commands; a 'training' writes the manifest as the real one does."""
    calls: list[list[str]] = []

    def fake_run(command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        out = Path(command[command.index("--out") + 1])
        (out / artifacts.COMPLETE_MARKER).parent.mkdir(parents=True, exist_ok=True)
        (out / artifacts.COMPLETE_MARKER).write_text("{}")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(artifacts.subprocess, "run", fake_run)
    return calls


def test_default_dirs() -> None:
    assert artifacts.default_dir(None) == Path(".artifacts/demo")
    assert artifacts.default_dir(Path("data/HouseTS.csv")) == Path(".artifacts/HouseTS")


def test_demo_is_trained_once(tmp_path: Path, trainings: list[list[str]]) -> None:
    tree = tmp_path / "demo"
    assert artifacts.ensure(tree, None) == tree
    assert artifacts.ensure(tree, None) == tree
    assert len(trainings) == 1
    assert trainings[0][-4:] == ["training", "--demo", "--out", str(tree)]


def test_user_data_retrains_only_when_the_file_changes(
    tmp_path: Path, trainings: list[list[str]]
) -> None:
    data = tmp_path / "HouseTS.csv"
    data.write_text("date,price\n2020-01-31,1\n")
    tree = tmp_path / "HouseTS"
    artifacts.ensure(tree, data)
    artifacts.ensure(tree, data)
    assert len(trainings) == 1
    data.write_text("date,price\n2020-01-31,2\n")
    artifacts.ensure(tree, data)
    assert len(trainings) == 2
    assert trainings[1][-4:] == ["--data", str(data), "--out", str(tree)]


def test_existing_tree_is_served_as_is(tmp_path: Path, trainings: list[list[str]]) -> None:
    tree = tmp_path / "mine"
    (tree / artifacts.COMPLETE_MARKER).parent.mkdir(parents=True)
    (tree / artifacts.COMPLETE_MARKER).write_text("{}")
    artifacts.ensure(tree, None)
    assert trainings == []


def test_half_written_tree_is_retrained(tmp_path: Path, trainings: list[list[str]]) -> None:
    tree = tmp_path / "demo"
    (tree / "models").mkdir(parents=True)
    (tree / "models" / "model.pkl").write_bytes(b"partial")
    artifacts.ensure(tree, None)
    assert len(trainings) == 1


def test_failed_training_stops_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        artifacts.subprocess, "run", lambda cmd, check: subprocess.CompletedProcess(cmd, 1)
    )
    with pytest.raises(SystemExit, match="failed"):
        artifacts.ensure(tmp_path / "demo", None)
