"""Issue 12: batch scoring. The Distributed Map handler and `make batch` over one CSV with
bad rows mixed in: every row once, good rows as POST /predict scores them, bad rows named."""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import BUCKET, REAL_SAMPLE, ROOT, http_event, to_records

from local import batch as make_batch
from predict_fn import config

EXECUTION = "run-2026-12-02"
# (row, field, bad cell): each must come back as that row's error, naming the field.
CORRUPTIONS = [
    (3, "median_dom", "twelve"),
    (17, "zipcode", ""),
    (18, "zipcode", "1234567"),
    (40, "date", "2021-02-30"),
    (41, "date", "yesterday"),
    (250, "sold_above_list", "1.5"),
    (399, "city_full", "   "),
    (401, "median_list_price", "-5"),
    (402, "year", "1999"),
    (650, "Total Population", "nan"),
]


@pytest.fixture(scope="module")
def frame(demo_frame: pd.DataFrame) -> pd.DataFrame:
    """Demo rows, then the real sample's rows where present (CI has them), without labels."""
    frames = [demo_frame]
    if REAL_SAMPLE.exists():
        frames.append(pd.read_csv(REAL_SAMPLE, dtype={"zipcode": str}).head(600))
    return pd.concat(frames, ignore_index=True).drop(columns=["price"])


@pytest.fixture(scope="module")
def csv_text(frame: pd.DataFrame) -> str:
    lines = frame.to_csv(index=False, lineterminator="\n").splitlines()
    header = lines[0].split(",")
    reader = list(csv.reader(lines[1:]))
    for row, field, cell in CORRUPTIONS:
        reader[row][header.index(field)] = cell
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(reader)
    return out.getvalue()


def map_events(text: str, size: int = config.BATCH_SIZE) -> Iterator[dict[str, Any]]:
    """What a Distributed Map with ItemReader CSV FIRST_ROW, ItemSelector (index, row) and
    ItemBatcher sends: every cell a string, a missing trailing one "" ."""
    rows = list(csv.DictReader(io.StringIO(text), restval=""))
    for start in range(0, len(rows), size):
        items = [
            {"index": start + i, "row": row} for i, row in enumerate(rows[start : start + size])
        ]
        yield {"Items": items, "BatchInput": {"execution": EXECUTION}}


@pytest.fixture
def batch_module(s3: Any) -> ModuleType:
    """A cold start of the batch function, its model in moto S3."""
    sys.modules.pop("predict_fn.batch", None)
    return importlib.import_module("predict_fn.batch")


def parts(s3: Any) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=config.BATCH_OUTPUT_PREFIX)
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def collected(s3: Any, tmp_path: Path) -> str:
    out = tmp_path / "collected.csv"
    make_batch.collect(BUCKET, EXECUTION, out)
    return out.read_text()


def test_every_row_once_good_rows_as_predict_scores_them_bad_rows_named(
    batch_module: ModuleType,
    s3: Any,
    frame: pd.DataFrame,
    csv_text: str,
    fresh_app: Callable[[], ModuleType],
    invoke: Callable[..., tuple[int, dict[str, Any]]],
    lambda_context: Any,
    tmp_path: Path,
) -> None:
    for event in map_events(csv_text):
        summary = batch_module.lambda_handler(event, lambda_context)
        assert summary["rows"] == len(event["Items"]) == summary["predicted"] + summary["errors"]
    output = pd.read_csv(io.StringIO(collected(s3, tmp_path)), dtype=str, keep_default_na=False)
    assert output["row"].astype(int).tolist() == list(range(len(frame)))
    bad = {row: field for row, field, _ in CORRUPTIONS}
    errors = output[output["error"] != ""]
    assert set(errors["row"].astype(int)) == set(bad)
    for row, error in zip(errors["row"].astype(int), errors["error"], strict=True):
        assert error.startswith(f"{bad[row]}: "), (row, error)
    assert (errors["prediction"] == "").all()

    good = [i for i in range(len(frame)) if i not in bad]
    app = fresh_app()
    served: list[float] = []
    records = to_records(frame.iloc[good])
    for start in range(0, len(records), 1000):
        chunk = {"records": records[start : start + 1000]}
        status, body = invoke(app, http_event("POST", "/predict", chunk))
        assert status == 200, body
        served.extend(body["predictions"])
    scored = output.loc[good, "prediction"].astype(float).to_numpy()
    np.testing.assert_allclose(scored, served, rtol=1e-9, atol=0)
    assert (output.loc[good, "zipcode"] == frame.iloc[good]["zipcode"].astype(str)).all()


