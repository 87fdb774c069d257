"""Machine facts, issue 6's acceptance ratios and the Markdown tables of a benchmark run."""

from __future__ import annotations

import math
import operator
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.coldstart import PHASES, RESTORE
from bench.size import LIMIT

# Lambda bills memory in 1 MB steps; 64 MB steps keep the suggestion readable.
MEMORY_STEP_MB = 64
MEMORY_HEADROOM = 1.25
HANDLERS = ("ours", "reference", "ratio")


def machine(root: Path) -> dict[str, Any]:
    """What the numbers depend on; load average says how quiet the machine was."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True)
    return {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "cpu": models[0] if models else platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": commit.stdout.decode().strip() or None,
        "load_average_start": os.getloadavg(),
    }


def targets(cold: dict[str, Any], warm: dict[str, Any], large: str) -> list[dict[str, Any]]:
    """Issue 6's acceptance ratios, each from medians of interleaved runs in this one run."""

    def total(name: str) -> float:
        return float(cold[name]["total_ms"]["median"])

    one = min(warm["ours"])
    rows = [
        ("cold start / import floor", total("ours") / total("import floor"), "<=", 1.3),
        ("cold start / reference", total("ours") / total("reference"), "<=", 1.0),
        (
            f"cold start / reference, {large}",
            total(f"ours, {large}") / total(f"reference, {large}"),
            "<=",
            0.5,
        ),
        (
            f"first request after init / warm p50, {one} record",
            float(cold["ours"]["first_prediction_ms"]["median"]) / warm["ours"][one]["p50_ms"],
            "<=",
            2.0,
        ),
        (
            f"first request after a SnapStart restore / warm p50, {one} record",
            float(cold[RESTORE]["first_prediction_ms"]["median"]) / warm["ours"][one]["p50_ms"],
            "<=",
            2.0,
        ),
        (
            f"warm p50, {one} record: reference / ours",
            warm["reference"][one]["p50_ms"] / warm["ours"][one]["p50_ms"],
            ">=",
            5.0,
        ),
    ]
    meets = {"<=": operator.le, ">=": operator.ge}
    return [
        {"target": name, "value": value, "bound": f"{op} {bound:g}", "met": meets[op](value, bound)}
        for name, value, op, bound in rows
    ]


def memory_setting(peak_mib: float) -> int:
    """The smallest Lambda memory size, in MEMORY_STEP_MB steps, with the headroom over peak."""
    needed = peak_mib * 1024 * 1024 * MEMORY_HEADROOM / 1e6  # Lambda's MB are 10^6 bytes
    return max(128, math.ceil(needed / MEMORY_STEP_MB) * MEMORY_STEP_MB)


def _table(head: list[str], rows: list[list[str]], align: str = "---:") -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|---|" + f"{align}|" * (len(head) - 1)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _peak(figures: dict[str, float]) -> float:
    """A host's peak RSS, or the median of a cold start's."""
    return figures.get("peak_rss_mib", figures.get("median", 0.0))


def _ms(spread: dict[str, float]) -> str:
    return f"{spread['median']:,.0f} [{spread['min']:,.0f}-{spread['max']:,.0f}]"


