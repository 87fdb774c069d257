"""The handler a competent engineer would write from the seed deployment guide alone.

It is the baseline `python -m bench` compares against, written the obvious way and
not sabotaged. As the guide describes: the artifacts are downloaded from S3 into
ARTIFACT_DIR on the first request; the training-features CSV is read with pandas to
learn the model's columns; the model and encoders are loaded with joblib on each
request, so a new upload under the same keys is picked up without a redeploy; the
records become a DataFrame, are aligned with `reindex` and go to `model.predict`.

Features come from the project's feature module (the seed project had one too), so
the comparison measures the serving design, not a different transform; the keys come
from the project's layout, so both handlers read the same objects. It imports only
`predict_fn.features` and `predict_fn.config`, which the benchmark takes from the
`sam build` output.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import boto3
import joblib
import pandas as pd

from predict_fn import config
from predict_fn.features import Encoders, transform

ARTIFACT_DIR = Path(os.environ.get("ARTIFACT_DIR") or config.ARTIFACT_DIR)
KEYS = {
    name: config.versioned(key, os.environ.get("MODEL_VERSION"))
    for name, key in config.ARTIFACTS.items()
}

# Filled by the first request and kept for the container's life.
_paths: dict[str, Path] = {}
_columns: list[str] = []


def download_artifacts() -> dict[str, Path]:
    """Copy every artifact from S3 into ARTIFACT_DIR unless /tmp already holds it."""
    s3 = boto3.client("s3")
    paths = {}
    for name, key in KEYS.items():
        path = ARTIFACT_DIR / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(os.environ["S3_BUCKET"], key, str(path))
        paths[name] = path
    return paths


def feature_columns(path: Path) -> list[str]:
    """The model's input columns, in training order: the training CSV's header."""
    return pd.read_csv(path).columns.tolist()


def load_artifacts(paths: dict[str, Path]) -> tuple[Any, Encoders]:
    model = joblib.load(paths["model"])
    encoders = Encoders.from_artifacts(
        joblib.load(paths["freq_encoder"]), joblib.load(paths["target_encoder"])
    )
    return model, encoders


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        if not _paths:
            _paths.update(download_artifacts())
            _columns.extend(feature_columns(_paths["train_features"]))
        model, encoders = load_artifacts(_paths)

        body = event.get("body") or "{}"
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        records = json.loads(body)["records"]

        frame = pd.DataFrame(records)
        features = transform(frame, encoders).reindex(columns=_columns)
        predictions = model.predict(features)

        result: dict[str, Any] = {"predictions": predictions.tolist(), "count": len(records)}
        if any("price" in record for record in records):
            result["actuals"] = [record.get("price") for record in records]
        return _response(200, result)
    except Exception as exc:  # the guide's handler answers every failure with a 500
        return _response(500, {"error": str(exc)})
