"""Compiling a protocol's randomisation settings, and the Han et al. biased-coin table."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from cairo6.errors import RandomizationError
from cairo6.protocol import ImbalanceMeasure, Protocol, RandomizationMethod
from cairo6.randomization import design_from_protocol, han_probabilities
from cairo6.randomization.design import cumulative_rows
from tests.randomization.conftest import build


def test_cairo6_design(cairo6: Protocol) -> None:
    design = design_from_protocol(cairo6)
    assert design.method is RandomizationMethod.MINIMIZATION
    assert design.arms == ("experimental", "control")
    assert design.ratios == (1, 1)
    assert design.measure is ImbalanceMeasure.RANGE
    assert design.p == 0.8
    assert [f.id for f in design.minimisation_factors] == [
        "pci",
        "onset",
        "previous_systemic_therapy",
        "hipec_drug",
    ]
    assert design.probabilities == ((0.8, pytest.approx(0.2)), (pytest.approx(0.2), 0.8))
    assert not design.uses_centre


def test_three_arm_design_adds_centre(three_arm_211: Protocol) -> None:
    design = design_from_protocol(three_arm_211)
    assert design.ratios == (2, 1, 1)
    assert design.lcm == 2
    assert design.scale == (1, 2, 2)
    assert design.minimisation_factors[-1].id == "centre"
    assert design.minimisation_factors[-1].weight == 0.5
    assert design.uses_centre


@pytest.mark.parametrize("ratios", [(1, 1), (2, 1, 1), (1, 2, 3), (3, 1), (1, 1, 1, 1)])
@pytest.mark.parametrize("p", [0.5, 0.8, 0.95, 1.0])
def test_han_table_preserves_the_ratio_when_the_preference_follows_it(
    ratios: tuple[int, ...], p: float
) -> None:
    # Han, Enas & McEntegart, Stat Med 2009;28:3329-3346: if the preferred arm is arm i with
    # probability r_i / R, arm j is allocated with probability exactly r_j / R. Checked in exact
    # rational arithmetic on the same formula as the float table.
    total = sum(ratios)
    exact = Fraction(p).limit_denominator(1000)
    smallest = min(ratios)
    for j, r_j in enumerate(ratios):
        marginal = Fraction(0)
        for i, r_i in enumerate(ratios):
            high = 1 - Fraction(total - r_i, total - smallest) * (1 - exact)
            prob = high if i == j else Fraction(r_j, total - r_i) * (1 - high)
            marginal += Fraction(r_i, total) * prob
        assert marginal == Fraction(r_j, total)
    table = han_probabilities(ratios, p)
    for i, row in enumerate(table):
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
        assert row[i] == max(row)  # the preferred arm is the most likely one
        assert min(row) >= 0


def test_equal_ratios_give_pocock_simon_best_only() -> None:
    table = han_probabilities((1, 1, 1), 0.7)
    assert table[1] == (pytest.approx(0.15), 0.7, pytest.approx(0.15))


def test_cumulative_rows_end_at_one_and_skip_zero_arms() -> None:
    assert cumulative_rows([(0.0, 1.0, 0.0)]) == ((0.0, 1.0, 1.0),)
    assert cumulative_rows([(0.1, 0.7, 0.2)])[0][-1] == 1.0


def test_p_out_of_range_is_refused(cairo6: Protocol) -> None:
    with pytest.raises(RandomizationError, match=r"p: 1\.5 is not allowed.*0\.5 to 1"):
        design_from_protocol(cairo6, p=1.5)


def test_blocks_need_multiples_of_the_ratio_sum() -> None:
    def odd_blocks(raw: dict[str, Any]) -> None:
        raw["randomization"]["block_sizes"] = []

    protocol = build(odd_blocks)
    with pytest.raises(RandomizationError, match="block_sizes"):
        design_from_protocol(protocol, method=RandomizationMethod.PERMUTED_BLOCKS)


def test_minimisation_needs_a_factor() -> None:
    def no_factors(raw: dict[str, Any]) -> None:
        raw["randomization"]["method"] = "simple"
        raw["randomization"]["factors"] = []

    protocol = build(no_factors)
    assert design_from_protocol(protocol).method is RandomizationMethod.SIMPLE
    with pytest.raises(RandomizationError, match="at least one factor"):
        design_from_protocol(protocol, method=RandomizationMethod.MINIMIZATION)
