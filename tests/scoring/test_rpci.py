"""Radiologic PCI response (CAIRO6 phase 2 definitions; progression threshold ASSUMED)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.pci import Region, pci_total
from cairo6.scoring.rpci import (
    RpciCategory,
    newly_involved_regions,
    rpci_percent_change,
    rpci_response,
)

from ._support import PROPERTY, assert_rejects

C = RpciCategory


@pytest.mark.parametrize(
    ("baseline", "after", "category", "pct"),
    [
        (10, 7, C.PARTIAL_RESPONSE, -30.0),  # exactly 30% decrease counts
        (10, 8, C.STABLE_DISEASE, -20.0),
        (10, 0, C.COMPLETE_RESPONSE, -100.0),
        (10, 12, C.PROGRESSIVE_DISEASE, 20.0),  # exactly 20% increase (ASSUMED rule)
        (10, 11, C.STABLE_DISEASE, 10.0),
        (10, 10, C.STABLE_DISEASE, 0.0),
        (3, 2, C.PARTIAL_RESPONSE, -100 / 3),
        (0, 0, C.NOT_EVALUABLE, None),
        (0, 4, C.NOT_EVALUABLE, None),
    ],
)
def test_categories(baseline: int, after: int, category: RpciCategory, pct: float | None) -> None:
    result = rpci_response(baseline, after)
    assert result.category is category
    if pct is None:
        assert result.percent_change is None
    else:
        assert result.percent_change == pytest.approx(pct)
    assert rpci_percent_change(baseline, after) == result.percent_change


def test_new_region_is_progression_even_when_total_falls() -> None:
    assert rpci_response(10, 5, new_region_involved=True).category is C.PROGRESSIVE_DISEASE
    assert_rejects(
        lambda: rpci_response(10, 0, new_region_involved=True), "new_region_involved", True
    )


def test_thresholds_are_parameters() -> None:
    assert rpci_response(10, 8, response_decrease_pct=20).category is C.PARTIAL_RESPONSE
    assert rpci_response(10, 12, progression_increase_pct=25).category is C.STABLE_DISEASE
    assert_rejects(
        lambda: rpci_response(10, 8, response_decrease_pct=0), "response_decrease_pct", 0
    )
    assert_rejects(
        lambda: rpci_response(10, 8, response_decrease_pct=101), "response_decrease_pct", 101
    )
    assert_rejects(
        lambda: rpci_response(10, 8, progression_increase_pct=-1), "progression_increase_pct", -1
    )


def _pci(**scores: int) -> dict[str, int]:
    full = {region.id: 0 for region in Region}
    full.update(scores)
    return full


def test_pci_results_detect_newly_involved_regions() -> None:
    before = pci_total(_pci(pelvis=3, central=3, right_lower=3))
    after = pci_total(_pci(pelvis=1, upper_ileum=1))
    assert newly_involved_regions(before, after) == (Region.UPPER_ILEUM,)
    result = rpci_response(before, after)
    assert result.category is C.PROGRESSIVE_DISEASE
    assert result.new_regions == (Region.UPPER_ILEUM,)
    assert not result.is_objective_response
    shrunk = rpci_response(before, pci_total(_pci(pelvis=1)))
    assert shrunk.category is C.PARTIAL_RESPONSE
    assert shrunk.is_objective_response


def test_partial_pci_cannot_be_compared() -> None:
    partial = pci_total({"pelvis": 2}, allow_partial=True)
    assert_rejects(lambda: rpci_response(partial, 1), "baseline PCI", {"pelvis": 2})


@pytest.mark.parametrize("value", [-1, 40, 2.5, "10", None, True])
def test_totals_out_of_range(value: object) -> None:
    assert_rejects(lambda: rpci_response(value, 5), "baseline PCI", value)  # type: ignore[arg-type]
    assert_rejects(lambda: rpci_response(5, value), "post-treatment PCI", value)  # type: ignore[arg-type]


@PROPERTY
@given(st.integers(0, 39), st.integers(0, 39), st.booleans())
def test_category_consistent_with_change(baseline: int, after: int, new_region: bool) -> None:
    if after == 0 and new_region:
        return
    result = rpci_response(baseline, after, new_region_involved=new_region)
    if baseline == 0:
        assert result.category is C.NOT_EVALUABLE
        return
    if result.category is C.PARTIAL_RESPONSE:
        assert after * 10 <= baseline * 7
        assert after > 0
    if result.category is C.COMPLETE_RESPONSE:
        assert after == 0
    if result.category is C.PROGRESSIVE_DISEASE:
        assert new_region or after * 10 >= baseline * 12
    if result.category is C.STABLE_DISEASE:
        assert baseline * 7 < after * 10 < baseline * 12
