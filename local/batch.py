"""`make batch`: score a CSV on this machine the way the batch function does, on every core.

The main process checks the file's shape (header, fields per line, UTF-8) and hands
the rows on in the state machine's batches (config.BATCH_SIZE rows); each worker is
one batch function container (predict_fn.batch, its model loaded from a local S3) and
scores a batch as the function does. Output rows come back in input order.
`collect` merges the parts of a run on AWS into the same one CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, repeat
from multiprocessing import get_context
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from tqdm import tqdm

from local import artifacts as trained
from local.s3 import BUCKET, client, free_port, moto_server, seed, use_fake_credentials
from predict_fn import config
from predict_fn.contract import ALL_FIELDS, REQUIRED

Block = tuple[int, bytes]  # (first row, that many CSV lines as bytes)


class BadCsv(ValueError):
    """A file this tool cannot read as HouseTS rows; the message names the line."""


def read_header(path: Path, line: bytes) -> tuple[list[str], bytes]:
    """The header's columns, or BadCsv naming what is wrong with line 1."""
    try:
        names = next(csv.reader([line.decode("utf-8-sig")]))
    except (UnicodeDecodeError, StopIteration):
        raise BadCsv(f"{path}:1: the header is not a UTF-8 CSV line") from None
    unknown = sorted(set(names) - ALL_FIELDS)
    missing = [name for name in REQUIRED if name not in names]
    repeated = sorted({name for name in names if names.count(name) > 1})
    for problem, found in (("unknown", unknown), ("missing", missing), ("repeated", repeated)):
        if found:
            raise BadCsv(f"{path}:1: {problem} column(s) {', '.join(found)} in the header")
    return names, line.removeprefix(b"\xef\xbb\xbf")


def _fields(line: bytes) -> int:
    if b'"' not in line:  # the common case, counted in C
        return line.count(b",") + 1
    return len(next(csv.reader([line.decode("utf-8")])))


def _plain(lines: list[bytes], width: int) -> bool:
    """Whether every line is a row of `width` fields with no quotes, and all are UTF-8:
    checked per block in C, so only a block with something unusual goes line by line."""
    block = b"".join(lines)
    if b'"' in block:
        return False
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(commas == width - 1 for commas in map(bytes.count, lines, repeat(b",")))


def _lines(path: Path, width: int, lines: list[bytes], first_line: int) -> list[bytes]:
    """`lines` (the first is line `first_line`) without blank ones; BadCsv names a bad one."""
    kept = []
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        try:
            line.decode("utf-8")
            fields = _fields(line)
        except (UnicodeDecodeError, csv.Error, StopIteration):
            raise BadCsv(f"{path}:{number}: not a UTF-8 CSV line") from None
        if fields != width:
            raise BadCsv(f"{path}:{number}: {fields} fields, the header has {width}")
        kept.append(line)
    return kept


def blocks(path: Path, width: int, handle: Any, size: int) -> Iterator[Block]:
    """The data rows in blocks of up to `size`, each line checked for UTF-8 and `width` fields."""
    first, number = 0, 2
    while lines := list(islice(handle, size)):
        if not lines[-1].endswith(b"\n"):
            lines[-1] += b"\n"
        read = len(lines)
        if not _plain(lines, width):
            lines = _lines(path, width, lines, number)
        number += read
        if lines:
            yield first, b"".join(lines)
            first += len(lines)


# What each worker process keeps: the header line and the column types to read it with.
_worker: dict[str, Any] = {}


def _start_worker(
    environment: dict[str, str], header: bytes, text: list[str], seeded: Event
) -> None:
    """One batch function container per worker: its init loads the model as Lambda's does,
    once the local S3 holds it; the slow imports run meanwhile."""
    os.environ.update(environment)
    _worker.update(header=header, dtype=dict.fromkeys(text, str))
    import boto3  # noqa: F401
    import lightgbm  # noqa: F401
    import pandas  # noqa: F401

    seeded.wait()
    import predict_fn.batch  # noqa: F401  (init: the model loads here, once per worker)


def _score(block: Block) -> tuple[str, int, int, int]:
    """Score a block of whole batches, each as one call of the batch function's `score`."""
    import pandas as pd

    from predict_fn import batch

    first, data = block
    # One parse per block, by pandas' C parser (numbers read there, the fast part); a
    # column with a cell that is no number arrives as text, for rows.check to judge.
    frame = pd.read_csv(
        io.BytesIO(_worker["header"] + data),
        keep_default_na=False,
        na_values=[""],
        dtype=_worker["dtype"],
    )
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    bundle, size, parts = batch.loader.ready(), config.BATCH_SIZE, []
    predicted = errors = 0
    for start in range(0, len(frame), size):
        table = {name: cells[start : start + size] for name, cells in columns.items()}
        rows = range(first + start, first + min(start + size, len(frame)))
        scored = batch.score(bundle, rows, table)
        parts.append(scored.lines)
        predicted, errors = predicted + scored.predicted, errors + scored.errors
    return "".join(parts), len(frame), predicted, errors


