"""Shared assertions for the scoring tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import settings

from cairo6.errors import ScoringError

# No example database: the tests must not write files outside tests/scoring.
PROPERTY = settings(database=None, deadline=None)


def assert_rejects(call: Callable[[], object], field: str, value: object) -> ScoringError:
    """`call()` raises ScoringError for `field` and `value`, and its message names both."""
    with pytest.raises(ScoringError) as info:
        call()
    error = info.value
    assert error.field == field
    assert error.value == value or (value != value and error.value != error.value)  # NaN
    message = str(error)
    assert message.startswith(f"{field}: ")
    assert repr(value)[:60] in message
    assert "allowed:" in message
    assert "What to do:" in message
    return error
