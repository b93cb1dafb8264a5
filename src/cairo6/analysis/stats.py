"""The statistics of the CAIRO6 phase 2 report, matching SAS 9.4 (as the paper used) and R.

Conventions chosen to reproduce the published analysis:
- Missing values (None, NaN, pandas NA) are excluded and counted, never imputed.
- Quartiles follow SAS PROC MEANS' default QNTLDEF=5, which is R `quantile(type = 2)`.
- The risk ratio interval is the log (Katz) method and refuses zero event counts unless a 0.5
  correction is asked for, which is then flagged on the result.
- Mann-Whitney uses the normal approximation with tie correction and, as SAS NPAR1WAY does by
  default, a 0.5 continuity correction (R `wilcox.test(x, y, exact = FALSE, correct = TRUE)`).
- Fisher's exact test is enumerated exactly for 2 x k tables; the P value sums the tables no more
  probable than the observed one, with R's relative tolerance of 1e-7.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats  # type: ignore[import-untyped]

from cairo6.errors import InvalidValueError

SMALL_EXPECTED = "small_expected"
"""Warning code: a chi-square test was computed with an expected count below the threshold."""
SMALL_ARMS = "small_arms_normal"
"""Warning code: a Mann-Whitney P by normal approximation with an arm below the plan's size."""

CategoricalRule = Literal["auto", "chi2", "fisher"]

