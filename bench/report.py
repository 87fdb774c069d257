"""Machine facts, the acceptance ratios and the Markdown tables of a benchmark run."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.coldstart import PHASES
from bench.size import LIMIT

MIB = 1024 * 1024
# Lambda bills memory in 1 MB steps; 64 MB steps keep the suggestion readable.
MEMORY_STEP_MB = 64
MEMORY_HEADROOM = 1.25
S3_STAND_INS = {"files": "a loopback folder server (bench/s3files.py)", "moto": "moto_server"}


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _commit(root: Path) -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    )
    return result.stdout.strip() or None


def machine(root: Path) -> dict[str, Any]:
    """What the numbers depend on; load average says how quiet the machine was."""
    return {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": _commit(root),
        "load_average_start": os.getloadavg(),
    }


def targets(cold: dict[str, Any], warm: dict[str, Any], large: str) -> list[dict[str, Any]]:
    """Issue 6's acceptance ratios, each from medians of interleaved runs in this one run."""

    def total(name: str) -> float:
        return float(cold[name]["total_ms"]["median"])

    one = min(warm["ours"])
    ours_p50 = warm["ours"][one]["p50_ms"]
    ref_p50 = warm["reference"][one]["p50_ms"]
    rows = [
        ("cold start / import floor", total("ours") / total("import floor"), "<=", 1.3),
        ("cold start / reference", total("ours") / total("reference"), "<=", 1.0),
        (
            f"cold start / reference, {large}",
            total(f"ours, {large}") / total(f"reference, {large}"),
            "<=",
            0.5,
        ),
        (f"warm p50, {one} record: reference / ours", ref_p50 / ours_p50, ">=", 5.0),
    ]
    return [
        {
            "target": name,
            "value": value,
            "bound": f"{op} {bound:g}",
            "met": value <= bound if op == "<=" else value >= bound,
        }
        for name, value, op, bound in rows
    ]


def memory_setting(peak_mib: float) -> int:
    """The smallest Lambda memory size, in MEMORY_STEP_MB steps, with the headroom over peak."""
    needed = peak_mib * MIB * MEMORY_HEADROOM / 1e6  # Lambda's MB are 10^6 bytes
    return max(128, math.ceil(needed / MEMORY_STEP_MB) * MEMORY_STEP_MB)


def _ms(spread: dict[str, float]) -> str:
    return f"{spread['median']:,.0f} [{spread['min']:,.0f}-{spread['max']:,.0f}]"


def _cold_table(cold: dict[str, Any]) -> list[str]:
    heads = ["total", *(p.removesuffix("_ms").replace("_", " ") for p in PHASES)]
    lines = [
        "| | " + " | ".join(heads) + " | peak RSS MiB |",
        "|---" * (len(heads) + 2) + "|",
    ]
    for name, row in cold.items():
        cells = [_ms(row[m]) if m in row else "" for m in ("total_ms", *PHASES)]
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {row['peak_rss_mib']['median']:,.0f} |"
        )
    return lines


def _warm_table(warm: dict[str, Any]) -> list[str]:
    lines = [
        "| records | ours p50 | ours p99 | reference p50 | reference p99 | ratio p50 | ratio p99 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, ours in warm["ours"].items():
        ref = warm["reference"][size]
        lines.append(
            f"| {size} | {ours['p50_ms']:.2f} | {ours['p99_ms']:.2f} | {ref['p50_ms']:.2f} "
            f"| {ref['p99_ms']:.2f} | {ref['p50_ms'] / ours['p50_ms']:.1f}x "
            f"| {ref['p99_ms'] / ours['p99_ms']:.1f}x |"
        )
    return lines


def _memory_table(memory: dict[str, Any], cold: dict[str, Any], large: str) -> list[str]:
    lines = [
        "| | peak RSS after cold start | after 1000-record requests | memory setting |",
        "|---|---:|---:|---:|",
    ]
    for name, stages in memory.items():
        cold_peak = stages["after_cold_start"]["peak_rss_mib"]
        warm_peak = stages["after_1000_records"]["peak_rss_mib"]
        lines.append(
            f"| {name} | {cold_peak:,.0f} MiB | {warm_peak:,.0f} MiB "
            f"| {memory_setting(warm_peak):,} MB |"
        )
    for impl in ("ours", "reference"):
        peak = cold[f"{impl}, {large}"]["peak_rss_mib"]["median"]
        lines.append(f"| {impl}, {large} | {peak:,.0f} MiB | | {memory_setting(peak):,} MB |")
    return lines


def _size_table(sizes: dict[str, int]) -> list[str]:
    lines = ["| package | unzipped bytes |", "|---|---:|"]
    lines += [f"| {name} | {size:,} |" for name, size in sizes.items() if name != "total"]
    total = sizes["total"]
    lines.append(f"| **total** | **{total:,}** |")
    lines.append(f"| margin to {LIMIT:,} | {LIMIT - total:,} ({(LIMIT - total) / LIMIT:.1%}) |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    settings = results["settings"]
    large = settings["large_label"]
    start, end = m["load_average_start"], m["load_average_end"]
    lines = [
        f"## Benchmarks ({m['date']}, commit {m['commit']})",
        "",
        f"{m['cpu']}, {m['usable_cores']} of {m['cores']} cores, {m['platform']}, "
        f"Python {m['python']}. Load average {start[0]:.2f} at start, {end[0]:.2f} at end: "
        "absolute times depend on the machine and its load, the ratios much less. "
        f"Each handler process ran on {settings['cpus'] or 'all'} CPU(s); S3 was "
        f"{S3_STAND_INS[settings['s3']]}.",
        "",
        f"### Cold start, ms: median [min-max] of {settings['runs']} fresh processes",
        "",
        "Spawn to the first /predict response, from the `sam build` output. "
        "The import floor only imports " + ", ".join(settings["floor_imports"]) + ".",
        "",
        *_cold_table(results["cold_start"]),
        "",
        f"### Warm latency, ms of handler time over {settings['calls']} calls",
        "",
        *_warm_table(results["warm"]["latency"]),
        "",
        "### Memory",
        "",
        *_memory_table(results["warm"]["memory"], results["cold_start"], large),
        "",
        f"Memory setting: the smallest {MEMORY_STEP_MB} MB step above "
        f"{MEMORY_HEADROOM:g}x the peak; more memory also buys CPU.",
        "",
        "### Size of the build, function + layers",
        "",
        *_size_table(results["size"]),
        "",
        "### Targets (issue 6)",
        "",
        "| target | measured | bound | met |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {t['target']} | {t['value']:.2f} | {t['bound']} | {'yes' if t['met'] else 'NO'} |"
        for t in results["targets"]
    ]
    return "\n".join(lines) + "\n"
