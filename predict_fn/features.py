"""Raw HouseTS rows → the model's feature matrix. The one transform training and serving share.

Pure: no I/O, no env, no logging. Vectorised over the whole frame, one output row per
input row in input order (no dedup, no filtering), so serving can never drift from
training.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from predict_fn.contract import CITY_FULL, DATE, LABEL, NUMERIC_FIELDS, ZIPCODE

# median_sale_price is the same month's sale price: knowing it is knowing the label.
LEAKAGE = ("median_sale_price", LABEL)
INPUT_NUMERIC = tuple(name for name in NUMERIC_FIELDS if name not in LEAKAGE)
ZIP_FREQ = "zipcode_freq"
CITY_TE = "city_full_te"
TARGET_SMOOTHING = 20.0

# A DataFrame read from CSV, or the column mapping the request contract builds.
type RawColumns = pd.DataFrame | Mapping[str, Any]

_DASHES = re.compile(r"\s*[\u2010-\u2015\u2212\-]+\s*")
_SPACES = re.compile(r"\s+")


def column_name(field: str) -> str:
    """LightGBM feature names must be plain identifiers: 'Total Population' → 'total_population'."""
    return field.strip().lower().replace(" ", "_")


# Computed once: the request path maps every numeric field to its feature name.
_INPUT_COLUMNS = tuple((name, column_name(name)) for name in INPUT_NUMERIC)
YEAR_PART, QUARTER_PART, MONTH_PART = "year", "quarter", "month"  # the parts of `date` used
# Each feature as a person recognises it: the input it comes from, and how, where it is
# not that input itself (explanations and the training report show these).
INPUT_OF: dict[str, str] = {
    **{column: name for name, column in _INPUT_COLUMNS},
    **{part: f"{DATE} ({part})" for part in (YEAR_PART, QUARTER_PART, MONTH_PART)},
    ZIP_FREQ: f"{ZIPCODE} (training frequency)",
    CITY_TE: f"{CITY_FULL} (target-encoded)",
}


@dataclass(frozen=True, slots=True)
class Encoders:
    """Plain mappings fitted on the training split only."""

    zip_freq: Mapping[int, int]
    city_mean: Mapping[str, float]
    global_mean: float

    def freq_artifact(self) -> dict[int, int]:
        return dict(self.zip_freq)

    def target_artifact(self) -> dict[str, object]:
        return {
            "mapping": dict(self.city_mean),
            "global_mean": self.global_mean,
            "smoothing": TARGET_SMOOTHING,
        }

    @classmethod
    def from_artifacts(cls, freq: Mapping[int, int], target: Mapping[str, object]) -> Encoders:
        mapping = target["mapping"]
        global_mean = target["global_mean"]
        if not isinstance(mapping, Mapping) or not isinstance(global_mean, float | int):
            raise TypeError("target encoder must hold a 'mapping' dict and a numeric 'global_mean'")
        return cls(zip_freq=freq, city_mean=mapping, global_mean=float(global_mean))


@lru_cache(maxsize=4096)
def _normalise_one(city: str) -> str:
    return _SPACES.sub(" ", _DASHES.sub("-", city.strip().lower()))


def normalise_city(cities: Iterable[str]) -> list[str]:
    """Case, surrounding/inner whitespace and dash variants do not make a different city."""
    return [_normalise_one(city) for city in cities]


def fit_encoders(train: pd.DataFrame) -> Encoders:
    """Zipcode → row count and smoothed mean price per normalised city, from training rows."""
    zip_freq = train[ZIPCODE].astype(np.int64).value_counts()
    cities = pd.Series(normalise_city(train[CITY_FULL]), index=train.index)
    global_mean = float(train[LABEL].mean())
    stats = train[LABEL].groupby(cities).agg(["sum", "count"])
    smoothed = (stats["sum"] + TARGET_SMOOTHING * global_mean) / (stats["count"] + TARGET_SMOOTHING)
    return Encoders(
        zip_freq={int(k): int(v) for k, v in zip_freq.items()},
        city_mean={str(k): float(v) for k, v in smoothed.items()},
        global_mean=global_mean,
    )


def feature_columns(raw: RawColumns, encoders: Encoders) -> dict[str, np.ndarray]:
    """Every engineered feature as a float64 column, keyed by feature name.

    `raw` is a DataFrame read from a HouseTS CSV or the column mapping the request
    contract builds; either way one column per field, one row per record. Missing
    numeric inputs become NaN (LightGBM's missing value); unseen zipcodes get
    frequency 0 and unseen cities the global mean.
    """
    rows = len(raw[DATE])
    days = np.asarray(raw[DATE], dtype="datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64)
    month = (months % 12 + 1).astype(np.float64)
    data = {
        YEAR_PART: (months // 12 + 1970).astype(np.float64),
        QUARTER_PART: np.ceil(month / 3),
        MONTH_PART: month,
    }
    for name, column in _INPUT_COLUMNS:
        data[column] = (
            np.asarray(raw[name], dtype=np.float64) if name in raw else np.full(rows, np.nan)
        )
    freq = encoders.zip_freq
    data[ZIP_FREQ] = np.fromiter(
        (freq.get(z, 0) for z in np.asarray(raw[ZIPCODE], dtype=np.int64).tolist()),
        dtype=np.float64,
        count=rows,
    )
    means, fallback = encoders.city_mean, encoders.global_mean
    data[CITY_TE] = np.fromiter(
        (means.get(c, fallback) for c in normalise_city(raw[CITY_FULL])),
        dtype=np.float64,
        count=rows,
    )
    return data


def transform(raw: RawColumns, encoders: Encoders) -> pd.DataFrame:
    """The engineered features as a DataFrame, in the order training defines them."""
    return pd.DataFrame(feature_columns(raw, encoders))


def matrix(raw: RawColumns, encoders: Encoders, feature_order: Sequence[str]) -> np.ndarray:
    """The model's input: features aligned to `feature_order`, as one float64 matrix."""
    data = feature_columns(raw, encoders)
    missing = [c for c in feature_order if c not in data]
    if missing:
        raise KeyError(f"the model asks for features this code does not produce: {missing}")
    return np.column_stack([data[c] for c in feature_order])
