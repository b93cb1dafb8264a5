"""Input checks shared by the scoring modules.

Every check raises `ScoringError` naming the field, the value, what is allowed and what to do;
none of them coerces a doubtful value, because a silently "fixed" clinical score is worse than a
rejected one.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

from cairo6.errors import ScoringError


def require_int(field: str, value: object, low: int, high: int, action: str | None = None) -> int:
    """Return `value` as an int if it is a whole number in [low, high] (bool is refused)."""
    allowed = f"a whole number from {low} to {high}"
    # bool is an int subclass: True would silently count as 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ScoringError(field, value, allowed, action)
    number = int(value)
    if not low <= number <= high:
        raise ScoringError(field, value, allowed, action)
    return number


def require_real(field: str, value: object, allowed: str, action: str | None = None) -> float:
    """Return `value` as a float if it is a finite real number (bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScoringError(field, value, allowed, action)
    number = float(value)
    if not math.isfinite(number):
        raise ScoringError(field, value, allowed, action)
    return number


def require_non_negative(field: str, value: object, unit: str, action: str | None = None) -> float:
    """Return `value` as a float if it is finite and >= 0."""
    allowed = f"a finite number >= 0 ({unit})"
    number = require_real(field, value, allowed, action)
    if number < 0:
        raise ScoringError(field, value, allowed, action)
    return number


def require_positive(field: str, value: object, unit: str, action: str | None = None) -> float:
    """Return `value` as a float if it is finite and > 0."""
    allowed = f"a finite number > 0 ({unit})"
    number = require_real(field, value, allowed, action)
    if number <= 0:
        raise ScoringError(field, value, allowed, action)
    return number


def require_text(field: str, value: object, action: str | None = None) -> str:
    """Return `value` stripped if it is a non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ScoringError(field, value, "a non-empty text", action)
    return value.strip()


def token(text: str) -> str:
    """Normalise free text for matching: trimmed, case-folded, spaces and hyphens as '_'."""
    return "_".join(text.strip().casefold().replace("-", " ").split())


def exact(value: float) -> Fraction:
    """The decimal a float was typed as, as an exact fraction.

    Thresholds such as "a 30% decrease" must hold exactly at the boundary, but binary floats
    miss it (0.7 * 165 == 115.49999999999999, so 115.5 mm against 165 mm would not count as a
    30% decrease). `repr` gives the shortest decimal that round-trips, i.e. the value as entered.
    """
    return Fraction(repr(float(value)))
