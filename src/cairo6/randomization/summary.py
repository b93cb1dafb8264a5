"""Summaries of simulated imbalance, accumulated chunk by chunk as exact histograms.

Imbalances are non-negative multiples of 1/`unit` (unit = 1 for equal allocation), so a histogram
of integer numerators holds the full distribution of a million trials in a few hundred integers,
and the maximum, 95% quantile, median and mean are exact. The quantile and median rules are those
of R's carat (`compRand` documentation): with N values sorted, the 95% quantile is the
ceil(0.95 N)-th, the median the ((N + 1) / 2)-th for odd N and the mean of the (N/2)-th and
(N/2 + 1)-th for even N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Stats:
    """Maximum, 95% quantile, median and mean of an imbalance over simulated trials."""

    max: float
    p95: float
    median: float
    mean: float


class Histogram:
    """Counts of integer values 0, 1, 2, ... (numerators of value / unit)."""

    def __init__(self, unit: int = 1) -> None:
        self.unit = unit
        self.counts: NDArray[np.int64] = np.zeros(0, dtype=np.int64)

    @property
    def n(self) -> int:
        """How many values were added."""
        return int(self.counts.sum())

    def add(self, values: NDArray[np.integer]) -> None:
        """Count more integer numerators."""
        if values.size == 0:
            return
        found = np.bincount(values.ravel(), minlength=self.counts.size).astype(np.int64)
        if found.size > self.counts.size:
            found[: self.counts.size] += self.counts
            self.counts = found
        else:
            self.counts += found

    def order_statistic(self, k: int) -> float:
        """The k-th smallest value (1-based)."""
        position = int(np.searchsorted(np.cumsum(self.counts), k))
        return position / self.unit

    def stats(self) -> Stats:
        """The four carat summaries."""
        n = self.n
        if n == 0:
            return Stats(math.nan, math.nan, math.nan, math.nan)
        values = np.arange(self.counts.size, dtype=np.float64)
        top = int(np.flatnonzero(self.counts)[-1])
        if n % 2:
            median = self.order_statistic((n + 1) // 2)
        else:
            median = (self.order_statistic(n // 2) + self.order_statistic(n // 2 + 1)) / 2
        return Stats(
            max=top / self.unit,
            p95=self.order_statistic(math.ceil(0.95 * n)),
            median=median,
            mean=float((values * self.counts).sum()) / n / self.unit,
        )

    def share_above(self, threshold: float) -> float:
        """The share of values strictly greater than `threshold`."""
        n = self.n
        if n == 0:
            return math.nan
        cut = math.floor(threshold * self.unit) + 1
        return float(self.counts[cut:].sum()) / n

    def distribution(self) -> list[tuple[float, int]]:
        """(value, count) for every value seen."""
        return [(v / self.unit, int(c)) for v, c in enumerate(self.counts.tolist()) if c]
