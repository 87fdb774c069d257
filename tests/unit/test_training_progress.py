"""The progress bar over the boosting rounds: drawn on a terminal's stderr, silent elsewhere."""

from __future__ import annotations

import io

import pytest

from training import demo_data, pipeline

ROUNDS = pipeline.LGBM_PARAMS["n_estimators"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def train_with_stderr(stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stderr", stream)
    pipeline.train(demo_data.generate(300, seed=5))
    return stream.getvalue()


def test_bar_counts_every_round_on_a_terminal(monkeypatch, capsys) -> None:
    drawn = train_with_stderr(Terminal(), monkeypatch)
    assert "boosting" in drawn and f"{ROUNDS}/{ROUNDS}" in drawn
    assert f"{ROUNDS + 1}/{ROUNDS}" not in drawn
    assert capsys.readouterr().out == "", "stdout carries results only"


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch) -> None:
    assert train_with_stderr(io.StringIO(), monkeypatch) == ""
