"""Small, exact statistics for the mirrors: shares, the most active fifth, a Gini coefficient."""

from __future__ import annotations

import math
from collections.abc import Sequence


def gini(values: Sequence[float]) -> float:
    """0 when everyone has the same, approaching 1 when one has everything; 0 for no data."""
    xs = sorted(v for v in values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n


def top_fifth(values: Sequence[float]) -> tuple[int, float]:
    """How many make up the most active fifth (at least one), and their share of the total."""
    if not values:
        return 0, 0.0
    k = max(1, math.ceil(len(values) / 5))
    total = sum(values)
    if total == 0:
        return k, 0.0
    return k, sum(sorted(values, reverse=True)[:k]) / total


def percent(part: float, whole: float) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"
