"""The loaded model bundle and the one predict() that training and serving both call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from predict_fn import features
from predict_fn.contract import CITY_FULL, DATE, ZIPCODE
from predict_fn.features import Encoders

# The least a request can send: the required fields, every numeric input missing
# (LightGBM takes NaN down each split's default branch).
_PROBE_RECORD: dict[str, Any] = {
    DATE: ["2020-01-31"],
    ZIPCODE: np.zeros(1, np.int64),
    CITY_FULL: [""],
}


class ProbeFailed(RuntimeError):
    """A loaded model that cannot predict: its digest matched, but it must not be served."""


@dataclass(frozen=True, slots=True)
class Bundle:
    """Everything a warm request needs; built once per container."""

    model: Any  # lightgbm.LGBMRegressor; typed loosely so importing this module stays cheap
    encoders: Encoders
    feature_order: tuple[str, ...]
    manifest: Mapping[str, Any]

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", "unknown"))


def score(bundle: Bundle, matrix: np.ndarray) -> np.ndarray:
    """One float per row of an aligned feature matrix, in order.

    The booster is called directly: the scikit-learn wrapper's input checks cost more
    than the prediction itself for small batches, and one thread avoids OpenMP
    start-up on Lambda's fractional vCPUs.
    """
    predictions = np.asarray(bundle.model.booster_.predict(matrix, num_threads=1), np.float64)
    # JSON cannot carry NaN: a model fault must be a logged 500, not a response the
    # serializer refuses outside the resolver's error handlers.
    if not np.isfinite(predictions).all():
        raise ValueError(
            f"model gave {np.count_nonzero(~np.isfinite(predictions))} non-finite predictions"
        )
    return predictions


def predict(bundle: Bundle, raw: features.RawColumns) -> np.ndarray:
    """One finite float per row of `raw`, in order: what training evaluates and serving returns."""
    return score(bundle, features.matrix(raw, bundle.encoders, bundle.feature_order))


def probe(bundle: Bundle) -> None:
    """Predict two probe rows before the bundle serves a request; raise ProbeFailed unless
    both give one finite float each.

    One row takes a request's whole way (features, encoders, booster); the other is a
    row of missing values straight into the booster. Both also warm the hot path.
    """
    try:
        through_features = predict(bundle, _PROBE_RECORD)
        all_missing = score(bundle, np.full((1, len(bundle.feature_order)), np.nan))
    except Exception as exc:  # an unpickled object can raise anything
        raise ProbeFailed(
            f"model: probe prediction raised {type(exc).__name__}: {str(exc)[:200]}"
        ) from exc
    for name, values in (("request-shaped", through_features), ("all-missing", all_missing)):
        if values.shape != (1,) or not np.isfinite(values).all():
            raise ProbeFailed(
                f"model: {name} probe row gave shape {values.shape}, starting "
                f"{values.ravel()[:3].tolist()!r}, "
                "not one finite number"
            )


class RegressionMetrics(TypedDict):
    mae: float
    rmse: float
    mape: float
    r2: float | None


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> RegressionMetrics:
    """MAE, RMSE, MAPE (percent) and R² of `predicted` against `actual` (prices >= 1).

    R² is None when every actual is the same (it is undefined, and NaN is not JSON).
    """
    error = predicted - actual
    spread = float(np.sum((actual - actual.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(np.mean(np.abs(error) / np.abs(actual)) * 100),
        "r2": float(1 - np.sum(error**2) / spread) if spread > 0 else None,
    }
