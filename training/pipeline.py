"""Read a HouseTS CSV, split by time, fit encoders and LightGBM, evaluate, write artifacts.

Every transform comes from predict_fn.features and every prediction from
predict_fn.model.predict, the same functions the Lambda runs.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd

from predict_fn import config, features
from predict_fn.artifacts import sha256_file
from predict_fn.contract import CITY, CITY_FULL, DATE, LABEL, NUMERIC_FIELDS, REQUIRED, ZIPCODE
from predict_fn.model import Bundle, RegressionMetrics, predict, regression_metrics
from training import progress, statistics

LGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 600,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 10,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "random_state": 42,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
EVAL_FRACTION = 0.2
LIBRARIES = ("lightgbm", "scikit-learn", "pandas", "numpy", "joblib")


@dataclass(frozen=True, slots=True)
class TrainResult:
    bundle: Bundle
    train: pd.DataFrame
    evaluation: pd.DataFrame
    eval_predictions: np.ndarray
    # In-sample: what the manifest's statistics and the report's error over time need.
    train_predictions: np.ndarray
    matrix: pd.DataFrame
    metrics: dict[str, RegressionMetrics]


def read_housets(path: Path) -> pd.DataFrame:
    """A HouseTS CSV with the columns the contract needs; rows without a usable label dropped."""
    frame = pd.read_csv(path, dtype={ZIPCODE: "int64", DATE: "str", CITY: "str", CITY_FULL: "str"})
    missing = [c for c in (*REQUIRED, LABEL) if c not in frame.columns]
    if missing:
        raise SystemExit(f"{path}: missing HouseTS columns {missing}")
    for name in NUMERIC_FIELDS:
        if name not in frame.columns:
            frame[name] = np.nan
    # The request contract's rule for a price (>= 1): anything else is not a sale.
    return frame[frame[LABEL] >= 1].reset_index(drop=True)


def split_by_time(frame: pd.DataFrame, eval_fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Older months train, the newest ~eval_fraction of months evaluate: no look-ahead."""
    months = np.sort(frame[DATE].unique())
    if len(months) < 2:
        raise SystemExit("need at least two distinct months to split by time")
    cutoff = months[min(len(months) - 1, max(1, round(len(months) * (1 - eval_fraction))))]
    is_eval = frame[DATE] >= cutoff
    return frame[~is_eval].reset_index(drop=True), frame[is_eval].reset_index(drop=True)


def baseline_predictions(train: pd.DataFrame, evaluation: pd.DataFrame) -> np.ndarray:
    """Median training price of the record's city (global median for unseen cities)."""
    medians = train[LABEL].groupby(features.normalise_city(train[CITY_FULL])).median().to_dict()
    fallback = float(train[LABEL].median())
    cities = features.normalise_city(evaluation[CITY_FULL])
    return np.array([medians.get(c, fallback) for c in cities], dtype=np.float64)


def train(frame: pd.DataFrame, eval_fraction: float = EVAL_FRACTION) -> TrainResult:
    train_part, eval_part = split_by_time(frame, eval_fraction)
    encoders = features.fit_encoders(train_part)
    matrix = features.transform(train_part, encoders)
    with progress.boosting_rounds(LGBM_PARAMS["n_estimators"]) as advance:
        model = lgb.LGBMRegressor(**LGBM_PARAMS).fit(matrix, train_part[LABEL], callbacks=[advance])
    bundle = Bundle(
        model=model, encoders=encoders, feature_order=tuple(matrix.columns), manifest={}
    )
    predicted = predict(bundle, eval_part)
    actual = eval_part[LABEL].to_numpy(np.float64)
    metrics = {
        "model": regression_metrics(actual, predicted),
        "baseline_city_median": regression_metrics(
            actual, baseline_predictions(train_part, eval_part)
        ),
    }
    return TrainResult(
        bundle, train_part, eval_part, predicted, predict(bundle, train_part), matrix, metrics
    )


def write_artifacts(
    result: TrainResult, out: Path, source: str, version: str | None = None
) -> dict[str, Any]:
    """Write the four artifacts and manifest.json under `out`, mirroring the S3 key layout."""
    paths = {name: out / rel for name, rel in config.ARTIFACTS.items()}
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    encoders = result.bundle.encoders
    joblib.dump(result.bundle.model, paths["model"])
    joblib.dump(encoders.freq_artifact(), paths["freq_encoder"])
    joblib.dump(encoders.target_artifact(), paths["target_encoder"])
    result.matrix.to_csv(paths["train_features"], index=False)
    digests = {name: sha256_file(path) for name, path in paths.items()}
    trained_at = datetime.now(UTC).replace(microsecond=0)
    manifest = {
        "version": version or f"{trained_at:%Y%m%dT%H%M%SZ}-{digests['model'][:8]}",
        "trained_at": trained_at.isoformat().replace("+00:00", "Z"),
        "source": source,
        "target": LABEL,
        "artifacts": {
            name: {
                "key": config.ARTIFACTS[name],
                "sha256": digests[name],
                "bytes": path.stat().st_size,
            }
            for name, path in paths.items()
        },
        "features": list(result.bundle.feature_order),
        "libraries": {
            "python": platform.python_version(),
            **{n: importlib.metadata.version(n) for n in LIBRARIES},
        },
        "params": LGBM_PARAMS,
        "training": _span(result.train),
        "evaluation": _span(result.evaluation),
        "metrics": result.metrics,
        "statistics": statistics.training_statistics(result.train, result.train_predictions),
    }
    (out / config.MANIFEST_KEY).write_text(json.dumps(manifest, indent=2, allow_nan=False) + "\n")
    return manifest


def _span(frame: pd.DataFrame) -> dict[str, Any]:
    return {"rows": len(frame), "date_min": frame[DATE].min(), "date_max": frame[DATE].max()}


def metrics_table(metrics: dict[str, RegressionMetrics]) -> str:
    lines = [f"{'':22}{'MAE':>14}{'RMSE':>14}{'MAPE %':>9}{'R²':>8}"]
    for name, m in metrics.items():
        lines.append(
            f"{name:22}{m['mae']:>14,.0f}{m['rmse']:>14,.0f}{m['mape']:>9.2f}"
            + (f"{m['r2']:>8.3f}" if m["r2"] is not None else f"{'n/a':>8}")
        )
    return "\n".join(lines)
