"""Statistics checked against R (documentation examples), textbooks and the published paper.

R could not be run here. Each expected value says where it comes from:
- "R docs": printed in the example output of the R help page named;
- "hand": worked from the definition in the comment;
- "scipy": computed with scipy (an independent implementation) and the R call that gives the
  same number is stated. Paper values are those printed in Cremers et al., JAMA Surg 2021.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.stats as sps  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from cairo6.analysis import stats
from cairo6.analysis.rounding import jama_ci, jama_number, jama_p
from cairo6.analysis.stats import (
    SMALL_EXPECTED,
    categorical_test,
    chi_square,
    clopper_pearson,
    describe_categorical,
    describe_continuous,
    fisher_exact,
    mann_whitney,
    proportion,
    quantile,
    risk_ratio,
    t_test,
)
from cairo6.errors import InvalidValueError

PROPERTY = settings(database=None, deadline=None)

# R's `sleep` data (Cushny & Peebles), used in the R docs of t.test.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
# R's `airquality$Ozone` for May and August, used in the R docs of wilcox.test (with ties and NA).
# fmt: off
OZONE_MAY = [41, 36, 12, 18, None, 28, 23, 19, 8, None, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1,
             11, 4, 32, None, None, None, 23, 45, 115, 37]
OZONE_AUG = [39, 9, 16, 78, 35, 66, 122, 89, 110, None, None, 44, 28, 65, None, 22, 59, 23, 31,
             44, 21, 9, None, 45, 168, 73, None, 76, 118, 84, 85]
# fmt: on
# Hollander & Wolfe (1973) p. 69, in the R docs of wilcox.test.
HW_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
HW_Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def table(a: int, n1: int, b: int, n2: int) -> list[list[int]]:
    """Arms in rows, (event, no event) in columns."""
    return [[a, n1 - a], [b, n2 - b]]


# --- proportions ----------------------------------------------------------------------------


def test_proportion() -> None:
    assert proportion(33, 37) == pytest.approx(0.891891891891892)
    assert proportion(0, 5) == 0.0


@pytest.mark.parametrize(("n", "total"), [(-1, 5), (6, 5), (0, 0), (True, 5), (1.0, 5)])
def test_proportion_refuses_bad_counts(n: object, total: int) -> None:
    with pytest.raises(InvalidValueError):
        proportion(n, total)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "total", "low", "high"),
    [
        # R docs, binom.test: binom.test(682, 682 + 243, p = 3/4)$conf.int
        #   -> 0.7076683 0.7654066
        (682, 925, 0.7076683, 0.7654066),
        # Paper: objective radiologic response 9 of 32. scipy.stats.binomtest(9, 32)
        #   .proportion_ci(); R: binom.test(9, 32)$conf.int -> 0.1374569 0.4674711
        (9, 32, 0.1374569, 0.4674711),
        # Paper: major pathologic response 13 of 34. scipy as above;
        #   R: binom.test(13, 34)$conf.int -> 0.2216654 0.5643603
        (13, 34, 0.2216654, 0.5643603),
        # hand: with 0 events the upper bound is 1 - 0.025^(1/10);
        #   R: binom.test(0, 10)$conf.int -> 0.0000000 0.3084971
        (0, 10, 0.0, 0.3084971),
    ],
)
def test_clopper_pearson_reference(n: int, total: int, low: float, high: float) -> None:
    got = clopper_pearson(n, total)
    assert got == pytest.approx((low, high), abs=5e-8)


def test_clopper_pearson_all_events_and_level() -> None:
    # hand: symmetric to (0, 10): R binom.test(10, 10)$conf.int -> 0.6915029 1.0000000
    assert clopper_pearson(10, 10) == pytest.approx((0.6915029, 1.0), abs=5e-8)
    assert clopper_pearson(9, 32, 0.90)[0] > clopper_pearson(9, 32, 0.95)[0]
    with pytest.raises(InvalidValueError):
        clopper_pearson(9, 32, 1.0)


@PROPERTY
@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_clopper_pearson_contains_estimate(counts: tuple[int, int]) -> None:
    n, total = counts
    low, high = clopper_pearson(n, total)
    assert 0.0 <= low <= n / total <= high <= 1.0


# --- risk ratio -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "n1", "b", "n2", "rr", "low", "high", "printed"),
    [
        # Paper, macroscopic complete CRS-HIPEC: "risk ratio, 1.04; 95% CI, 0.88-1.23".
        # Katz formula (hand, with scipy's normal quantile); R: fmsb::riskratio(33, 36, 37, 42)
        #   -> risk ratio 1.040541, 95% CI 0.8806646 1.2294404
        (33, 37, 36, 42, 1.0405405, 0.8806646, 1.2294404, ("1.04", "0.88-1.23")),
        # Paper, Clavien-Dindo >= III: "risk ratio, 0.65; 95% CI, 0.31-1.37".
        # R: fmsb::riskratio(8, 14, 37, 42) -> 0.6486486, 95% CI 0.3070581 1.3702456
        (8, 37, 14, 42, 0.6486486, 0.3070581, 1.3702456, ("0.65", "0.31-1.37")),
        # hand: RR 0.5, se = sqrt(1/10 - 1/100 + 1/20 - 1/100) = sqrt(0.13);
        #   0.5 * exp(-/+ 1.959964 * 0.3605551) -> 0.2466408 1.0136198
        (10, 100, 20, 100, 0.5, 0.2466408, 1.0136198, ("0.50", "0.25-1.01")),
    ],
)
def test_risk_ratio_katz(
    a: int, n1: int, b: int, n2: int, rr: float, low: float, high: float, printed: tuple[str, str]
) -> None:
    result = risk_ratio(a, n1, b, n2)
    assert (result.rr, result.low, result.high) == pytest.approx((rr, low, high), abs=5e-7)
    assert (jama_number(result.rr, 2), jama_ci(result.low, result.high)) == printed
    assert not result.corrected


def test_risk_ratio_refuses_zero_cells_unless_corrected() -> None:
    with pytest.raises(InvalidValueError, match="zero_correction"):
        risk_ratio(0, 10, 3, 10)
    with pytest.raises(InvalidValueError, match="at least one event"):
        risk_ratio(0, 10, 0, 10, zero_correction=True)
    corrected = risk_ratio(0, 10, 3, 10, zero_correction=True)
    # hand: (0.5 / 11) / (3.5 / 11) = 1/7; se = sqrt(1/0.5 - 1/11 + 1/3.5 - 1/11)
    se = math.sqrt(2 - 2 / 11 + 1 / 3.5)
    assert corrected.corrected
    assert corrected.rr == pytest.approx(1 / 7)
    assert corrected.high == pytest.approx(math.exp(math.log(1 / 7) + 1.959963985 * se))


@PROPERTY
@given(
    st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
    st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
)
def test_risk_ratio_interval_contains_estimate(
    first: tuple[int, int], second: tuple[int, int]
) -> None:
    result = risk_ratio(*first, *second)
    assert 0 < result.low <= result.rr <= result.high


# --- chi-square and Fisher ------------------------------------------------------------------


def test_chi_square_r_docs_example() -> None:
    # R docs, chisq.test (Agresti 2007, party by gender):
    #   chisq.test(as.table(rbind(c(762, 327, 468), c(484, 239, 477))))
    #   -> X-squared = 30.07, df = 2, p-value = 2.954e-07
    result = chi_square([[762, 327, 468], [484, 239, 477]])
    assert result.statistic == pytest.approx(30.07, abs=5e-3)
    assert result.df == 2
    assert result.p_value == pytest.approx(2.954e-07, rel=5e-4)
    assert result.warning is None


@pytest.mark.parametrize(
    ("counts", "p_value", "printed"),
    [
        # Paper Table 2, all by chi-square without correction. p values are scipy
        # chi2_contingency(correction=False); the R call is given per row.
        # Clavien-Dindo >= III; R: chisq.test(matrix(c(8,14,29,28),2), correct=FALSE)$p.value
        #   -> 0.2465354
        ((8, 37, 14, 42), 0.2465354, ".25"),
        # Ostomy; R: chisq.test(matrix(c(7,18,30,24),2), correct=FALSE)$p.value -> 0.0224433
        ((7, 37, 18, 42), 0.0224433, ".02"),
        # Anastomosis; R: chisq.test(matrix(c(17,25,20,17),2), correct=FALSE)$p.value -> 0.2274988
        ((17, 37, 25, 42), 0.2274988, ".23"),
        # Readmission; R: chisq.test(matrix(c(8,16,29,26),2), correct=FALSE)$p.value -> 0.1121288
        ((8, 37, 16, 42), 0.1121288, ".11"),
        # Reoperation; R: chisq.test(matrix(c(7,8,30,34),2), correct=FALSE)$p.value -> 0.9883880
        ((7, 37, 8, 42), 0.9883880, ".99"),
        # Clavien-Dindo >= II; R: chisq.test(matrix(c(19,30,18,12),2), correct=FALSE)$p.value
        #   -> 0.0665383
        ((19, 37, 30, 42), 0.0665383, ".07"),
        # HIPEC regimen; R: chisq.test(matrix(c(28,29,5,7),2), correct=FALSE)$p.value -> 0.6383855
        ((28, 33, 29, 36), 0.6383855, ".64"),
    ],
)
def test_chi_square_reproduces_paper(
    counts: tuple[int, int, int, int], p_value: float, printed: str
) -> None:
    result = chi_square(table(*counts))
    assert result.test == "chi2"
    assert result.p_value == pytest.approx(p_value, abs=5e-8)
    assert jama_p(result.p_value) == printed
    assert result.warning is None


def test_chi_square_small_expected_as_published() -> None:
    # Paper: Clavien-Dindo grade 4, 3/37 vs 2/42, chi-square P = .54 although an expected count
    # is 5 * 37 / 79 = 2.34 (hand). R: chisq.test(matrix(c(3,2,34,40),2), correct=FALSE)$p.value
    #   -> 0.5421774 (scipy), with R's warning "Chi-squared approximation may be incorrect".
    result = chi_square(table(3, 37, 2, 42))
    assert result.p_value == pytest.approx(0.5421774, abs=5e-8)
    assert jama_p(result.p_value) == ".54"
    assert result.warning == SMALL_EXPECTED
    assert result.min_expected == pytest.approx(5 * 37 / 79)


def test_chi_square_yates() -> None:
    # scipy chi2_contingency(correction=True); R: chisq.test(matrix(c(8,14,29,28),2))
    #   -> X-squared = 0.82321, df = 1, p-value = 0.3642
    result = chi_square(table(8, 37, 14, 42), correction=True)
    assert result.test == "chi2_yates"
    assert result.statistic == pytest.approx(0.8232055, abs=5e-7)
    assert result.p_value == pytest.approx(0.3642446, abs=5e-7)
    # As in R, Yates' correction applies to 2 x 2 tables only.
    assert chi_square([[762, 327, 468], [484, 239, 477]], correction=True).test == "chi2"


def test_empty_levels_are_dropped_as_sas_does() -> None:
    with_empty = chi_square([[8, 29, 0], [14, 28, 0]])
    assert with_empty == chi_square(table(8, 37, 14, 42))
    with pytest.raises(InvalidValueError, match="nothing to compare"):
        chi_square([[5, 0], [7, 0]])


@pytest.mark.parametrize(
    "bad", [[[1, 2, 3]], [[1, -2], [3, 4]], [[1.5, 2], [3, 4]], [1, 2, 3, 4], [["a", "b"], [1, 2]]]
)
def test_tables_are_validated(bad: object) -> None:
    with pytest.raises(InvalidValueError):
        chi_square(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError):
        fisher_exact(bad)  # type: ignore[arg-type]


def test_fisher_primary_outcome() -> None:
    # Paper: macroscopic complete CRS-HIPEC 33/37 vs 36/42, Fisher exact P = .74.
    # scipy.stats.fisher_exact -> 0.7426191; R: fisher.test(matrix(c(33,36,4,6),2))$p.value
    #   -> 0.7426191 (chi-square would give .64, so the paper's test is Fisher).
    result = fisher_exact(table(33, 37, 36, 42))
    assert result.test == "fisher"
    assert result.p_value == pytest.approx(0.7426191, abs=5e-8)
    assert jama_p(result.p_value) == ".74"
    assert result.min_expected == pytest.approx(37 * 10 / 79)


def test_fisher_tea_tasting() -> None:
    # R docs, fisher.test: TeaTasting = matrix(c(3, 1, 1, 3), 2). Hand: the hypergeometric
    # probabilities of x = 0..4 are 1, 16, 36, 16, 1 (/70); two-sided P = 34/70 = 0.4857143;
    # the one-sided P printed in the R docs (alternative = "greater") is 17/70 = 0.2429.
    result = fisher_exact([[3, 1], [1, 3]])
    assert result.p_value == pytest.approx(34 / 70)
    assert result.statistic == pytest.approx(16 / 70)


def test_fisher_two_by_k() -> None:
    # scipy's fisher_exact beyond 2 x 2 is a resampling estimate, so 2 x k is checked by brute
    # force instead; an empty third level and transposing (k x 2) do not change P.
    two_by_two = fisher_exact([[28, 5], [29, 7]])
    assert fisher_exact([[28, 5, 0], [29, 7, 0]]) == two_by_two
    assert fisher_exact([[28, 29], [5, 7]]).p_value == pytest.approx(two_by_two.p_value)
    # scipy: 0.7552704; R: fisher.test(matrix(c(28,29,5,7),2))$p.value -> 0.7552704
    assert two_by_two.p_value == pytest.approx(0.7552704, abs=5e-8)
    # 2 x 3, brute force over every first row with the same margins (hand, see _brute_force).
    counts = [[3, 1, 4], [1, 5, 2]]
    assert fisher_exact(counts).p_value == pytest.approx(_brute_force(counts))


def _brute_force(counts: list[list[int]]) -> float:
    cols = [counts[0][j] + counts[1][j] for j in range(3)]
    first = sum(counts[0])
    total = sum(cols)

    def prob(row: tuple[int, int, int]) -> float:
        numerator = math.prod(math.comb(c, a) for c, a in zip(cols, row, strict=True))
        return numerator / math.comb(total, first)

    observed = prob((counts[0][0], counts[0][1], counts[0][2]))
    tables = [
        (a, b, first - a - b)
        for a in range(cols[0] + 1)
        for b in range(cols[1] + 1)
        if 0 <= first - a - b <= cols[2]
    ]
    return sum(prob(t) for t in tables if prob(t) <= observed * (1 + 1e-7))


def test_fisher_refuses_larger_tables() -> None:
    with pytest.raises(InvalidValueError, match="chi_square"):
        fisher_exact([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    with pytest.raises(InvalidValueError, match="enumerate"):
        fisher_exact([[100] * 8, [100] * 8])


@PROPERTY
@given(st.lists(st.integers(0, 30), min_size=4, max_size=4).filter(lambda c: sum(c) > 0))
def test_fisher_matches_scipy_2x2(cells: list[int]) -> None:
    counts = [cells[:2], cells[2:]]
    arr = np.asarray(counts)
    if (arr.sum(axis=0) == 0).any() or (arr.sum(axis=1) == 0).any():
        return
    result = fisher_exact(counts)
    assert 0.0 <= result.p_value <= 1.0
    assert result.p_value == pytest.approx(sps.fisher_exact(counts).pvalue, abs=1e-9)


@PROPERTY
@given(
    st.lists(st.lists(st.integers(1, 60), min_size=2, max_size=4), min_size=2, max_size=3).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    )
)
def test_chi_square_matches_scipy(rows: list[list[int]]) -> None:
    result = chi_square(rows)
    expected = sps.chi2_contingency(rows, correction=False)
    assert 0.0 <= result.p_value <= 1.0
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-12)
    assert result.min_expected == pytest.approx(expected.expected_freq.min())


def test_categorical_test_rules() -> None:
    primary = table(33, 37, 36, 42)  # an expected count of 4.68
    assert categorical_test(primary).test == "fisher"
    forced = categorical_test(primary, rule="chi2")
    assert (forced.test, forced.warning) == ("chi2", SMALL_EXPECTED)
    assert categorical_test(table(8, 37, 14, 42)).test == "chi2"
    assert categorical_test(table(8, 37, 14, 42), rule="fisher").test == "fisher"
    assert categorical_test(primary, expected_below=4).test == "chi2"
    with pytest.raises(InvalidValueError):
        categorical_test(primary, rule="exact")  # type: ignore[arg-type]
    # Too large for Fisher: auto falls back to chi-square and keeps the warning.
    big = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert categorical_test(big).warning == SMALL_EXPECTED


# --- t test and Mann-Whitney ----------------------------------------------------------------


def test_t_test_sleep_r_docs() -> None:
    # R docs, t.test: t.test(extra ~ group, data = sleep)
    #   -> t = -1.8608, df = 17.776, p-value = 0.07939
    welch = t_test(SLEEP_1, SLEEP_2, equal_var=False)
    assert welch.test == "t_welch"
    assert (welch.statistic, welch.df, welch.p_value) == pytest.approx(
        (-1.8608, 17.776, 0.07939), abs=5e-4
    )
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE)
    #   -> t = -1.8608, df = 18, p-value = 0.07919 (scipy ttest_ind agrees)
    pooled = t_test(SLEEP_1, SLEEP_2)
    assert pooled.test == "t_pooled"
    assert (pooled.statistic, pooled.df, pooled.p_value) == pytest.approx(
        (-1.8608, 18, 0.07919), abs=5e-5
    )


def test_t_test_excludes_missing_and_refuses_degenerate() -> None:
    assert t_test([*SLEEP_1, None, float("nan")], SLEEP_2) == t_test(SLEEP_1, SLEEP_2)
    with pytest.raises(InvalidValueError):
        t_test([1.0], [1.0, 2.0])
    with pytest.raises(InvalidValueError):
        t_test([1.0, 1.0], [2.0, 2.0])


def test_mann_whitney_r_docs_with_ties() -> None:
    # R docs, wilcox.test: wilcox.test(Ozone ~ Month, data = airquality,
    #   subset = Month %in% c(5, 8)) -> W = 127.5, p-value = 0.0001208 (normal approximation
    #   with ties, continuity-corrected: the SAS NPAR1WAY default).
    result = mann_whitney(OZONE_MAY, OZONE_AUG)
    assert result.test == "mann_whitney"
    assert result.statistic == 127.5
    assert result.p_value == pytest.approx(0.0001208, abs=5e-8)


def test_mann_whitney_without_continuity_r_docs() -> None:
    # R docs, wilcox.test (Hollander & Wolfe): wilcox.test(x, y, alternative = "greater",
    #   exact = FALSE, correct = FALSE) -> W = 35, p-value = 0.1103; two-sided is twice that.
    result = mann_whitney(HW_X, HW_Y, continuity=False)
    assert result.statistic == 35
    assert result.p_value / 2 == pytest.approx(0.1103, abs=5e-5)
    # scipy mannwhitneyu(method="asymptotic"); R: wilcox.test(x, y, exact = FALSE)$p.value
    #   -> 0.2446236 (continuity-corrected)
    assert mann_whitney(HW_X, HW_Y).p_value == pytest.approx(0.2446236, abs=5e-8)


@PROPERTY
@given(
    st.lists(st.integers(0, 12), min_size=1, max_size=25),
    st.lists(st.integers(0, 12), min_size=1, max_size=25),
    st.booleans(),
)
def test_mann_whitney_matches_scipy(x: list[int], y: list[int], continuity: bool) -> None:
    if len(set(x + y)) < 2:
        with pytest.raises(InvalidValueError):
            mann_whitney(x, y)
        return
    result = mann_whitney(x, y, continuity=continuity)
    expected = sps.mannwhitneyu(x, y, use_continuity=continuity, method="asymptotic")
    assert 0.0 <= result.p_value <= 1.0
    assert result.statistic == expected.statistic
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-12)


def test_continuous_inputs_are_validated() -> None:
    with pytest.raises(InvalidValueError):
        mann_whitney([1, "2"], [3])
    with pytest.raises(InvalidValueError):
        mann_whitney([1, math.inf], [3])
    with pytest.raises(InvalidValueError):
        mann_whitney([True, 2], [3])
    with pytest.raises(InvalidValueError):
        mann_whitney("12", [3])
    with pytest.raises(InvalidValueError):
        mann_whitney([None], [3])


# --- descriptives ---------------------------------------------------------------------------


def test_quantile_sas_qntldef5() -> None:
    # hand, from the SAS QNTLDEF=5 / R type 2 definition (Hyndman & Fan 1996, definition 2):
    #   R: quantile(1:10, type = 2) -> 1, 3, 5.5, 8, 10  (type 7 would give 3.25 and 7.75)
    xs = [float(v) for v in range(10, 0, -1)]
    assert [quantile(xs, p) for p in (0, 0.25, 0.5, 0.75, 1)] == [1, 3, 5.5, 8, 10]
    # R: quantile(c(1, 2, 3, 4), type = 2) -> 1, 1.5, 2.5, 3.5, 4 (np = 1, 2, 3 are whole)
    assert [quantile([1, 2, 3, 4], p) for p in (0, 0.25, 0.5, 0.75, 1)] == [1, 1.5, 2.5, 3.5, 4]
    # p is read as the decimal 0.3, so 10 * 0.3 is exactly 3 and the average is taken, where a
    # plain float product (3.0000000000000004) would return x[4].
    assert quantile(xs, 0.3) == 3.5
    with pytest.raises(InvalidValueError):
        quantile([], 0.5)
    with pytest.raises(InvalidValueError):
        quantile([1.0], 1.5)


@PROPERTY
@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=40),
    st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]),
)
def test_quantile_matches_numpy_type2(values: list[int], p: float) -> None:
    # numpy's "averaged_inverted_cdf" is Hyndman & Fan type 2; multiples of 0.25 are exact.
    expected = float(np.quantile(values, p, method="averaged_inverted_cdf"))
    if p in (0.0, 0.25, 0.5, 0.75, 1.0):
        assert quantile(values, p) == expected
    assert min(values) <= quantile(values, p) <= max(values)


def test_describe_continuous() -> None:
    result = describe_continuous([*range(1, 11), None, float("nan")])
    assert (result.n, result.n_missing) == (10, 2)
    assert (result.mean, result.median, result.p25, result.p75) == (5.5, 5.5, 3.0, 8.0)
    # hand: var(1:10) = 55/6; R: sd(1:10) -> 3.02765
    assert result.sd == pytest.approx(math.sqrt(55 / 6))
    assert (result.min, result.max) == (1.0, 10.0)
    single = describe_continuous([4.0])
    assert single.sd is None
    assert single.median == 4.0
    with pytest.raises(InvalidValueError, match="not available"):
        describe_continuous([None, None])


def test_describe_categorical() -> None:
    values = ["yes", "no", None, "yes", float("nan"), "yes"]
    result = describe_categorical(values, ["yes", "no", "unknown"])
    assert dict(result.counts) == {"yes": 3, "no": 1, "unknown": 0}
    assert list(result.counts) == ["yes", "no", "unknown"]
    assert (result.n, result.n_missing) == (4, 2)
    with pytest.raises(InvalidValueError, match="map the value"):
        describe_categorical(["maybe"], ["yes", "no"])
    with pytest.raises(InvalidValueError):
        describe_categorical(["yes"], ["yes", "yes"])


def test_result_types_are_frozen() -> None:
    result = chi_square(table(8, 37, 14, 42))
    with pytest.raises(AttributeError):
        result.p_value = 0.5  # type: ignore[misc]
    assert not stats.TestResult.__test__


def test_mann_whitney_exact_as_r_without_ties() -> None:
    # R: wilcox.test(c(1.1, 2.3, 3.5, 4.2, 8.1), c(5.5, 6.1, 7.2, 9.9, 10.4, 11.0),
    #    exact = TRUE): W = 3, p-value = 0.0303030303030303 (= 14 / 462).
    result = mann_whitney([1.1, 2.3, 3.5, 4.2, 8.1], [5.5, 6.1, 7.2, 9.9, 10.4, 11.0], exact=True)
    assert result.statistic == 3
    assert result.p_value == pytest.approx(0.0303030303030303, rel=1e-12)
    assert result.method == "exact"


def test_mann_whitney_exact_with_ties_by_enumeration() -> None:
    # SAS EXACT WILCOXON: the permutation distribution of the midrank sum. Checked against
    # listing every one of the C(9, 4) = 126 ways to choose the first arm's ranks.
    x, y = [1, 2, 2, 3], [2, 3, 3, 4, 5]
    ranks = sps.rankdata(x + y)
    observed = ranks[:4].sum()
    mean = 4 * (len(ranks) + 1) / 2
    sums = [sum(c) for c in itertools.combinations(ranks, 4)]
    expected = sum(abs(s - mean) >= abs(observed - mean) - 1e-9 for s in sums) / len(sums)
    assert mann_whitney(x, y, exact=True).p_value == pytest.approx(expected, rel=1e-12)


def test_mann_whitney_normal_flags_small_arms() -> None:
    small = mann_whitney([1, 2, 3], [4, 5, 6, 7], small_arm=20)
    assert small.warning == "small_arms_normal"
    assert mann_whitney([1, 2, 3], [4, 5, 6, 7]).warning is None


def test_mann_whitney_exact_falls_back_to_normal_in_large_arms() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 1, 300).tolist(), rng.normal(0.2, 1, 300).tolist()
    exact = mann_whitney(x, y, exact=True)
    assert exact.p_value == mann_whitney(x, y).p_value
    assert exact.method.endswith("(arms too large for the exact distribution)")
