"""What the model saw in training, summarised for the manifest's "statistics" key.

Serving compares requests against it (drift metrics, /health), so it holds raw input
names as a request sends them, normalised city names as the encoders key them, and
nothing JSON cannot carry: a column without one finite value gets null bounds.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from predict_fn import features
from predict_fn.contract import CITY_FULL, ZIPCODE

INPUT_QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)
PREDICTION_QUANTILES = (0.01, 0.5, 0.99)


class InputStatistics(TypedDict):
    min: float | None
    max: float | None
    p01: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p99: float | None
    missing_rate: float


class PredictionStatistics(TypedDict):
    min: float
    max: float
    p01: float
    p50: float
    p99: float


class TrainingStatistics(TypedDict):
    inputs: dict[str, InputStatistics]
    zipcodes: list[int]
    cities: list[str]
    predictions: PredictionStatistics


def input_statistics(values: np.ndarray) -> InputStatistics:
    """Bounds, quantiles and missing rate of one numeric column.

    Infinities count as missing: the request contract refuses them and JSON cannot
    carry them, so no served value can be compared with one.
    """
    present = values[np.isfinite(values)]
    if not present.size:
        return {
            "min": None,
            "max": None,
            "p01": None,
            "p25": None,
            "p50": None,
            "p75": None,
            "p99": None,
            "missing_rate": 1.0,
        }
    p01, p25, p50, p75, p99 = (float(q) for q in np.quantile(present, INPUT_QUANTILES))
    return {
        "min": float(present.min()),
        "max": float(present.max()),
        "p01": p01,
        "p25": p25,
        "p50": p50,
        "p75": p75,
        "p99": p99,
        "missing_rate": 1.0 - present.size / values.size,
    }


def prediction_statistics(predictions: np.ndarray) -> PredictionStatistics:
    """Range and quantiles of finite predictions (predict_fn.model.score guarantees them)."""
    p01, p50, p99 = (float(q) for q in np.quantile(predictions, PREDICTION_QUANTILES))
    return {
        "min": float(predictions.min()),
        "max": float(predictions.max()),
        "p01": p01,
        "p50": p50,
        "p99": p99,
    }


def training_statistics(train: pd.DataFrame, predictions: np.ndarray) -> TrainingStatistics:
    """Statistics of the training split and of the model's predictions on its rows."""
    rows = len(train)
    return {
        "inputs": {
            name: input_statistics(
                train[name].to_numpy(np.float64) if name in train else np.full(rows, np.nan)
            )
            for name in features.INPUT_NUMERIC
        },
        "zipcodes": sorted({int(z) for z in train[ZIPCODE].to_numpy(np.int64)}),
        "cities": sorted(set(features.normalise_city(train[CITY_FULL]))),
        "predictions": prediction_statistics(predictions),
    }
