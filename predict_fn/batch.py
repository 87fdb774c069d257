"""Distributed Map batch handler: CSV rows → the /predict model → one output row per input row.

Step Functions reads the CSV from S3, batches its rows and sends each batch as
{"Items": [{"index": i, "row": {column: text}}, ...], "BatchInput": {"execution": name}}.
A bad row gets its error and the others their predictions, so no row ever fails a
batch; only faults (model unavailable, S3 down, an event not from the map) raise, and
Step Functions retries them. Each batch writes one part named by its first row, so a
retried batch overwrites its own part instead of adding rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from predict_fn import artifacts, config, rows
from predict_fn.contract import DATE, ZIPCODE
from predict_fn.loader import ModelLoader
from predict_fn.model import Bundle, predict

# Step Functions execution names: 1-80 of these; anything else must not become a key.
_EXECUTION_RE = re.compile(r"[A-Za-z0-9_-]{1,80}")

logger = Logger()
metrics = Metrics(namespace=config.metrics_namespace())
loader = ModelLoader.start()


class NotABatch(ValueError):
    """The event is not a Distributed Map batch of this state machine (a wiring fault)."""


@dataclass(frozen=True, slots=True)
class Batch:
    execution: str
    indexes: list[int]  # each row's 0-based position in the input CSV
    table: dict[str, list[str]]  # column → one cell per row, as the CSV holds them


@dataclass(frozen=True, slots=True)
class Scored:
    lines: str  # output CSV rows, no header, in the batch's order
    predicted: int
    errors: int


def read_event(event: Any) -> Batch:
    """The batch in a Distributed Map event; NotABatch names what does not fit."""
    if not isinstance(event, dict):
        raise NotABatch(f"expected a JSON object, got {type(event).__name__}")
    execution = (event.get("BatchInput") or {}).get("execution")
    if not isinstance(execution, str) or not _EXECUTION_RE.fullmatch(execution):
        raise NotABatch(f"BatchInput.execution must match {_EXECUTION_RE.pattern}")
    items = event.get("Items")
    if not isinstance(items, list) or not items:
        raise NotABatch("Items must be a non-empty list")
    header = list(items[0].get("row") or {}) if isinstance(items[0], dict) else []
    indexes: list[int] = []
    for position, item in enumerate(items):
        row = item.get("row") if isinstance(item, dict) else None
        index = item.get("index") if isinstance(item, dict) else None
        if type(index) is not int or index < 0 or not isinstance(row, dict):
            raise NotABatch(f"Items[{position}] must be {{'index': int >= 0, 'row': {{...}}}}")
        if list(row) != header or not all(isinstance(v, str) for v in row.values()):
            raise NotABatch(f"Items[{position}].row must hold the CSV header's columns as text")
        indexes.append(index)
    table = {name: [item["row"][name] for item in items] for name in header}
    return Batch(execution, indexes, table)


def score(bundle: Bundle, indexes: Sequence[int], table: rows.Table) -> Scored:
    """Every row's output line, in order: its prediction, or its error."""
    checked = rows.check(table, len(indexes))
    predictions = np.full(len(indexes), np.nan)
    if len(checked.scored):
        predictions[checked.scored] = predict(bundle, checked.columns)
    count = len(indexes)
    zips, dates = (rows.texts(table[n]) if n in table else [""] * count for n in (ZIPCODE, DATE))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for position, (index, prediction) in enumerate(zip(indexes, predictions.tolist(), strict=True)):
        error = checked.errors.get(position)
        if error is None:
            # A scored row's zipcode read as a number and its date as a date: no cell of
            # it can hold a comma or a quote, so it needs none of csv's quoting (2x faster).
            out.write(f"{index},{zips[position]},{dates[position]},{prediction!r},\n")
        else:
            writer.writerow((index, zips[position], dates[position], "", error))
    return Scored(out.getvalue(), len(checked.scored), len(checked.errors))


def part_key(execution: str, first_row: int) -> str:
    """Where a batch's part goes: the same for every retry of the same batch."""
    return f"{config.BATCH_OUTPUT_PREFIX}{execution}/parts/{first_row:012d}.csv"


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    batch = read_event(event)
    bundle = loader.ready()  # Unavailable raises: Step Functions retries the batch
    scored = score(bundle, batch.indexes, batch.table)
    key = part_key(batch.execution, min(batch.indexes))
    artifacts.s3_client().put_object(
        Bucket=loader.bucket,
        Key=key,
        Body=(",".join(config.BATCH_OUTPUT_COLUMNS) + "\n" + scored.lines).encode(),
        ContentType="text/csv",
    )
    summary = {
        "rows": len(batch.indexes),
        "predicted": scored.predicted,
        "errors": scored.errors,
        "part": key,
    }
    logger.info("batch scored", extra={"execution": batch.execution, **summary})
    metrics.add_metric("RowsScored", MetricUnit.Count, scored.predicted)
    metrics.add_metric("RowErrors", MetricUnit.Count, scored.errors)
    return summary
