"""Input checks shared by the design modules: every refusal names the field and the value."""

from __future__ import annotations

import math

from cairo6.errors import InvalidValueError


def _number(field: str, value: object, allowed: str) -> float:
    # bool is an int subclass; True as a power or a rate is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidValueError(field, value, allowed)
    return float(value)


def open_unit(field: str, value: object) -> float:
    """A number strictly between 0 and 1 (a probability that cannot be 0 or 1)."""
    number = _number(field, value, "a number strictly between 0 and 1")
    if not 0.0 < number < 1.0:
        raise InvalidValueError(field, value, "a number strictly between 0 and 1")
    return number


def unit_from_zero(field: str, value: object) -> float:
    """A number in [0, 1) (a proportion that may be 0 but not 1, such as dropout)."""
    number = _number(field, value, "a number from 0 up to (not including) 1")
    if not 0.0 <= number < 1.0:
        raise InvalidValueError(field, value, "a number from 0 up to (not including) 1")
    return number


def positive(field: str, value: object) -> float:
    """A finite number above 0."""
    number = _number(field, value, "a finite number above 0")
    if not (number > 0.0 and math.isfinite(number)):
        raise InvalidValueError(field, value, "a finite number above 0")
    return number


def non_negative(field: str, value: object) -> float:
    """A finite number of at least 0 (a duration that may be zero)."""
    number = _number(field, value, "a finite number of at least 0")
    if not (number >= 0.0 and math.isfinite(number)):
        raise InvalidValueError(field, value, "a finite number of at least 0")
    return number


def hazard_ratio(field: str, value: object, *, allow_one: bool = False) -> float:
    """A hazard ratio above 0; 1 is refused where it means "no effect to detect"."""
    number = _number(field, value, "a number above 0 and not 1")
    if not (number > 0.0 and math.isfinite(number)) or (number == 1.0 and not allow_one):
        allowed = "a number above 0" + ("" if allow_one else " and not 1 (no effect)")
        raise InvalidValueError(field, value, allowed)
    return number


def sided(field: str, value: object) -> int:
    """1 (one-sided) or 2 (two-sided)."""
    if isinstance(value, bool) or value not in (1, 2):
        raise InvalidValueError(field, value, "1 (one-sided) or 2 (two-sided)")
    return 1 if value == 1 else 2


def whole(field: str, value: object, minimum: int = 1) -> int:
    """A whole number of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValueError(field, value, f"a whole number of at least {minimum}")
    return value