def test_the_exact_map_event_and_a_retried_batch_leave_one_part(
    batch_module: ModuleType, s3: Any, lambda_context: Any, tmp_path: Path
) -> None:
    event = json.loads((ROOT / "events" / "batch_items.json").read_text())
    first = batch_module.lambda_handler(event, lambda_context)
    retried = batch_module.lambda_handler(event, lambda_context)
    assert first == retried
    assert parts(s3) == [first["part"]]
    execution = event["BatchInput"]["execution"]
    start = min(item["index"] for item in event["Items"])
    assert first["part"] == f"batch/output/{execution}/parts/{start:012d}.csv"
    body = s3.get_object(Bucket=BUCKET, Key=first["part"])["Body"].read().decode()
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0] == list(config.BATCH_OUTPUT_COLUMNS)
    assert [int(line[0]) for line in lines[1:]] == [item["index"] for item in event["Items"]]
    assert first["errors"] >= 1 and first["predicted"] >= 1


@pytest.mark.parametrize(
    "event",
    [
        [],
        {"Items": [], "BatchInput": {"execution": EXECUTION}},
        {"Items": [{"index": 0, "row": {"date": "2021-01-31"}}]},
        {"Items": [{"index": -1, "row": {}}], "BatchInput": {"execution": EXECUTION}},
        {"Items": [{"index": 0, "row": {"a": 1}}], "BatchInput": {"execution": EXECUTION}},
        {"Items": [{"index": 0, "row": {}}], "BatchInput": {"execution": "../../models"}},
    ],
    ids=["not an object", "no items", "no execution", "bad index", "not text", "unsafe name"],
)
def test_an_event_not_from_the_map_is_a_fault_not_a_row_error(
    batch_module: ModuleType, s3: Any, lambda_context: Any, event: Any
) -> None:
    with pytest.raises(batch_module.NotABatch):
        batch_module.lambda_handler(event, lambda_context)
    assert parts(s3) == []


def test_make_batch_writes_what_the_map_writes(
    batch_module: ModuleType,
    s3: Any,
    csv_text: str,
    trained_artifacts: Path,
    lambda_context: Any,
    tmp_path: Path,
) -> None:
    for event in map_events(csv_text):
        batch_module.lambda_handler(event, lambda_context)
    data, out = tmp_path / "in.csv", tmp_path / "out.csv"
    data.write_text(csv_text)
    summary = make_batch.score_file(data, out, trained_artifacts, workers=2)
    rows = csv_text.count("\n") - 1
    assert (summary.rows, summary.errors) == (rows, len(CORRUPTIONS))
    assert summary.line(out).startswith(f"{rows:,} rows: {rows - len(CORRUPTIONS):,} predicted, ")
    assert out.read_text() == collected(s3, tmp_path)


def test_collect_refuses_a_run_with_a_missing_batch(
    batch_module: ModuleType, s3: Any, csv_text: str, lambda_context: Any, tmp_path: Path
) -> None:
    events = list(map_events(csv_text))
    for event in events[:1] + events[2:]:
        batch_module.lambda_handler(event, lambda_context)
    with pytest.raises(SystemExit, match=f"rows from {config.BATCH_SIZE} are missing"):
        collected(s3, tmp_path)


HEADER = "date,zipcode,city_full,median_dom\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"date,zipcode,median_dom\n", ":1: missing column(s) city_full"),
        (b"date,zipcode,city_full,colour\n", ":1: unknown column(s) colour"),
        (b"date,zipcode,city_full,zipcode\n", ":1: repeated column(s) zipcode"),
        (HEADER.encode() + b"2021-01-31,2139,Boston,3\n2021-01-31,2139,Boston\n", ":3: 3 fields"),
        (HEADER.encode() + b"2021-01-31,2139,Boston,3,4\n", ":2: 5 fields, the header has 4"),
        (
            HEADER.encode() + b'2021-01-31,2139,"Boston, MA",3\n\n2021-01-31,2139,\xff,3\n',
            ":4: not",
        ),
    ],
    ids=["missing", "unknown", "repeated", "short row", "long row", "not UTF-8"],
)
def test_a_malformed_csv_names_its_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with path.open("rb") as handle, pytest.raises(make_batch.BadCsv, match=re.escape(message)):
        names, _ = make_batch.read_header(path, handle.readline())
        list(make_batch.blocks(path, len(names), handle, config.BATCH_SIZE))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("zip,price\n1,2\n", "1: unknown column(s) zip in the header"),
        (HEADER + "2021-01-31,2139,Boston,3\n" * 450 + "2021-01-31,2139\n", "452: 2 fields"),
    ],
    ids=["header", "ragged row after the first batches"],
)
def test_make_batch_answers_a_bad_file_with_one_line(
    tmp_path: Path, trained_artifacts: Path, content: str, problem: str
) -> None:
    path, out = tmp_path / "in.csv", tmp_path / "out.csv"
    path.write_text(content)
    command = [sys.executable, "-m", "local.batch", "--data", str(path), "--out", str(out)]
    command += ["--artifacts", str(trained_artifacts)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"make batch: {path}:{problem}")
    assert not out.exists()
