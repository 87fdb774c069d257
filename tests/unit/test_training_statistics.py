"""training.statistics: the manifest's summary of the training split, JSON-safe always."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from predict_fn import features
from training.statistics import input_statistics, prediction_statistics, training_statistics

QUANTILE_KEYS = ("p01", "p25", "p50", "p75", "p99")


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"],
            "zipcode": [98103, 2139, 98103, 60629],
            "city_full": [
                "Seattle-Tacoma-Bellevue",
                "Boston",
                "seattle \u2013 tacoma-bellevue",
                "X",
            ],
            "median_list_price": [100.0, np.nan, 300.0, 200.0],
            "homes_sold": [np.nan, np.nan, np.nan, np.nan],
            "Total Population": [1.0, np.inf, 3.0, -np.inf],
        }
    )


def test_shape_and_values() -> None:
    stats = training_statistics(frame(), np.array([5.0, 1.0, 3.0, 2.0]))
    assert set(stats) == {"inputs", "zipcodes", "cities", "predictions"}
    # Every input a request may send, absent columns included.
    assert list(stats["inputs"]) == list(features.INPUT_NUMERIC)
    price = stats["inputs"]["median_list_price"]
    assert list(price) == ["min", "max", *QUANTILE_KEYS, "missing_rate"]
    assert (price["min"], price["max"], price["p50"], price["missing_rate"]) == (
        100.0,
        300.0,
        200.0,
        0.25,
    )
    assert stats["zipcodes"] == [2139, 60629, 98103]
    assert stats["cities"] == ["boston", "seattle-tacoma-bellevue", "x"]
    assert list(stats["predictions"]) == ["min", "max", "p01", "p50", "p99"]
    assert (stats["predictions"]["min"], stats["predictions"]["max"]) == (1.0, 5.0)
    assert stats["predictions"]["p50"] == 2.5


def test_missing_columns_give_null_bounds_and_rate_one() -> None:
    stats = training_statistics(frame(), np.ones(4))
    for name in ("homes_sold", "pending_sales"):  # all NaN; not in the CSV at all
        entry = stats["inputs"][name]
        assert entry["missing_rate"] == 1.0
        assert all(entry[k] is None for k in ("min", "max", *QUANTILE_KEYS)), name
    json.dumps(stats, allow_nan=False)


def test_infinities_count_as_missing() -> None:
    entry = input_statistics(np.array([1.0, np.inf, 3.0, -np.inf]))
    assert (entry["min"], entry["max"], entry["missing_rate"]) == (1.0, 3.0, 0.5)


def test_quantiles_are_ordered_within_the_bounds() -> None:
    values = np.random.default_rng(7).lognormal(12, 1, 500)
    entry = input_statistics(values)
    ordered = [entry["min"], *(entry[k] for k in QUANTILE_KEYS), entry["max"]]
    assert ordered == sorted(ordered)
    assert (entry["min"], entry["max"]) == (values.min(), values.max())
    predictions = prediction_statistics(values)
    assert predictions["p01"] == entry["p01"] and predictions["p99"] == entry["p99"]