@dataclass(frozen=True, slots=True)
class Summary:
    rows: int
    predicted: int
    errors: int
    seconds: float  # start to last row written: model loads and worker starts included
    workers: int
    start_seconds: float  # start to the first block's rows written: the one-off part

    @property
    def steady_rate(self) -> float:
        """Rows per second once the first block is out: what a longer file tends to."""
        return (self.rows - config.BATCH_SIZE * 10) / max(self.seconds - self.start_seconds, 1e-9)

    def line(self, out: Path) -> str:
        rate = self.rows / self.seconds
        return (
            f"{self.rows:,} rows: {self.predicted:,} predicted, {self.errors:,} errors, "
            f"{rate:,.0f} rows/s on {self.workers} cores ({rate / self.workers:,.0f} per core)"
            f" -> {out}"
        )


def score_file(data: Path, out: Path, tree: Path, workers: int) -> Summary:
    """Score `data` into `out`, one line per row in row order."""
    from predict_fn.rows import NUMBER_FIELDS

    use_fake_credentials()  # the workers inherit them: only the local S3 is ever asked
    started = time.perf_counter()
    totals, start_seconds = [0, 0, 0], 0.0
    with data.open("rb") as handle, tempfile.TemporaryDirectory() as scratch:
        names, header = read_header(data, handle.readline())
        # Ten batches a task: one CSV parse and one round trip to a worker for 2,000 rows.
        batches = blocks(data, len(names), handle, config.BATCH_SIZE * 10)
        text = [name for name in names if name not in NUMBER_FIELDS or name == "zipcode"]
        port = free_port()
        environment = {
            "S3_BUCKET": BUCKET,
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "ARTIFACT_DIR": scratch,
            "POWERTOOLS_SERVICE_NAME": "make-batch",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        # spawn, not fork: each worker starts as a new container does, from nothing. The
        # workers start while moto_server does; they load the model once it is seeded.
        context = get_context("spawn")
        seeded = context.Event()
        pool = context.Pool(workers, _start_worker, (environment, header, text, seeded))
        progress = tqdm(total=data.stat().st_size, unit="B", unit_scale=True, desc="scoring")
        with pool, progress, moto_server(port=port) as s3, out.open("w") as sink:
            seed(client(s3.endpoint), BUCKET, tree)
            seeded.set()
            sink.write(",".join(config.BATCH_OUTPUT_COLUMNS) + "\n")
            for lines, *counts in pool.imap(_score, batches):
                sink.write(lines)
                totals = [a + b for a, b in zip(totals, counts, strict=True)]
                start_seconds = start_seconds or time.perf_counter() - started
                progress.n = handle.tell()
                progress.refresh()
    rows, predicted, errors = totals
    seconds = time.perf_counter() - started
    return Summary(rows, predicted, errors, seconds, workers, start_seconds)


def collect(bucket: str, execution: str, out: Path) -> str:
    """Merge a run's parts from S3 into `out`, sorted by row, checking every row is there once."""
    import boto3

    s3 = boto3.client("s3")
    prefix = f"{config.BATCH_OUTPUT_PREFIX}{execution}/parts/"
    found: dict[int, list[str]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read().decode()
            reader = csv.reader(io.StringIO(body))
            header = next(reader)
            for line in reader:
                if int(line[0]) in found:
                    raise SystemExit(f"row {line[0]} is in two parts: not one run's output")
                found[int(line[0])] = line
    gaps = sorted(set(range(len(found))) - set(found))
    if not found or gaps:
        missing = f"rows from {gaps[0]} are missing" if gaps else "no parts"
        raise SystemExit(f"s3://{bucket}/{prefix}: {missing} (a batch failed or is running)")
    with out.open("w", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(found[row] for row in range(len(found)))
    errors = sum(1 for line in found.values() if line[-1])
    return f"{len(found):,} rows: {len(found) - errors:,} predicted, {errors:,} errors -> {out}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.batch", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="the output CSV")
    parser.add_argument("--data", type=Path, help="the HouseTS CSV to score")
    parser.add_argument("--artifacts", type=Path, help="artifact tree (default: the demo model)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--collect", metavar="EXECUTION", help="merge a run's parts from S3")
    parser.add_argument("--bucket", help="with --collect: the stack's ArtifactBucket")
    args = parser.parse_args(argv)
    if args.collect:
        if not args.bucket:
            parser.error("--collect needs --bucket")
        print(collect(args.bucket, args.collect, args.out))
        return 0
    if not args.data or not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    try:
        with args.data.open("rb") as handle:  # a wrong header fails before any training
            read_header(args.data, handle.readline())
        tree = trained.ensure(args.artifacts or trained.DEMO, None)
        print(score_file(args.data, args.out, tree, args.workers).line(args.out))
    except BadCsv as exc:
        args.out.unlink(missing_ok=True)  # no half-written output that looks like a result
        raise SystemExit(f"make batch: {exc}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
