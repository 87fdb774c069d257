"""python -m training --data CSV | --demo  --out DIR  [--version V] [--upload s3://BUCKET]

Writes the artifacts, manifest.json and a report with plots (DIR/report/index.html).
With --version, the manifest carries that version and --upload writes under
models/<V>/ and processed/<V>/ (the report under report/<V>/), ready for
`make promote VERSION=<V>`. On a bucket with versioning, the uploaded manifest records
every file's S3 VersionId.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from predict_fn import config
from training import demo_data, pipeline, report
from training.upload import parse_s3_uri, upload_tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="HouseTS CSV (39-column header)")
    source.add_argument("--demo", action="store_true", help="train on generated demo data")
    parser.add_argument("--demo-rows", type=int, default=3000)
    parser.add_argument("--out", type=Path, required=True, help="artifact tree to write")
    parser.add_argument("--eval-fraction", type=float, default=pipeline.EVAL_FRACTION)
    parser.add_argument(
        "--version",
        type=config.model_version,
        help="model version, e.g. 2026-11-26 (default: time + digest)",
    )
    parser.add_argument("--upload", metavar="s3://BUCKET", type=parse_s3_uri, dest="bucket")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.demo:
        frame, source_name = demo_data.generate(args.demo_rows), f"demo:{args.demo_rows}"
        print(f"generated {len(frame)} demo rows")
    else:
        frame, source_name = pipeline.read_housets(args.data), args.data.name
        print(f"read {len(frame)} rows from {args.data}")
    result = pipeline.train(frame, args.eval_fraction)
    print(
        f"trained on {len(result.train)} rows ({result.train['date'].min()} … "
        f"{result.train['date'].max()}), evaluated on {len(result.evaluation)} newer rows"
    )
    manifest = pipeline.write_artifacts(result, args.out, source_name, args.version)
    print(pipeline.metrics_table(result.metrics))
    print(f"wrote model version {manifest['version']} to {args.out}")
    index = report.write_report(result, manifest, args.out)
    if args.bucket:
        import boto3

        uploaded = upload_tree(args.out, args.bucket, boto3.client("s3"), args.version)
        for key, version_id in uploaded.items():
            suffix = f" (VersionId {version_id})" if version_id else ""
            print(f"uploaded s3://{args.bucket}/{key}{suffix}")
    print(f"report: {index}")
    print(f"done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