def markdown(results: dict[str, Any]) -> str:
    m, settings, cold = results["machine"], results["settings"], results["cold_start"]
    latency, memory, large = (
        results["warm"]["latency"],
        results["warm"]["memory"],
        settings["large_label"],
    )
    phases = [p.removesuffix("_ms").replace("_", " ") for p in PHASES]
    cold_rows = [
        [name]
        + [_ms(row[k]) if k in row else "" for k in ("total_ms", "init_ms", *PHASES)]
        + [f"{row['peak_rss_mib']['median']:,.0f}"]
        for name, row in cold.items()
    ]
    warm_rows = []
    for size, ours in latency["ours"].items():
        ref = latency["reference"][size]
        warm_rows.append(
            [str(size)]
            + [f"{r[k]:.2f}" for r in (ours, ref) for k in ("p50_ms", "p99_ms")]
            + [f"{ref[k] / ours[k]:.1f}x" for k in ("p50_ms", "p99_ms")]
        )
    peaks = {name: (s["after_cold_start"], s["after_1000_records"]) for name, s in memory.items()}
    peaks |= {
        f"{impl}, {large}": (cold[f"{impl}, {large}"]["peak_rss_mib"], None) for impl in peaks
    }
    memory_rows = [
        [
            name,
            f"{_peak(cold_peak):,.0f} MiB",
            f"{_peak(warm):,.0f} MiB" if warm else "",
            f"{memory_setting(_peak(warm or cold_peak)):,} MB",
        ]
        for name, (cold_peak, warm) in peaks.items()
    ]
    sizes = results["size"]
    size_rows = [[name, f"{size:,}"] for name, size in sizes.items() if name != "total"]
    margin = LIMIT - sizes["total"]
    size_rows += [["**total**", f"**{sizes['total']:,}**"]]
    size_rows += [[f"margin to {LIMIT:,}", f"{margin:,} ({margin / LIMIT:.1%})"]]
    target_rows = [
        [t["target"], f"{t['value']:.2f}", t["bound"], "yes" if t["met"] else "NO"]
        for t in results["targets"]
    ]
    scored = results["batch"]
    batch_row = [
        f"{scored['rows']:,}",
        f"{scored['seconds']:,.1f} ({scored['start_seconds']:,.1f})",
        f"{scored['rows_per_s']:,}",
        f"{scored['rows_per_s_per_core']:,} ({scored['workers']} cores)",
        f"{scored['steady_rows_per_s_per_core']:,}",
        f"{scored['booster_rows_per_s']:,}",
        f"{scored['ratio']:.2f} ({scored['steady_ratio']:.2f})",
    ]
    start, end = m["load_average_start"], m["load_average_end"]
    lines = [
        f"## Benchmarks ({m['date']}, commit {m['commit']})",
        "",
        f"{m['cpu']}, {m['usable_cores']} of {m['cores']} cores, {m['platform']}, "
        f"Python {m['python']}. Load average {start[0]:.2f} at start, {end[0]:.2f} at end: "
        "absolute times depend on the machine and its load, the ratios much less. "
        f"Each handler process ran on {settings['cpus'] or 'all'} CPU(s); S3 was a loopback "
        "folder server (bench/s3files.py).",
        "",
        f"### Cold start, ms: median [min-max] of {settings['runs']} fresh processes",
        "",
        "Spawn to the first /predict response, from the `sam build` output. "
        "The import floor only imports " + ", ".join(settings["floor_imports"]) + ".",
        "",
        "Init is import + fetch + load (+ the warm-up); a SnapStart restore pays it once, "
        "when the version publishes, and a new environment pays the restore and the first "
        "request.",
        "",
        *_table(["", "total", "init", *phases, "peak RSS MiB"], cold_rows, "---"),
        "",
        f"### Warm latency, ms of handler time over {settings['calls']} calls",
        "",
        *_table(["records", *(f"{h} {q}" for h in HANDLERS for q in ("p50", "p99"))], warm_rows),
        "",
        "### Memory",
        "",
        *_table(
            ["", "peak RSS after cold start", "after 1000-record requests", "memory setting"],
            memory_rows,
        ),
        "",
        f"Memory setting: the smallest {MEMORY_STEP_MB} MB step above "
        f"{MEMORY_HEADROOM:g}x the peak; more memory also buys CPU.",
        "",
        "### Size of the build, function + layers",
        "",
        *_table(["package", "unzipped bytes"], size_rows),
        "",
        "### Batch scoring",
        "",
        "`make batch` end to end (model loads and worker starts included; in brackets "
        "the part until the first block was written), one worker per core, against the "
        "booster's own predict on the same rows' features, one thread.",
        "",
        *_table(
            [
                "rows",
                "seconds (start)",
                "rows/s",
                "per core",
                "per core once started",
                "booster rows/s",
                "per core / booster (once started)",
            ],
            [batch_row],
        ),
        "",
        "### Targets (issues 6 and 12)",
        "",
        *_table(["target", "measured", "bound", "met"], target_rows),
    ]
    return "\n".join(lines) + "\n"
