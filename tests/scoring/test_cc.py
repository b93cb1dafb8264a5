"""Completeness of cytoreduction and the CAIRO6 "macroscopic complete" rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.cc import (
    CCScore,
    RClass,
    cc_from_residual,
    is_macroscopic_complete,
    parse_cc,
    parse_r_class,
)

from ._support import PROPERTY, assert_rejects


@pytest.mark.parametrize(
    ("residual_mm", "expected"),
    [
        (None, CCScore.CC0),
        (0, CCScore.CC0),
        (0.5, CCScore.CC1),
        (2.49, CCScore.CC1),
        (2.5, CCScore.CC2),  # CC-1 is "< 2.5 mm"
        (10, CCScore.CC2),
        (25, CCScore.CC2),  # CC-2 runs to 2.5 cm inclusive
        (25.1, CCScore.CC3),
        (80, CCScore.CC3),
    ],
)
def test_cc_from_residual(residual_mm: float | None, expected: CCScore) -> None:
    assert cc_from_residual(residual_mm) is expected


@pytest.mark.parametrize("residual", [-1, -0.01, math.nan, math.inf, "3", False])
def test_cc_from_residual_rejects(residual: object) -> None:
    assert_rejects(lambda: cc_from_residual(residual), "largest residual nodule", residual)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CC-0", CCScore.CC0),
        ("CC0", CCScore.CC0),
        ("cc 1", CCScore.CC1),
        (" cc-2 ", CCScore.CC2),
        ("3", CCScore.CC3),
        (0, CCScore.CC0),
        (3, CCScore.CC3),
        (CCScore.CC1, CCScore.CC1),
    ],
)
def test_parse_cc(text: str | int | CCScore, expected: CCScore) -> None:
    assert parse_cc(text) is expected


@pytest.mark.parametrize("value", ["CC-4", "CC", "R0", 4, -1, True, 1.0, None, "CC-0a"])
def test_parse_cc_rejects(value: object) -> None:
    assert_rejects(lambda: parse_cc(value), "CC score", value)  # type: ignore[arg-type]


def test_cc_order_and_label() -> None:
    assert CCScore.CC0 < CCScore.CC1 < CCScore.CC2 < CCScore.CC3
    assert CCScore.CC2.label == "CC-2"
    with pytest.raises(TypeError):
        _ = CCScore.CC1 < 2  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "expected"), [("R0", RClass.R0), ("r1", RClass.R1), ("R 2", RClass.R2)]
)
def test_parse_r_class(text: str, expected: RClass) -> None:
    assert parse_r_class(text) is expected


@pytest.mark.parametrize("value", ["RX", "R3", "", 0])
def test_parse_r_class_rejects(value: object) -> None:
    assert_rejects(lambda: parse_r_class(value), "R classification", value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"cc": "CC-0"}, True),
        ({"cc": CCScore.CC1}, False),
        ({"cc": 3}, False),
        ({"r_class": "R0"}, True),
        ({"r_class": "R1"}, True),  # R1 counts where the centre uses R classification
        ({"r_class": "R2"}, False),  # R2 = macroscopic residual = incomplete
        ({"cc": "CC-0", "r_class": "R1"}, True),
        ({"cc": "CC-2", "r_class": "R2"}, False),
        ({"open_close": True}, False),
        ({"cc": "CC-3", "open_close": True}, False),
        ({"r_class": "R2", "open_close": True}, False),
    ],
)
def test_is_macroscopic_complete(kwargs: dict[str, object], expected: bool) -> None:
    assert is_macroscopic_complete(**kwargs) is expected  # type: ignore[arg-type]


def test_nothing_recorded_is_refused() -> None:
    assert_rejects(lambda: is_macroscopic_complete(), "cc / r_class", None)


@pytest.mark.parametrize(
    ("cc", "r_class", "shown"),
    [("CC-0", "R2", ("CC-0", "R2")), ("CC-1", "R1", ("CC-1", "R1")), (2, "R0", ("CC-2", "R0"))],
)
def test_disagreeing_cc_and_r_are_refused(cc: str | int, r_class: str, shown: object) -> None:
    assert_rejects(lambda: is_macroscopic_complete(cc, r_class), "cc / r_class", shown)


def test_open_close_with_a_complete_record_is_refused() -> None:
    assert_rejects(lambda: is_macroscopic_complete("CC-0", open_close=True), "open_close", True)
    assert_rejects(
        lambda: is_macroscopic_complete(r_class="R0", open_close=True), "open_close", True
    )
    assert_rejects(lambda: is_macroscopic_complete("CC-0", open_close=1), "open_close", 1)  # type: ignore[arg-type]


@PROPERTY
@given(st.floats(min_value=0, max_value=500, allow_nan=False))
def test_cc_bands_are_monotone_and_only_zero_is_complete(residual: float) -> None:
    score = cc_from_residual(residual)
    assert score <= cc_from_residual(residual + 1)
    assert is_macroscopic_complete(score) is (residual == 0)
