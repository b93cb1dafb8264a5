"""Small statistics for building and checking the SYNTHETIC reference cohort.

The builder checks its own output against the printed numbers of the CAIRO6 phase 2 paper with
these functions, written to match the paper's SAS defaults: quartiles as PROC MEANS QNTLDEF=5
(R type 2), Mann-Whitney with the normal approximation, tie correction and a 0.5 continuity
correction (NPAR1WAY), pooled t test, chi-square without continuity correction, Fisher exact.
They are deliberately independent of `cairo6.analysis`, which the cohort is meant to test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats  # type: ignore[import-untyped]

MONTH_DAYS = 365.25 / 12
"""Days per month when intervals are reported in months (as the analysis computes them)."""

Floats = NDArray[np.float64]


def as_floats(values: ArrayLike) -> Floats:
    """Values as a 1-D float array."""
    return np.asarray(values, dtype=np.float64).ravel()


def half_up(value: float, digits: int = 0) -> Decimal:
    """Round half away from zero from the shortest decimal repr, as JAMA tables do."""
    exact = Decimal(repr(float(value)))
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def shows_as(value: float, printed: float, digits: int = 0) -> bool:
    """True when `value` is printed as `printed` with `digits` decimals."""
    return half_up(value, digits) == Decimal(str(printed)).quantize(Decimal(1).scaleb(-digits))


def printed_interval(printed: float, digits: int = 0) -> tuple[float, float]:
    """The half-open interval [low, high) of values printed as `printed`."""
    half = 0.5 * 10.0**-digits
    return printed - half, printed + half


def pct(n: int, total: int) -> float:
    """Percentage n / total."""
    return 100.0 * n / total


def quantile2(values: ArrayLike, p: float) -> float:
    """Quantile by SAS QNTLDEF=5 / R type 2 (average at discontinuities)."""
    x = np.sort(as_floats(values))
    n = len(x)
    np_ = n * p
    j = math.floor(np_ + 1e-9)
    if abs(np_ - j) < 1e-9:
        lower = x[max(j - 1, 0)]
        upper = x[min(j, n - 1)]
        return float((lower + upper) / 2)
    return float(x[min(j, n - 1)])


def median(values: ArrayLike) -> float:
    """Median (the same for every quantile definition)."""
    return float(np.median(as_floats(values)))


def sd(values: ArrayLike) -> float:
    """Sample standard deviation (n - 1)."""
    return float(np.std(as_floats(values), ddof=1))


def mann_whitney_p(x: ArrayLike, y: ArrayLike) -> float:
    """Two-sided Mann-Whitney P: normal approximation, tie and 0.5 continuity correction."""
    a, b = as_floats(x), as_floats(y)
    n1, n2 = len(a), len(b)
    both = np.concatenate([a, b])
    ranks = stats.rankdata(both)
    u = float(ranks[:n1].sum()) - n1 * (n1 + 1) / 2
    n = n1 + n2
    _, counts = np.unique(both, return_counts=True)
    ties = float(((counts**3) - counts).sum())
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    diff = abs(u - n1 * n2 / 2.0)
    z = max(diff - 0.5, 0.0) / math.sqrt(var)
    return float(2.0 * stats.norm.sf(z))


def t_test_p(x: ArrayLike, y: ArrayLike) -> float:
    """Two-sided pooled-variance t test P."""
    return float(stats.ttest_ind(as_floats(x), as_floats(y), equal_var=True).pvalue)


def chi2_p(table: Sequence[Sequence[int]]) -> float:
    """Pearson chi-square P without continuity correction."""
    result = stats.chi2_contingency(np.asarray(table), correction=False)
    return float(result[1])


def fisher_p(table: Sequence[Sequence[int]]) -> float:
    """Two-sided Fisher exact P for a 2 x 2 table."""
    return float(stats.fisher_exact(np.asarray(table)).pvalue)


def pooled_mean_sd(groups: Sequence[ArrayLike]) -> tuple[float, float]:
    """Mean and SD of the groups put together."""
    both = np.concatenate([as_floats(g) for g in groups])
    return float(both.mean()), sd(both)
