"""Raw HouseTS rows → the model's feature matrix. The one transform training and serving share.

Pure: no I/O, no env, no logging. Vectorised over the whole frame, one output row per
input row in input order (no dedup, no filtering), so serving can never drift from
training.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from predict_fn.schema import CITY_FULL, DATE, LABEL, NUMERIC_FIELDS, ZIPCODE

# median_sale_price is the same month's sale price: knowing it is knowing the label.
LEAKAGE = ("median_sale_price", LABEL)
INPUT_NUMERIC = tuple(name for name in NUMERIC_FIELDS if name not in LEAKAGE)
ZIP_FREQ = "zipcode_freq"
CITY_TE = "city_full_te"
TARGET_SMOOTHING = 20.0

_DASHES = re.compile(r"\s*[\u2010-\u2015\u2212\-]+\s*")
_SPACES = re.compile(r"\s+")


def column_name(field: str) -> str:
    """LightGBM feature names must be plain identifiers: 'Total Population' → 'total_population'."""
    return field.strip().lower().replace(" ", "_")


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


def normalise_city(cities: pd.Series) -> pd.Series:
    """Case, surrounding/inner whitespace and dash variants do not make a different city."""
    s = cities.astype("string").str.strip().str.lower()
    s = s.str.replace(_DASHES, "-", regex=True)
    return s.str.replace(_SPACES, " ", regex=True)


def fit_encoders(train: pd.DataFrame) -> Encoders:
    """Zipcode → row count and smoothed mean price per normalised city, from training rows."""
    zip_freq = train[ZIPCODE].astype(np.int64).value_counts()
    cities = normalise_city(train[CITY_FULL])
    global_mean = float(train[LABEL].mean())
    stats = train[LABEL].groupby(cities).agg(["sum", "count"])
    smoothed = (stats["sum"] + TARGET_SMOOTHING * global_mean) / (stats["count"] + TARGET_SMOOTHING)
    return Encoders(
        zip_freq={int(k): int(v) for k, v in zip_freq.items()},
        city_mean={str(k): float(v) for k, v in smoothed.items()},
        global_mean=global_mean,
    )


def transform(
    raw: pd.DataFrame, encoders: Encoders, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Engineer features for every row of `raw`; with `columns`, align to that schema order.

    Missing numeric inputs become NaN (LightGBM's missing value); unseen zipcodes get
    frequency 0 and unseen cities the global mean.
    """
    dates = pd.to_datetime(raw[DATE], format="%Y-%m-%d")
    data: dict[str, object] = {
        "year": dates.dt.year.to_numpy(np.float64),
        "quarter": dates.dt.quarter.to_numpy(np.float64),
        "month": dates.dt.month.to_numpy(np.float64),
    }
    for name in INPUT_NUMERIC:
        data[column_name(name)] = (
            raw[name].to_numpy(np.float64) if name in raw else np.full(len(raw), np.nan)
        )
    zips = raw[ZIPCODE].astype(np.int64)
    data[ZIP_FREQ] = zips.map(encoders.zip_freq).fillna(0).to_numpy(np.float64)
    cities = normalise_city(raw[CITY_FULL]).map(encoders.city_mean)
    data[CITY_TE] = cities.astype("Float64").fillna(encoders.global_mean).to_numpy(np.float64)
    frame = pd.DataFrame(data, index=raw.index)
    if columns is None:
        return frame
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"schema asks for features this code does not produce: {missing}")
    return frame[list(columns)]
