"""predict_fn.model.probe: a bundle serves only if it predicts one finite float per probe row."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from predict_fn.features import Encoders
from predict_fn.model import Bundle, ProbeFailed, probe, score

FEATURES = ("year", "quarter", "month", "zipcode_freq", "city_full_te")
ENCODERS = Encoders(zip_freq={}, city_mean={}, global_mean=1.0)


def bundle_predicting(predict) -> Bundle:
    booster = SimpleNamespace(predict=predict)
    return Bundle(SimpleNamespace(booster_=booster), ENCODERS, FEATURES, {"version": "t"})


def test_a_finite_prediction_per_row_passes() -> None:
    seen: list[np.ndarray] = []

    def predict(matrix, num_threads):
        seen.append(matrix)
        return np.full(len(matrix), 250_000.0)

    probe(bundle_predicting(predict))
    assert [m.shape for m in seen] == [(1, len(FEATURES)), (1, len(FEATURES))]
    assert np.isnan(seen[1]).all()  # the all-missing row
    assert not np.isnan(seen[0][0, :3]).any()  # the request-shaped row has its date features


@pytest.mark.parametrize(
    ("predict", "says"),
    [
        (lambda m, num_threads: np.full(len(m), np.nan), "1 non-finite"),
        (lambda m, num_threads: np.full(len(m), np.inf), "1 non-finite"),
        (lambda m, num_threads: np.ones(len(m) + 1), "shape (2,)"),
        (lambda m, num_threads: np.ones((len(m), 3)), "shape (1, 3)"),
        (lambda m, num_threads: 1 / 0, "ZeroDivisionError"),
        (lambda m, num_threads: "x" * 10_000, "ValueError"),
    ],
)
def test_a_model_that_cannot_predict_fails_the_probe(predict, says: str) -> None:
    with pytest.raises(ProbeFailed) as caught:
        probe(bundle_predicting(predict))
    assert says in str(caught.value)
    assert len(str(caught.value)) < 400


def test_score_refuses_non_finite_predictions() -> None:
    """JSON cannot carry NaN: a model that gives one fails loudly instead of answering."""
    bundle = bundle_predicting(lambda m, num_threads: np.array([1.0, np.nan, np.inf]))
    with pytest.raises(ValueError, match="2 non-finite"):
        score(bundle, np.zeros((3, len(FEATURES))))
