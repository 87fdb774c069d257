"""predict_fn.drift: counts of drifting records against training statistics, and their summary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from predict_fn import drift
from predict_fn.contract import to_columns
from predict_fn.features import INPUT_NUMERIC, Encoders

ENCODERS = Encoders(
    zip_freq={98103: 7}, city_mean={"seattle-tacoma-bellevue": 5e5}, global_mean=5e5
)
# Training always had bank and Total Population, in [0, 10] and [100, 200]; park was
# sometimes missing; school was never seen at all (no bounds).
INPUTS = {
    "bank": {"min": 0.0, "max": 10.0, "missing_rate": 0.0},
    "Total Population": {"min": 100.0, "max": 200.0, "missing_rate": 0.0},
    "park": {"min": 1.0, "max": 2.0, "missing_rate": 0.25},
    "school": {"min": None, "max": None, "missing_rate": 1.0},
}
STATISTICS = {
    "inputs": INPUTS,
    "zipcodes": [98103],
    "cities": ["seattle-tacoma-bellevue"],
    "predictions": {"min": 1e5, "max": 1e6, "p01": 2e5, "p50": 5e5, "p99": 9e5},
}
TRAINING_ROW = {
    "date": "2020-01-31",
    "zipcode": 98103,
    "city_full": " Seattle\u2013Tacoma\u2013Bellevue ",  # normalised as the encoder was fitted
    "bank": 10,
    "Total Population": 100,
    "park": None,
    "school": 3,
}


def counts(*records: dict[str, Any], predictions: list[float] | None = None) -> dict[str, int]:
    prices = np.array(predictions or [5e5] * len(records))
    return drift.counts(to_columns(list(records)), prices, ENCODERS, STATISTICS)


def test_a_training_like_record_drifts_nowhere() -> None:
    assert counts(TRAINING_ROW, TRAINING_ROW, predictions=[1e5, 1e6]) == {}


def test_each_kind_of_drift_is_counted_by_record() -> None:
    bad = {
        **TRAINING_ROW,
        "zipcode": "02139",
        "city_full": "Boston",
        "bank": 100,
        "Total Population": 1e9,  # a second input out of range: still one record
    }
    missing = {k: v for k, v in TRAINING_ROW.items() if k != "bank"}
    nulled = {**TRAINING_ROW, "Total Population": None}
    assert counts(bad, missing, nulled, TRAINING_ROW, predictions=[5e5, 5e5, 5e5, 2e6]) == {
        drift.UNSEEN_ZIPCODES: 1,
        drift.UNSEEN_CITIES: 1,
        drift.OUT_OF_RANGE_INPUTS: 1,
        drift.MISSING_INPUTS: 2,
        drift.OUT_OF_RANGE_PREDICTIONS: 1,
    }


def test_below_the_minimum_is_out_of_range_too() -> None:
    low = {**TRAINING_ROW, "Total Population": 99.5}
    assert counts(low, predictions=[99_999.0]) == {
        drift.OUT_OF_RANGE_INPUTS: 1,
        drift.OUT_OF_RANGE_PREDICTIONS: 1,
    }


def test_inputs_training_missed_sometimes_or_never_measured_flag_nothing() -> None:
    assert counts({**TRAINING_ROW, "park": None, "school": 1e9}) == {}


def test_a_manifest_without_statistics_measures_nothing() -> None:
    raw = to_columns([{**TRAINING_ROW, "zipcode": 1}])
    assert drift.counts(raw, np.array([0.0]), ENCODERS, None) == {}


def test_partial_statistics_measure_what_they_have() -> None:
    raw = to_columns([{**TRAINING_ROW, "zipcode": 1, "bank": 1e6}])
    assert drift.counts(raw, np.array([0.0]), ENCODERS, {"zipcodes": []}) == {
        drift.UNSEEN_ZIPCODES: 1
    }


def test_every_metric_name_says_what_it_counts() -> None:
    assert drift.METRICS == (
        "UnseenZipcodes",
        "UnseenCities",
        "OutOfRangeInputs",
        "MissingInputs",
        "OutOfRangePredictions",
    )


@pytest.mark.parametrize("statistics", [None, [], "x"])
def test_no_summary_without_statistics(statistics: object) -> None:
    assert drift.summary(statistics) is None


def test_the_summary_holds_sizes_not_lists() -> None:
    statistics = {**STATISTICS, "inputs": dict.fromkeys(INPUT_NUMERIC, INPUTS["bank"])}
    assert drift.summary(statistics) == {
        "inputs": len(INPUT_NUMERIC),
        "zipcodes": 1,
        "cities": 1,
        "predictions": {"min": 1e5, "max": 1e6},
    }
