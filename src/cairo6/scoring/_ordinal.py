"""A base for ordinal Enums: members are totally ordered by their integer value."""

from __future__ import annotations

from enum import Enum
from typing import Self


class OrdinalEnum(Enum):
    """Members compare by `value` (an int rank) and only with members of the same Enum.

    Comparing a grade with a bare number is refused (TypeError) on purpose: `grade >= 3` would
    mean different things for Clavien-Dindo (rank 3 is IIIa) and for the numeric class.
    """

    _value_: int

    @property
    def rank(self) -> int:
        """Position in the order (the member's integer value)."""
        return self._value_

    def __lt__(self, other: Self) -> bool:
        if not isinstance(other, type(self)):  # callers that bypass the type checker
            return NotImplemented
        return self._value_ < other._value_

    def __le__(self, other: Self) -> bool:
        if not isinstance(other, type(self)):  # callers that bypass the type checker
            return NotImplemented
        return self._value_ <= other._value_

    def __gt__(self, other: Self) -> bool:
        if not isinstance(other, type(self)):  # callers that bypass the type checker
            return NotImplemented
        return self._value_ > other._value_

    def __ge__(self, other: Self) -> bool:
        if not isinstance(other, type(self)):  # callers that bypass the type checker
            return NotImplemented
        return self._value_ >= other._value_
