"""Issue 13 acceptance 3 and the manifest's training statistics, on the real HouseTS sample."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import joblib
import numpy as np
import pandas as pd
import pytest
from moto import mock_aws
from PIL import Image
from support import BUCKET, REAL_SAMPLE, ROOT

from predict_fn import config, features
from training.upload import REPORT_DIR, REPORT_INDEX, upload_tree

pytestmark = pytest.mark.skipif(not REAL_SAMPLE.exists(), reason=f"{REAL_SAMPLE} not present")

VERSION = "report-test"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INPUT_KEYS = ["min", "max", "p01", "p25", "p50", "p75", "p99", "missing_rate"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`python -m training` on the real sample, once for the module: (tree, stdout)."""
    out = tmp_path_factory.mktemp("report")
    command = ["-m", "training", "--data", str(REAL_SAMPLE), "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, *command, "--version", VERSION],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return out, proc.stdout


@pytest.fixture(scope="module")
def manifest(trained: tuple[Path, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((trained[0] / config.MANIFEST_KEY).read_text())
    return data


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(dict(attrs)["src"] or "")


def test_cli_prints_the_report_path(trained) -> None:
    out, stdout = trained
    assert f"report: {out / REPORT_INDEX}" in stdout.splitlines()
    assert (out / REPORT_INDEX).is_file()


def test_plots_are_valid_non_blank_images(trained) -> None:
    pngs = sorted((trained[0] / REPORT_DIR).glob("*.png"))
    assert len(pngs) == 4
    for path in pngs:
        assert path.read_bytes()[:8] == PNG_SIGNATURE, path.name
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            width, height = image.size
            pixels = np.asarray(image.convert("L"))
        assert width >= 600 and height >= 400, (path.name, image.size)
        # A drawn plot, not an empty canvas: many grey levels, mostly white background.
        assert len(np.unique(pixels)) > 20, path.name
        assert 0.3 < np.mean(pixels == 255) < 0.99, path.name


def test_html_shows_every_plot_and_the_model_facts(trained, manifest) -> None:
    out, _ = trained
    page = (out / REPORT_INDEX).read_text()
    parser = Images()
    parser.feed(page)
    pngs = {p.name for p in (out / REPORT_DIR).glob("*.png")}
    assert sorted(parser.sources) == sorted(pngs)
    for source in parser.sources:  # relative, next to the page: the folder can move
        assert (out / REPORT_DIR / source).is_file() and "/" not in source
    for fact in (VERSION, manifest["trained_at"], REAL_SAMPLE.name, "baseline", "MAPE"):
        assert fact in page
    for metrics in manifest["metrics"].values():
        assert f"{metrics['mape']:.2f}%" in page


def test_statistics_have_the_agreed_shape(manifest) -> None:
    stats = manifest["statistics"]
    json.dumps(stats, allow_nan=False)
    assert list(stats) == ["inputs", "zipcodes", "cities", "predictions"]
    assert list(stats["inputs"]) == list(features.INPUT_NUMERIC)
    for name, entry in stats["inputs"].items():
        assert list(entry) == INPUT_KEYS, name
        assert 0.0 <= entry["missing_rate"] <= 1.0
    assert list(stats["predictions"]) == ["min", "max", "p01", "p50", "p99"]
    assert all(type(z) is int for z in stats["zipcodes"])
    assert stats["zipcodes"] == sorted(stats["zipcodes"])
    assert stats["cities"] == sorted(stats["cities"])
    assert set(manifest["artifacts"]) == set(config.ARTIFACTS), "the report is no artifact"


def test_statistics_describe_the_training_rows(trained, manifest) -> None:
    out, _ = trained
    inputs = manifest["statistics"]["inputs"]
    # The engineered training matrix holds every raw input under its column name.
    matrix = pd.read_csv(out / config.TRAIN_FEATURES_KEY)
    assert len(matrix) == manifest["training"]["rows"]
    for name, entry in inputs.items():
        values = matrix[features.column_name(name)].to_numpy(np.float64)
        present = values[np.isfinite(values)]
        assert entry["missing_rate"] == pytest.approx(1 - len(present) / len(values)), name
        if present.size:
            assert entry["min"] == present.min() and entry["max"] == present.max(), name
            assert entry["min"] <= entry["p01"] <= entry["p50"] <= entry["p99"] <= entry["max"]
        else:
            assert entry["min"] is None, name
    model = joblib.load(out / config.MODEL_KEY)
    predicted = model.booster_.predict(matrix[manifest["features"]].to_numpy())
    expected = dict(
        zip(["p01", "p50", "p99"], np.quantile(predicted, [0.01, 0.5, 0.99]), strict=True)
    )
    expected |= {"min": predicted.min(), "max": predicted.max()}
    assert manifest["statistics"]["predictions"] == pytest.approx(expected, rel=1e-9)


def test_zipcodes_and_cities_are_the_encoders_keys(trained, manifest) -> None:
    out, _ = trained
    stats = manifest["statistics"]
    assert stats["zipcodes"] == sorted(joblib.load(out / config.FREQ_ENCODER_KEY))
    assert stats["cities"] == sorted(joblib.load(out / config.TARGET_ENCODER_KEY)["mapping"])
    assert len(stats["cities"]) > 10 and len(stats["zipcodes"]) > 100


def test_report_is_uploaded_with_the_artifacts(trained) -> None:
    out, _ = trained
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        uploaded = list(upload_tree(out, BUCKET, s3, version=VERSION))
        assert uploaded[-1] == config.versioned(config.MANIFEST_KEY, VERSION), "manifest last"
        report = {p.name for p in (out / REPORT_DIR).iterdir()}
        prefix = f"{REPORT_DIR}/{VERSION}/"
        assert {k.removeprefix(prefix) for k in uploaded if k.startswith(prefix)} == report
        index = s3.get_object(Bucket=BUCKET, Key=f"{prefix}index.html")
        assert index["ContentType"] == "text/html"
        assert index["Body"].read() == (out / REPORT_INDEX).read_bytes()
        png = s3.head_object(Bucket=BUCKET, Key=f"{prefix}feature_importance.png")
        assert png["ContentType"] == "image/png"
        body = s3.get_object(Bucket=BUCKET, Key=uploaded[-1])["Body"].read()
        published = json.loads(body)
        assert published["report"] == f"{prefix}index.html"
        assert set(published["artifacts"]) == set(config.ARTIFACTS)
