"""predict_fn.explain: TreeSHAP rows become named contributions, largest first."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from predict_fn import config, explain
from predict_fn.features import CITY_TE, INPUT_NUMERIC, ZIP_FREQ, Encoders, transform
from predict_fn.model import Bundle

ENCODERS = Encoders(zip_freq={}, city_mean={}, global_mean=1.0)
RECORD = {"date": ["2020-01-31"], "zipcode": np.array([1]), "city_full": ["x"]}
FEATURES = ("year", "median_list_price", ZIP_FREQ, CITY_TE)


def test_every_feature_is_named_after_the_input_it_comes_from() -> None:
    order = tuple(transform(RECORD, ENCODERS).columns)
    assert sorted(explain.display_names(order)) == sorted(
        [
            *INPUT_NUMERIC,
            "date (year)",
            "date (quarter)",
            "date (month)",
            "zipcode (training frequency)",
            "city_full (target-encoded)",
        ]
    )


def bundle_explaining(shap: np.ndarray) -> Bundle:
    def predict(matrix: np.ndarray, *, pred_contrib: bool, num_threads: int) -> np.ndarray:
        assert pred_contrib and num_threads == 1 and len(matrix) == len(shap)
        return shap

    booster = SimpleNamespace(predict=predict)
    return Bundle(SimpleNamespace(booster_=booster), ENCODERS, FEATURES, {})


def test_contributions_are_named_sorted_by_magnitude_with_the_baseline_apart() -> None:
    shap = np.array([[1.0, -5.0, 0.0, 3.0, 100.0], [-2.0, 2.0, 7.0, 0.5, 100.0]])
    first, second = explain.explanations(bundle_explaining(shap), np.zeros((2, 4)))
    assert first == {
        "baseline": 100.0,
        "contributions": {
            "median_list_price": -5.0,
            "city_full (target-encoded)": 3.0,
            "date (year)": 1.0,
            "zipcode (training frequency)": 0.0,
        },
    }
    # Equal magnitudes keep the model's feature order; insertion order is the ranking.
    assert list(second["contributions"]) == [
        "zipcode (training frequency)",
        "date (year)",
        "median_list_price",
        "city_full (target-encoded)",
    ]
    assert all(type(v) is float for v in second["contributions"].values())


def test_the_bound_defaults_to_100_and_reads_its_variable() -> None:
    assert config.load({"S3_BUCKET": "b"}).max_explain_records == 100
    assert config.load({"S3_BUCKET": "b", "MAX_EXPLAIN_RECORDS": "7"}).max_explain_records == 7
