"""python -m bench: cold start, warm latency, memory, size and batch throughput.

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
from pathlib import Path

from bench import batch, coldstart, inputs, latency, report, s3files, size
from bench.handlers import FLOOR_IMPORTS, handlers

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
    parser.add_argument("--large-rows", type=int, default=1_000_000, help="rows of the large CSV")
    parser.add_argument("--batch-rows", type=int, default=1_000_000, help="rows for make batch")
    parser.add_argument(
        "--cpus",
        type=int,
        default=1,
        help="CPUs each handler process may use (0: all); Lambda gives at most one vCPU "
        "below 1,769 MB, the template's default is 1,024 MB",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    began = time.monotonic()
    try:
        sizes = size.totals(args.build_dir)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    machine = report.machine(ROOT)
    tree = inputs.artifact_tree(args.artifacts)
    print(f"preparing a {args.large_rows:,}-row training CSV (cached)", file=sys.stderr)
    large_tree = inputs.large_tree(tree, args.large_rows)
    rows = args.large_rows
    large = f"{rows / 1e6:g}M-row CSV" if rows >= 1_000_000 else f"{rows:,}-row CSV"
    # A handler limited to `cpus` CPUs sees what its threads (OpenMP, s3transfer) gain in Lambda.
    cpus = sorted(os.sched_getaffinity(0))[-args.cpus :] if args.cpus else None
    events = inputs.events(args.build_dir / "template.yaml")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        for bucket, source in ((SMALL_BUCKET, tree), (LARGE_BUCKET, large_tree)):
            (work / "s3").mkdir(exist_ok=True)
            (work / "s3" / bucket).symlink_to(source.resolve(), target_is_directory=True)
        with s3files.serve(work / "s3") as endpoint, (work / "handlers.log").open("a") as log:
            started = handlers(args.build_dir, work, endpoint)
            buckets = {"": SMALL_BUCKET, f", {large}": LARGE_BUCKET}
            plan = coldstart.scenarios(started, events[min(events)], buckets, log, cpus)
            print(f"cold starts: {args.runs} counted rounds of {len(plan)}", file=sys.stderr)
            cold = coldstart.summarize(coldstart.measure(args.runs, plan))
            print(f"warm latency: {args.calls} calls per batch size", file=sys.stderr)
            pair = {name: started[name] for name in ("ours", "reference")}
            warm = latency.measure(pair, SMALL_BUCKET, events, args.calls, log, cpus)
    print(f"batch: make batch on {args.batch_rows:,} rows, then the booster alone", file=sys.stderr)
    scored = batch.measure(tree, args.batch_rows)
    machine["load_average_end"] = os.getloadavg()
    results = {
        "machine": machine,
        "settings": {
            "runs": args.runs,
            "calls": args.calls,
            "large_rows": args.large_rows,
            "batch_rows": args.batch_rows,
            "large_label": large,
            "cpus": args.cpus,
            "floor_imports": FLOOR_IMPORTS,
            "artifacts": str(tree),
            "seconds": round(time.monotonic() - began, 1),
        },
        "cold_start": cold,
        "warm": warm,
        "size": sizes,
        "batch": scored,
        "targets": [*report.targets(cold, warm["latency"], large), *batch.targets(scored)],
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(report.markdown(results))
    print(f"wrote {args.out} in {results['settings']['seconds']:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
