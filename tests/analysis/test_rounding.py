"""JAMA-style rounding, checked against the values printed in the CAIRO6 phase 2 paper."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairo6.analysis.rounding import (
    fmt_n_pct,
    jama_ci,
    jama_mean_sd,
    jama_median_iqr,
    jama_median_range,
    jama_number,
    jama_p,
    jama_pct,
    round_half_up,
)
from cairo6.errors import InvalidValueError

PROPERTY = settings(database=None, deadline=None)


@pytest.mark.parametrize(
    ("x", "ndigits", "expected"),
    [
        (2.5, 0, "3"),  # half up, where round() gives 2 (banker's)
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (-2.5, 0, "-3"),  # ties away from zero
        (2.675, 2, "2.68"),  # the decimal intent; the double is 2.67499999...
        (1.005, 2, "1.01"),
        (0.125, 2, "0.13"),
        (-0.4, 0, "0"),  # never "-0"
        (-0.001, 2, "0.00"),
        (10, 1, "10.0"),
        (Decimal("0.745"), 2, "0.75"),
        (1e30, 2, "1000000000000000000000000000000.00"),
    ],
)
def test_round_half_up(x: float, ndigits: int, expected: str) -> None:
    assert str(round_half_up(x, ndigits)) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1.5", True, None, Decimal("NaN")])
def test_round_half_up_refuses(bad: object) -> None:
    with pytest.raises(InvalidValueError):
        round_half_up(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError):
        round_half_up(1.0, -1)


@pytest.mark.parametrize(
    ("n", "total", "printed"),
    # Paper: 33 of 37 [89%], 36 of 42 [86%], 8 of 37 [22%], 14 of 42 [33%], 9 of 32 (28%),
    # 13 of 34 (38%), 69 (87), 7 (19), 18 (43), 1 of 42 (2), 2 of 79 (3)
    [
        (33, 37, "89"),
        (36, 42, "86"),
        (8, 37, "22"),
        (14, 42, "33"),
        (9, 32, "28"),
        (13, 34, "38"),
        (69, 79, "87"),
        (7, 37, "19"),
        (18, 42, "43"),
        (1, 42, "2"),
        (2, 79, "3"),
    ],
)
def test_jama_pct_paper(n: int, total: int, printed: str) -> None:
    assert jama_pct(100 * n / total) == printed


def test_jama_pct_half_up_and_bounds() -> None:
    assert jama_pct(0.5) == "1"
    assert jama_pct(2.5) == "3"
    assert jama_pct(100 * 1 / 8) == "13"  # 12.5
    assert jama_pct(100) == "100"
    for bad in (-0.1, 100.5, float("nan")):
        with pytest.raises(InvalidValueError):
            jama_pct(bad)


@pytest.mark.parametrize(
    ("p", "printed"),
    [
        # Paper P values (the unrounded value reproduced by cairo6.analysis.stats).
        (0.7426191, ".74"),  # complete CRS-HIPEC, Fisher
        (0.2465354, ".25"),  # Clavien-Dindo >= III, chi-square
        (0.0224433, ".02"),  # ostomy
        (0.9883880, ".99"),  # reoperation
        (0.5421774, ".54"),  # Clavien-Dindo 4
        (0.6383855, ".64"),  # HIPEC regimen
        (0.0665383, ".07"),  # Clavien-Dindo >= II
        (0.58, ".58"),  # operating time, t test
        (0.04, ".04"),  # length of stay
        (0.01, ".01"),  # PCI
        # JAMA rule: 3 decimals below .01, "< .001" below .001, "> .99" above .99.
        (0.0049, ".005"),
        (0.001, ".001"),
        (0.000999, "< .001"),
        (0.0, "< .001"),
        (0.0096, ".01"),  # rounds to .010 at 3 decimals, so it is not "P < .01"
        (0.995, "> .99"),
        (1.0, "> .99"),
        (0.125, ".13"),  # half up
        (0.0995, ".10"),
    ],
)
def test_jama_p(p: float, printed: str) -> None:
    assert jama_p(p) == printed


def test_jama_p_options() -> None:
    assert jama_p(1.0, cap_high=False) == "1.00"
    assert jama_p(0.046) == ".05"
    assert jama_p(0.046, keep_significance=True) == ".046"
    assert jama_p(0.0496, keep_significance=True) == ".0496"
    assert jama_p(0.05, keep_significance=True) == ".05"
    for bad in (-0.01, 1.01, float("nan")):
        with pytest.raises(InvalidValueError):
            jama_p(bad)


@PROPERTY
@given(st.floats(0, 1))
def test_jama_p_shape(p: float) -> None:
    text = jama_p(p)
    assert text in ("< .001", "> .99") or (text.startswith(".") and len(text) in (3, 4))


def test_intervals_and_summaries_paper() -> None:
    # Paper: RR 1.04 (0.88-1.23) and 0.65 (0.31-1.37) from the Katz values.
    assert jama_number(1.0405405, 2) == "1.04"
    assert jama_ci(0.8806646, 1.2294404) == "0.88-1.23"
    assert jama_ci(0.3070581, 1.3702456) == "0.31-1.37"
    # Table 2: operating time 317 (122); PCI 5 (0-34); length of stay 8 (6-16).
    assert jama_mean_sd(316.8, 121.6) == "317 (122)"
    assert jama_median_range(5, 0, 34) == "5 (0-34)"
    assert jama_median_iqr(8, 6, 16) == "8 (6-16)"
    assert jama_median_iqr(10.5, 7, 16.5) == "11 (7-17)"
    assert fmt_n_pct(33, 100 * 33 / 37) == "33 (89)"
    assert fmt_n_pct(0, None) == "0"
    assert jama_mean_sd(62, None) == "62"
    # A negative bound is joined with "to", since a hyphen would read as a minus sign.
    assert jama_ci(-0.5, 1.25, 1) == "-0.5 to 1.3"
    assert jama_ci(-0.004, 0.2) == "0.00-0.20"


def test_interval_validation() -> None:
    with pytest.raises(InvalidValueError):
        jama_ci(1.2, 0.8)
    with pytest.raises(InvalidValueError):
        jama_mean_sd(1, -1)
    with pytest.raises(InvalidValueError):
        fmt_n_pct(-1, 5.0)
    with pytest.raises(InvalidValueError):
        jama_median_range(1, float("nan"), 2)


@PROPERTY
@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 4))
def test_round_half_up_is_within_half_a_unit(x: float, ndigits: int) -> None:
    rounded = round_half_up(x, ndigits)
    assert abs(rounded - Decimal(repr(x))) <= Decimal(5) / Decimal(10) ** (ndigits + 1)
    assert rounded.as_tuple().exponent == -ndigits
