"""Unzipped size of the `sam build` output against Lambda's 250 MB limit.

    python -m bench.size .aws-sam/build

Lambda limits the function plus all its layers, unzipped, to 262,144,000 bytes; the
project aims at 200,000,000 to leave room for dependency upgrades.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

LIMIT = 262_144_000
TARGET = 200_000_000
UNITS = ("PredictFunction", "CoreLayer", "MlLayer")


@dataclass(frozen=True)
class Unit:
    """One deployment package: its top-level entries and their unzipped bytes."""

    name: str
    entries: dict[str, int]

    @property
    def size(self) -> int:
        return sum(self.entries.values())


def tree_bytes(path: Path) -> int:
    """Bytes of the regular files under path: what the unzipped package occupies."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(build_dir: Path) -> list[Unit]:
    """Per-unit sizes; a layer's entries are listed below its python/ and lib/ folders."""
    units = []
    for name in UNITS:
        root = build_dir / name
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is missing: run `make build` first")
        tops = [root / d for d in ("python", "lib")] if name.endswith("Layer") else [root]
        entries = {
            str(p.relative_to(root)): tree_bytes(p)
            for top in tops
            if top.is_dir()
            for p in top.iterdir()
        }
        units.append(Unit(name, entries))
    return units


def totals(build_dir: Path) -> dict[str, int]:
    """Unzipped bytes per unit plus their sum under "total"."""
    sizes = {unit.name: unit.size for unit in measure(build_dir)}
    return {**sizes, "total": sum(sizes.values())}


def report(units: list[Unit], top: int = 8) -> str:
    """The table `make size` prints: units, their largest entries, total and margins."""
    total = sum(unit.size for unit in units)
    lines = [f"{'package':<52}{'bytes':>15}"]
    for unit in units:
        lines.append(f"{unit.name:<52}{unit.size:>15,}")
        ranked = sorted(unit.entries.items(), key=lambda item: -item[1])
        lines += [f"  {entry:<50}{size:>15,}" for entry, size in ranked[:top]]
        if len(ranked) > top:
            rest = sum(size for _, size in ranked[top:])
            lines.append(f"  {f'{len(ranked) - top} more':<50}{rest:>15,}")
    lines.append(f"{'total (function + layers, unzipped)':<52}{total:>15,}")
    for label, bound in (("Lambda limit", LIMIT), ("project target", TARGET)):
        margin = bound - total
        lines.append(f"{label:<24}{bound:>13,}   margin {margin:>13,} ({margin / bound:+.1%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path, nargs="?", default=Path(".aws-sam/build"))
    args = parser.parse_args(argv)
    try:
        units = measure(args.build_dir)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    print(report(units))
    return 0 if sum(unit.size for unit in units) <= LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