# R's fisher.test treats tables whose probability is within this factor of the observed one as
# ties, so that floating-point noise cannot drop a table that is equally probable.
_FISHER_REL_ERR = 1 + 1e-7
# Enumerating a 2 x k table keeps every partial table in memory; beyond this the table is too
# large for an exact test and chi-square is the right tool.
_FISHER_MAX_STATES = 2_000_000


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test: its name, statistic, two-sided P value and diagnostics."""

    __test__: ClassVar[bool] = False  # not a pytest test class despite the name

    test: str
    statistic: float
    p_value: float
    df: float | None = None
    warning: str | None = None
    min_expected: float | None = None
    method: str = ""
    """How the P value was obtained, when the test has variants (e.g. exact or normal)."""


@dataclass(frozen=True)
class RiskRatio:
    """A risk ratio with its confidence interval; `corrected` when 0.5 was added to each cell."""

    rr: float
    low: float
    high: float
    level: float = 0.95
    corrected: bool = False


@dataclass(frozen=True)
class Descriptives:
    """Summary of a continuous variable; `sd` (n - 1 divisor) is None when fewer than 2 values."""

    n: int
    n_missing: int
    mean: float
    sd: float | None
    median: float
    p25: float
    p75: float
    min: float
    max: float


@dataclass(frozen=True)
class CategoricalCounts:
    """Counts per level, in the order the levels were given, plus non-missing and missing totals."""

    counts: Mapping[str, int]
    n: int
    n_missing: int


# --- input checks ---------------------------------------------------------------------------


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 0:
        raise InvalidValueError(field, value, "a whole number >= 0", f"give {field} as a count")
    return int(value)


def _level(level: float) -> float:
    if not isinstance(level, Real) or isinstance(level, bool) or not 0 < float(level) < 1:
        raise InvalidValueError("level", level, "a confidence level strictly between 0 and 1")
    return float(level)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _clean(values: Iterable[object], field: str) -> tuple[NDArray[np.float64], int]:
    """The finite numbers in `values` and how many were missing."""
    if isinstance(values, str | bytes):
        raise InvalidValueError(field, values, "a sequence of numbers", "pass a list or column")
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind == "f":
        return _clean_floats(values, field)
    kept: list[float] = []
    n_missing = 0
    for value in values:
        if _is_missing(value):
            n_missing += 1
            continue
        if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
            raise InvalidValueError(field, value, "numbers, or None/NaN for missing")
        number = float(value)
        if not math.isfinite(number):
            raise InvalidValueError(field, value, "finite numbers, or None/NaN for missing")
        kept.append(number)
    return np.asarray(kept, dtype=np.float64), n_missing


def _clean_floats(values: NDArray[np.floating[Any]], field: str) -> tuple[NDArray[np.float64], int]:
    """`_clean` of a float array in one pass: NaN is missing, infinity refused."""
    missing = np.isnan(values)
    kept = values[~missing].astype(np.float64)
    infinite = ~np.isfinite(kept)
    if infinite.any():
        raise InvalidValueError(field, kept[infinite][0], "finite numbers, or None/NaN for missing")
    return kept, int(missing.sum())


def _table(table: ArrayLike, field: str = "table") -> NDArray[np.int64]:
    """A contingency table of counts, with all-zero rows and columns dropped as SAS does."""
    try:
        raw = np.asarray(table)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(field, table, "a rectangular table of counts") from exc
    if (
        raw.ndim != 2
        or raw.dtype.kind not in "iuf"
        or (raw.dtype.kind == "f" and not np.all(np.isfinite(raw)))
        or not np.all(raw >= 0)
        or not np.all(raw == np.floor(raw))
    ):
        raise InvalidValueError(field, table, "a 2-dimensional table of whole numbers >= 0")
    counts = raw.astype(np.int64)
    # A level that nobody has carries no information; PROC FREQ never sees it.
    counts = np.asarray(counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0], dtype=np.int64)
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        raise InvalidValueError(
            field,
            table,
            "at least 2 rows and 2 columns with a non-zero total",
            "there is nothing to compare; report the counts without a test",
        )
    return counts


def _log_choose(n: ArrayLike, k: ArrayLike) -> NDArray[np.float64]:
    n_, k_ = np.asarray(n, dtype=np.float64), np.asarray(k, dtype=np.float64)
    logs = special.gammaln(n_ + 1) - special.gammaln(k_ + 1) - special.gammaln(n_ - k_ + 1)
    return np.asarray(logs, dtype=np.float64)


def _expected(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    rows = counts.sum(axis=1).astype(np.float64)
    cols = counts.sum(axis=0).astype(np.float64)
    return np.outer(rows, cols) / float(counts.sum())


# --- proportions and risk ratio -------------------------------------------------------------


def proportion(n: int, N: int) -> float:  # noqa: N803 - N is the trial convention for a total
    """The proportion n / N (0 to 1)."""
    events, total = _count(n, "n"), _count(N, "N")
    if total == 0 or events > total:
        raise InvalidValueError("n/N", (n, N), "0 <= n <= N with N > 0")
    return events / total


def clopper_pearson(n: int, N: int, level: float = 0.95) -> tuple[float, float]:  # noqa: N803
    """Exact (Clopper-Pearson) binomial confidence interval, as R `binom.test(n, N)$conf.int`."""
    proportion(n, N)
    alpha = 1 - _level(level)
    low = 0.0 if n == 0 else float(stats.beta.ppf(alpha / 2, n, N - n + 1))
    high = 1.0 if n == N else float(stats.beta.ppf(1 - alpha / 2, n + 1, N - n))
    return low, high


def risk_ratio(
    a: int, n1: int, b: int, n2: int, level: float = 0.95, *, zero_correction: bool = False
) -> RiskRatio:
    """Risk ratio (a/n1) / (b/n2) with a log (Katz) confidence interval.

    A zero event count makes the log interval undefined, so it is refused unless
    `zero_correction` is set: then 0.5 is added to each of the four cells (n1 and n2 grow by 1)
    and the result carries `corrected=True` so the report can footnote it.
    """
    proportion(a, n1)
    proportion(b, n2)
    z = float(stats.norm.ppf(1 - (1 - _level(level)) / 2))
    if a == 0 and b == 0:
        raise InvalidValueError(
            "risk_ratio events",
            (a, b),
            "at least one event in one group",
            "report the counts without a risk ratio",
        )
    corrected = a == 0 or b == 0
    if corrected and not zero_correction:
        raise InvalidValueError(
            "risk_ratio events",
            (a, b),
            "at least one event in each group for the log interval",
            "report the counts without a risk ratio, or pass zero_correction=True (adds 0.5 "
            "to every cell and flags the result)",
        )
    if corrected:
        x1, t1, x2, t2 = a + 0.5, n1 + 1.0, b + 0.5, n2 + 1.0
    else:
        x1, t1, x2, t2 = float(a), float(n1), float(b), float(n2)
    rr = (x1 / t1) / (x2 / t2)
    se = math.sqrt(1 / x1 - 1 / t1 + 1 / x2 - 1 / t2)
    return RiskRatio(rr, rr * math.exp(-z * se), rr * math.exp(z * se), level, corrected)


# --- categorical tests ----------------------------------------------------------------------


def chi_square(
    table: ArrayLike, correction: bool = False, expected_below: float = 5.0
) -> TestResult:
    """Pearson chi-square test of independence, as R `chisq.test(m, correct = FALSE)`.

    `correction` applies Yates' correction to 2 x 2 tables only (R's rule: min(0.5, |o - e|));
    the warning `small_expected` is set when any expected count is below `expected_below`.
    """
    counts = _table(table)
    expected = _expected(counts)
    diff = np.abs(counts - expected)
    yates = min(0.5, float(diff.min())) if correction and counts.shape == (2, 2) else 0.0
    statistic = float(np.sum((diff - yates) ** 2 / expected))
    df = (counts.shape[0] - 1) * (counts.shape[1] - 1)
    min_expected = float(expected.min())
    return TestResult(
        test="chi2_yates" if yates > 0 else "chi2",
        statistic=statistic,
        p_value=float(stats.chi2.sf(statistic, df)),
        df=float(df),
        warning=SMALL_EXPECTED if min_expected < expected_below else None,
        min_expected=min_expected,
    )


def fisher_exact(table: ArrayLike) -> TestResult:
    """Two-sided Fisher exact test for a 2 x k (or k x 2) table, as R `fisher.test(m)`.

    The statistic is the probability of the observed table given its margins. Tables with more
    than 2 rows and more than 2 columns are refused (use chi-square).
    """
    counts = _table(table)
    min_expected = float(_expected(counts).min())
    if counts.shape[0] != 2:
        if counts.shape[1] != 2:
            raise InvalidValueError(
                "table",
                table,
                "a 2 x k or k x 2 table for the exact test",
                "use chi_square for larger tables",
            )
        counts = counts.T
    cols = counts.sum(axis=0)
    first = int(counts[0].sum())
    total = int(cols.sum())

    # Grow every feasible first row column by column; the rest of each table follows from the
    # margins, and its probability is prod C(c_j, a_j) / C(N, r1).
    sums = np.zeros(1, dtype=np.int64)
    logp = np.zeros(1, dtype=np.float64)
    remaining = int(cols.sum())
    for column_total in (int(c) for c in cols):
        remaining -= column_total
        if sums.size * (column_total + 1) > _FISHER_MAX_STATES:
            raise InvalidValueError(
                "table",
                table,
                "a table small enough to enumerate exactly",
                "use chi_square for this table",
            )
        x = np.arange(column_total + 1, dtype=np.int64)
        sums = (sums[:, None] + x[None, :]).ravel()
        logp = (logp[:, None] + _log_choose(column_total, x.astype(np.float64))[None, :]).ravel()
        keep = (sums <= first) & (sums + remaining >= first)
        sums, logp = sums[keep], logp[keep]
    observed = float(np.sum(_log_choose(cols.astype(np.float64), counts[0].astype(np.float64))))
    norm = float(_log_choose(total, first))
    probs = np.exp(logp - norm)
    p_obs = math.exp(observed - norm)
    p_value = float(np.sum(probs[probs <= p_obs * _FISHER_REL_ERR]))
    return TestResult(
        test="fisher",
        statistic=p_obs,
        p_value=min(1.0, p_value),
        min_expected=min_expected,
    )


def categorical_test(
    table: ArrayLike,
    rule: CategoricalRule = "auto",
    expected_below: float = 5.0,
    correction: bool = False,
) -> TestResult:
    """Chi-square or Fisher by `rule`.

    "auto" uses Fisher when any expected count is below `expected_below` (chi-square if the
    table is too large for Fisher, keeping the warning); "chi2" always uses chi-square and warns
    on small expected counts (the paper did so, e.g. Clavien-Dindo grade 4); "fisher" always
    uses Fisher.
    """
    if rule not in ("auto", "chi2", "fisher"):
        raise InvalidValueError("rule", rule, "'auto', 'chi2' or 'fisher'")
    if rule == "fisher":
        return fisher_exact(table)
    chi = chi_square(table, correction=correction, expected_below=expected_below)
    if rule == "chi2" or chi.warning is None:
        return chi
    try:
        return fisher_exact(table)
    except InvalidValueError:
        return chi


# --- continuous tests -----------------------------------------------------------------------


def t_test(x: Iterable[object], y: Iterable[object], equal_var: bool = True) -> TestResult:
    """Two-sample t test of mean(x) - mean(y): Student pooled (SAS "Pooled") or Welch."""
    xs, _ = _clean(x, "x")
    ys, _ = _clean(y, "y")
    if xs.size < 2 or ys.size < 2:
        raise InvalidValueError("t_test sizes", (xs.size, ys.size), "at least 2 values per group")
    if np.ptp(xs) == 0 and np.ptp(ys) == 0:
        raise InvalidValueError(
            "t_test values",
            "no variation",
            "some variation within a group",
            "report the values without a test",
        )
    result = stats.ttest_ind(xs, ys, equal_var=equal_var)
    return TestResult(
        test="t_pooled" if equal_var else "t_welch",
        statistic=float(result.statistic),
        p_value=float(result.pvalue),
        df=float(result.df),
    )


def mann_whitney(
    x: Iterable[object],
    y: Iterable[object],
    continuity: bool = True,
    *,
    exact: bool = False,
    small_arm: int = 0,
) -> TestResult:
    """Two-sided Mann-Whitney (Wilcoxon rank-sum) test.

    The statistic is R's W: the rank sum of x minus n_x (n_x + 1) / 2. By default the normal
    approximation with tie correction; `continuity` (default on, as SAS NPAR1WAY) moves
    |W - E(W)| towards zero by 0.5, and the result is flagged `small_arms_normal` when an arm
    has fewer than `small_arm` values. `exact` gives the permutation distribution of the
    (mid)rank sum, as SAS's EXACT WILCOXON (R `wilcox.test(exact = TRUE)` without ties):
    P = Prob(|S - E S| >= |s - E S|).
    """
    xs, _ = _clean(x, "x")
    ys, _ = _clean(y, "y")
    n1, n2 = xs.size, ys.size
    if n1 == 0 or n2 == 0:
        raise InvalidValueError("mann_whitney sizes", (n1, n2), "at least 1 value per group")
    pooled = np.concatenate([xs, ys])
    n = n1 + n2
    ranks = stats.rankdata(pooled)
    w = float(np.sum(ranks[:n1])) - n1 * (n1 + 1) / 2
    _, ties = np.unique(pooled, return_counts=True)
    tie_term = float(np.sum(ties.astype(np.float64) ** 3 - ties)) / (n * (n - 1)) if n > 1 else 0
    variance = n1 * n2 / 12 * ((n + 1) - tie_term)
    if variance <= 0:
        raise InvalidValueError(
            "mann_whitney values",
            "all tied",
            "at least two different values",
            "report the values without a test",
        )
    if exact and _exact_states(ranks, n1) <= _EXACT_MAX_STATES:
        return TestResult(
            test="mann_whitney",
            statistic=w,
            p_value=_exact_rank_sum_p(ranks, n1),
            method="exact",
        )
    # Arms too large to enumerate are where the normal approximation is excellent.
    centred = w - n1 * n2 / 2
    if continuity and centred != 0:
        centred -= math.copysign(0.5, centred)
    z = centred / math.sqrt(variance)
    return TestResult(
        test="mann_whitney",
        statistic=w,
        p_value=min(1.0, 2 * float(stats.norm.sf(abs(z)))),
        warning=SMALL_ARMS if min(n1, n2) < small_arm else None,
        method="normal approximation"
        + (", continuity correction" if continuity else "")
        + (" (arms too large for the exact distribution)" if exact else ""),
    )


# Beyond this many (subset size x rank-sum) states the exact distribution is too large to count.
_EXACT_MAX_STATES = 50_000_000


def _exact_states(ranks: NDArray[np.float64], n1: int) -> int:
    """The work of counting the exact distribution: subset sizes x rank sums x values."""
    top = int(np.rint(2 * np.sort(ranks)[-n1:]).sum())
    return (n1 + 1) * (top + 1) * ranks.size


def _exact_rank_sum_p(ranks: NDArray[np.float64], n1: int) -> float:
    """P(|S - E S| >= |s - E S|) for the rank sum S of n1 of the ranks drawn at random."""
    doubled = np.rint(2 * ranks).astype(np.int64)  # midranks are multiples of 1/2
    total = int(doubled[:n1].sum())
    top = int(np.sort(doubled)[-n1:].sum())
    # ways[k, s]: subsets of k of the values seen so far with doubled rank sum s (as
    # probabilities relative to C(n, n1), to stay in floating-point range).
    ways = np.zeros((n1 + 1, top + 1), dtype=np.float64)
    ways[0, 0] = 1.0
    for value in doubled:
        shifted = np.zeros_like(ways)
        shifted[1:, value:] = ways[:-1, : top + 1 - value]
        ways += shifted
    counts = ways[n1]
    sums = np.arange(top + 1, dtype=np.float64)
    probability = counts / counts.sum()
    expected = float(np.sum(sums * probability))
    distance = abs(total - expected)
    return min(1.0, float(probability[np.abs(sums - expected) >= distance - 1e-7].sum()))


# --- descriptives ---------------------------------------------------------------------------


def quantile(values: Sequence[float] | NDArray[np.float64], p: float) -> float:
    """The p-th quantile by SAS QNTLDEF=5 (R `quantile(x, p, type = 2)`).

    With np = j + g: x[j+1] if g > 0, else the average of x[j] and x[j+1] (1-based, sorted).
    """
    xs = np.sort(np.asarray(values, dtype=np.float64))
    if xs.size == 0 or not 0 <= p <= 1:
        raise InvalidValueError("quantile", (len(xs), p), "at least 1 value and 0 <= p <= 1")
    # Exact arithmetic on the decimal p, so that n * 0.1 is never 0.30000000000000004.
    position = xs.size * Fraction(repr(float(p)))
    j = math.floor(position)
    if position > j:
        return float(xs[j])
    if j == 0:
        return float(xs[0])
    if j == xs.size:
        return float(xs[-1])
    return float((xs[j - 1] + xs[j]) / 2)


def describe_continuous(values: Iterable[object]) -> Descriptives:
    """n, mean, SD (n - 1), median, quartiles (SAS QNTLDEF=5), min, max; missing excluded."""
    xs, n_missing = _clean(values, "values")
    if xs.size == 0:
        raise InvalidValueError(
            "values",
            f"{n_missing} missing, 0 present",
            "at least 1 non-missing value",
            "report the variable as not available for this group",
        )
    return Descriptives(
        n=int(xs.size),
        n_missing=n_missing,
        mean=float(np.mean(xs)),
        sd=float(np.std(xs, ddof=1)) if xs.size > 1 else None,
        median=quantile(xs, 0.5),
        p25=quantile(xs, 0.25),
        p75=quantile(xs, 0.75),
        min=float(xs.min()),
        max=float(xs.max()),
    )


def describe_categorical(values: Iterable[object], levels: Sequence[str]) -> CategoricalCounts:
    """Counts of each level (in the order given); a value outside `levels` is an error."""
    if isinstance(levels, str) or not levels or len(set(levels)) != len(levels):
        raise InvalidValueError("levels", levels, "a non-empty list of distinct level names")
    counts = dict.fromkeys(levels, 0)
    n_missing = 0
    for value in values:
        if _is_missing(value):
            n_missing += 1
        elif isinstance(value, str) and value in counts:
            counts[value] += 1
        else:
            raise InvalidValueError(
                "value",
                value,
                f"one of {list(levels)} or missing",
                "map the value to a level or add the level",
            )
    return CategoricalCounts(counts=counts, n=sum(counts.values()), n_missing=n_missing)
