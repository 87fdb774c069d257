"""The statistics quoted by `make bench` and the reliability tests: one percentile, one spread."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max: with five noisy runs the range says more than a deviation."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1 <= q <= 99), interpolated between the closest ranks.

    "inclusive" treats the samples as the whole population, so a percentile never
    leaves the observed range (numpy's default method, which earlier runs used).
    """
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
