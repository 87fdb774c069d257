"""python -m bench: cold start, warm latency, memory and size, ours against the reference.

Needs the `sam build` output (make build). Prints Markdown tables on stdout, progress
on stderr, and writes every sample to bench/results.json. No pass/fail: the targets
table says which of issue 6's ratios this run met.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import coldstart, inputs, latency, report, s3files, size
from bench.sandbox import FLOOR_IMPORTS, Runtime
from local.s3 import client, moto_server, seed

ROOT = Path(__file__).resolve().parent.parent
SMALL_BUCKET = "bench-artifacts"
LARGE_BUCKET = "bench-artifacts-large"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=ROOT / ".artifacts" / "demo",
        help="trained artifact tree (trained on demo data if absent)",
    )
    parser.add_argument("--runs", type=int, default=5, help="cold starts per scenario")
    parser.add_argument("--calls", type=int, default=200, help="warm calls per batch size")
    parser.add_argument(
        "--large-rows", type=int, default=1_000_000, help="rows of the large training CSV"
    )
    parser.add_argument(
        "--cpus",
        type=int,
        default=1,
        help="CPUs each handler process may use (0: all); Lambda gives at most one vCPU "
        "below 1,769 MB, the template's default is 1,024 MB",
    )
    parser.add_argument(
        "--s3",
        choices=("files", "moto"),
        default="files",
        help="S3 stand-in: a range-efficient folder server (default) or moto_server, whose "
        "GETs cost time in proportion to the object's size (see bench/s3files.py)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    return parser


@contextmanager
def s3_endpoint(kind: str, buckets: dict[str, Path], work: Path) -> Iterator[str]:
    """An S3 endpoint on loopback whose buckets hold the given artifact trees."""
    if kind == "files":
        root = work / "s3"
        root.mkdir()
        for bucket, tree in buckets.items():
            (root / bucket).symlink_to(tree.resolve(), target_is_directory=True)
        with s3files.serve(root) as endpoint:
            yield endpoint
        return
    with moto_server() as server:
        s3 = client(server.endpoint)
        for bucket, tree in buckets.items():
            seed(s3, bucket, tree)
        yield server.endpoint


def _large_label(rows: int) -> str:
    return f"{rows / 1e6:g}M-row CSV" if rows >= 1_000_000 else f"{rows:,}-row CSV"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()
    try:
        sizes = size.totals(args.build_dir)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    machine = report.machine(ROOT)
    tree = inputs.artifact_tree(args.artifacts)
    print(f"preparing a {args.large_rows:,}-row training CSV (cached)", file=sys.stderr)
    large_tree = inputs.large_tree(tree, args.large_rows)
    large = _large_label(args.large_rows)

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        buckets = {SMALL_BUCKET: tree, LARGE_BUCKET: large_tree}
        with s3_endpoint(args.s3, buckets, work) as endpoint:
            events = inputs.write_events(work / "events")
            runtime = Runtime(args.build_dir, work, endpoint, args.cpus)
            plan = coldstart.scenarios(runtime, events[1], SMALL_BUCKET, LARGE_BUCKET, large)
            print(f"cold starts: {args.runs} counted rounds of {len(plan)}", file=sys.stderr)
            cold = coldstart.summarize(coldstart.measure(args.runs, plan))
            print(f"warm latency: {args.calls} calls per batch size", file=sys.stderr)
            warm = latency.measure(runtime, SMALL_BUCKET, events, args.calls)

    machine["load_average_end"] = os.getloadavg()
    results = {
        "machine": machine,
        "settings": {
            "runs": args.runs,
            "calls": args.calls,
            "large_rows": args.large_rows,
            "large_label": large,
            "s3": args.s3,
            "cpus": args.cpus,
            "floor_imports": FLOOR_IMPORTS,
            "artifacts": str(tree),
            "seconds": round(time.monotonic() - started, 1),
        },
        "cold_start": cold,
        "warm": warm,
        "size": sizes,
        "targets": report.targets(cold, warm["latency"], large),
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(report.markdown(results))
    print(f"wrote {args.out} in {results['settings']['seconds']:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
