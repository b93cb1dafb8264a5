"""JAMA (AMA Manual of Style) formatting of numbers for the report.

Rules, as printed in the CAIRO6 phase 2 paper:
- Rounding is half up (ties away from zero: 2.5 -> 3, -2.5 -> -3), not banker's rounding, and
  is applied to the shortest decimal repr of a float (Decimal(repr(x))), so 2.675 -> 2.68 as it
  reads, although the binary double 2.675 is slightly below 2.675.
- Percentages are whole numbers: 33 of 37 is "89".
- P values: 2 decimals (".74"); 3 decimals when P rounds below .01 (".004"); "< .001" below
  .001; "> .99" above .99. No leading zero, since P cannot exceed 1. Optionally (AMA: "may be
  preferred by the author") a P below .05 that would round to .05 keeps more decimals.
- Intervals and ranges join with a hyphen ("0.88-1.23"), or with " to " when a bound is negative.
"""

from __future__ import annotations

import decimal
import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral, Real

from cairo6.errors import InvalidValueError

_ONE_HUNDREDTH = Decimal("0.01")
_ALPHA = Decimal("0.05")


def _number(x: object, field: str) -> float | int | Decimal:
    if isinstance(x, Decimal) and x.is_finite():
        return x
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(float(x)):
        raise InvalidValueError(field, x, "a finite number")
    return int(x) if isinstance(x, Integral) else float(x)


def round_half_up(x: float | int | Decimal, ndigits: int = 0) -> Decimal:
    """x rounded to `ndigits` decimals, ties away from zero, from its shortest decimal repr."""
    value = _number(x, "x")
    if isinstance(ndigits, bool) or not isinstance(ndigits, int) or ndigits < 0:
        raise InvalidValueError("ndigits", ndigits, "a whole number >= 0")
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    # A local context: the default 28 digits of precision cannot quantize very large values.
    with decimal.localcontext(prec=max(28, exact.adjusted() + ndigits + 2)):
        rounded = exact.quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP)
    # -0.4 rounds to -0, which a table should show as 0.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def jama_number(x: float | int | Decimal, digits: int = 0) -> str:
    """x with exactly `digits` decimals, rounded half up ("1.04")."""
    return format(round_half_up(x, digits), "f")


def jama_pct(pct: float | int | Decimal) -> str:
    """A percentage (0-100, unrounded) as a whole number: 89.189... -> "89", 2.5 -> "3"."""
    value = _number(pct, "pct")
    if not 0 <= value <= 100:
        raise InvalidValueError("pct", pct, "a percentage from 0 to 100")
    return jama_number(value, 0)


def jama_p(p: float | Decimal, *, cap_high: bool = True, keep_significance: bool = False) -> str:
    """A P value in JAMA style without the "P =": ".74", ".004", "< .001", "> .99".

    `cap_high` prints "> .99" above .99 (else e.g. "1.00"); `keep_significance` adds decimals
    when P < .05 would otherwise print as .05.
    """
    number = _number(p, "p")
    # Compare the decimal the reader sees, not the binary double just below or above it.
    value = number if isinstance(number, Decimal) else Decimal(repr(number))
    if not 0 <= value <= 1:
        raise InvalidValueError("p", p, "a probability from 0 to 1")
    if value < Decimal("0.001"):
        return "< .001"
    if cap_high and value > Decimal("0.99"):
        return "> .99"
    rounded = round_half_up(value, 3)
    if rounded >= _ONE_HUNDREDTH:
        rounded = round_half_up(value, 2)
        digits = 2
        while keep_significance and value < _ALPHA and rounded >= _ALPHA and digits < 6:
            digits += 1
            rounded = round_half_up(value, digits)
    text = format(rounded, "f")
    return text[1:] if text.startswith("0.") else text


def _join(low: float | int | Decimal, high: float | int | Decimal, digits: int, field: str) -> str:
    first, second = _number(low, f"{field} low"), _number(high, f"{field} high")
    if first > second:
        raise InvalidValueError(field, (low, high), "low <= high")
    a, b = jama_number(first, digits), jama_number(second, digits)
    # A hyphen between a negative bound and another reads as a minus sign.
    separator = " to " if a.startswith("-") or b.startswith("-") else "-"
    return f"{a}{separator}{b}"


def jama_ci(low: float | int | Decimal, high: float | int | Decimal, digits: int = 2) -> str:
    """A confidence interval: "0.88-1.23" (" to " when a bound is negative)."""
    return _join(low, high, digits, "ci")


def jama_mean_sd(
    mean: float | int | Decimal, sd: float | int | Decimal | None, digits: int = 0
) -> str:
    """Mean (SD): "317 (122)"; the mean alone when the SD is not estimable (None)."""
    if sd is None:
        return jama_number(mean, digits)
    if _number(sd, "sd") < 0:
        raise InvalidValueError("sd", sd, "a standard deviation >= 0")
    return f"{jama_number(mean, digits)} ({jama_number(sd, digits)})"


def jama_median_range(
    median: float | int | Decimal,
    low: float | int | Decimal,
    high: float | int | Decimal,
    digits: int = 0,
) -> str:
    """Median (range): "5 (0-34)"."""
    return f"{jama_number(median, digits)} ({_join(low, high, digits, 'range')})"


def jama_median_iqr(
    median: float | int | Decimal,
    p25: float | int | Decimal,
    p75: float | int | Decimal,
    digits: int = 0,
) -> str:
    """Median (IQR), the IQR given as its two quartiles: "8 (6-16)"."""
    return f"{jama_number(median, digits)} ({_join(p25, p75, digits, 'iqr')})"


def fmt_n_pct(n: int, pct: float | int | Decimal | None) -> str:
    """Count and whole percentage: "33 (89)"; the count alone when pct is None (N = 0)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidValueError("n", n, "a whole number >= 0")
    return str(n) if pct is None else f"{n} ({jama_pct(pct)})"
