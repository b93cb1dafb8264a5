"""Lan-DeMets boundaries against published gsDesign and rpact values, and monitoring.

Sources: Merck/gsDesign2 reference page of gs_design_npe / gs_power_npe (sfLDOF, total_spend
0.025, information (1:3) * 40: upper z 3.71030287, 2.51143381, 1.99305108) and the unit tests of
rpact (rpact-com/rpact tests/testthat/test-f_design_group_sequential.R). The Pocock-type values
2.341, 2.334, 2.312 sometimes quoted for rpact asP with three equal looks could not be
confirmed (alpha 0.025 * ln(1 + (e - 1)/3) = 0.01132 spent at look 1 gives z = 2.279), so the
asP checks use rpact's own unit-test designs instead.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from cairo6.design import (
    GroupSequentialDesign,
    Spending,
    compute_boundaries,
    crossing_probabilities,
    monitor,
    spent,
)
from cairo6.errors import InvalidValueError

OF = Spending.OBRIEN_FLEMING
POCOCK = Spending.POCOCK
THIRDS = (1 / 3, 2 / 3, 1.0)


def test_obrien_fleming_three_equal_looks_gsdesign() -> None:
    bounds = compute_boundaries(GroupSequentialDesign(0.025, 1, OF, THIRDS))
    assert bounds.z == pytest.approx((3.71030287, 2.51143381, 1.99305108), abs=5e-4)
    # rpact getDesignGroupSequential(kMax = 3, alpha = 0.025, sided = 1, typeOfDesign = "asOF")
    # prints the same 3.710, 2.511, 1.993 to three decimals.
    assert [round(z, 3) for z in bounds.z] == [3.710, 2.511, 1.993]
    assert bounds.cumulative_alpha[-1] == pytest.approx(0.025, abs=1e-9)


def test_two_sided_is_symmetric_one_sided_at_half_alpha() -> None:
    two = compute_boundaries(GroupSequentialDesign(0.05, 2, OF, THIRDS))
    one = compute_boundaries(GroupSequentialDesign(0.025, 1, OF, THIRDS))
    assert two.z == pytest.approx(one.z, abs=1e-9)
    assert two.cumulative_alpha[-1] == pytest.approx(0.05, abs=1e-9)
    assert two.nominal_p[0] == pytest.approx(2 * norm.sf(two.z[0]))


def test_rpact_asof_unequal_fractions() -> None:
    # x7a: getDesignGroupSequential(kMax = 3, alpha = 0.13, typeOfDesign = "asOF",
    # informationRates = c(0.4, 0.75, 1), non-binding futility): criticalValues below.
    three = compute_boundaries(GroupSequentialDesign(0.13, 1, OF, (0.4, 0.75, 1.0)))
    assert three.z == pytest.approx((2.1280732, 1.4368565, 1.2468994), abs=1e-5)
    # kMax = 4, informationRates = c(0.4, 0.75, 0.85, 1).
    four = compute_boundaries(GroupSequentialDesign(0.13, 1, OF, (0.4, 0.75, 0.85, 1.0)))
    assert four.z == pytest.approx((2.1280732, 1.4368565, 1.422873, 1.2970881), abs=1e-5)
    assert four.cumulative_alpha == pytest.approx(
        (0.016665509, 0.080406163, 0.10053322, 0.13), abs=1e-7
    )


def test_rpact_asp() -> None:
    # x6a: getDesignGroupSequential(kMax = 3, alpha = 0.13, typeOfDesign = "asP",
    # informationRates = c(0.35, 0.7, 1), non-binding futility).
    bounds = compute_boundaries(GroupSequentialDesign(0.13, 1, POCOCK, (0.35, 0.7, 1.0)))
    assert bounds.z == pytest.approx((1.5446617, 1.4828682, 1.4620058), abs=1e-5)
    assert bounds.cumulative_alpha == pytest.approx((0.061214062, 0.10266465, 0.13), abs=1e-7)
    # x6b: getDesignGroupSequential(informationRates = c(0.4, 0.7), typeOfDesign = "asP"):
    # information stops at 0.7, so the last look spends only a(0.7), not all of alpha.
    short = compute_boundaries(GroupSequentialDesign(0.025, 1, POCOCK, (0.4, 0.7)), final=False)
    assert short.z == pytest.approx((2.223875, 2.3050796), abs=1e-5)
    assert short.cumulative_alpha == pytest.approx((0.013078429, 0.0197432), abs=1e-7)


def test_pocock_equal_looks_by_multivariate_normal() -> None:
    bounds = compute_boundaries(GroupSequentialDesign(0.025, 1, POCOCK, THIRDS))
    assert bounds.z[0] == pytest.approx(norm.isf(0.025 * np.log(1 + (np.e - 1) / 3)), abs=1e-9)
    assert [round(z, 3) for z in bounds.z] == [2.279, 2.295, 2.296]
    # Independent check with scipy's multivariate normal and the canonical correlation.
    t = np.array(THIRDS)
    corr = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mvn = multivariate_normal(np.zeros(3), corr, seed=1, abseps=1e-7, releps=1e-7)
    no_crossing = mvn.cdf(np.array(bounds.z))
    assert 1 - no_crossing == pytest.approx(0.025, abs=2e-5)


def test_crossing_probabilities_match_scipy_with_drift() -> None:
    info = (0.3, 0.55, 1.0)
    z = (3.0, 2.4, 2.0)
    drift = 2.5
    upper, _ = crossing_probabilities(z, info, sided=1, drift=drift)
    t = np.array(info)
    corr = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mvn = multivariate_normal(drift * np.sqrt(t), corr, seed=2, abseps=1e-7, releps=1e-7)
    total = 1 - mvn.cdf(np.array(z))
    assert sum(upper) == pytest.approx(total, abs=5e-5)
    # A single look with drift z_a + z_b has power 1 - beta.
    single, _ = crossing_probabilities((norm.isf(0.025),), (1.0,), sided=1, drift=2.80158)
    assert single[0] == pytest.approx(0.80, abs=1e-4)


def test_spending_functions() -> None:
    assert spent(OF, 0.025, 1.0) == pytest.approx(0.025)
    assert spent(POCOCK, 0.025, 1.0) == pytest.approx(0.025)
    assert spent(OF, 0.025, 0.0) == 0.0
    assert spent(OF, 0.025, 0.5) < spent(POCOCK, 0.025, 0.5)
    # Beyond full information the spending stays at alpha.
    assert spent(POCOCK, 0.025, 1.4) == pytest.approx(0.025)


def test_boundaries_at_reached_fractions_differ_from_plan() -> None:
    design = GroupSequentialDesign(0.05, 2, OF, (0.5, 1.0))
    planned = compute_boundaries(design)
    reached = compute_boundaries(design, (0.56, 1.0))
    assert reached.z[0] < planned.z[0]  # later look: more alpha spent, lower boundary
    assert reached.cumulative_alpha[-1] == pytest.approx(0.05, abs=1e-9)


def test_monitor_decisions() -> None:
    design = GroupSequentialDesign(0.05, 2, OF, (0.5, 1.0))
    interim = monitor(2.5, 0.5, design)
    assert not interim.crossed
    assert interim.boundary == pytest.approx(2.9626, abs=1e-3)
    assert "not crossed" in interim.decision
    early = monitor(-3.1, 0.5, design)  # two-sided: harm crosses too
    assert early.crossed
    final = monitor([1.2, 2.0], [0.5, 1.0], design)
    assert final.final
    assert final.boundary == pytest.approx(1.9686, abs=1e-3)
    assert final.crossed
    assert final.cumulative_alpha == pytest.approx(0.05, abs=1e-9)
    one_sided = GroupSequentialDesign(0.025, 1, OF, (0.5, 1.0))
    assert not monitor(-5.0, 0.5, one_sided).crossed


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: GroupSequentialDesign(1.5, 2, OF, (1.0,)), "alpha"),
        (lambda: GroupSequentialDesign(0.05, 3, OF, (1.0,)), "sided"),
        (lambda: GroupSequentialDesign(0.05, 2, OF, (0.6, 0.4)), "information_fraction"),
        (lambda: GroupSequentialDesign(0.05, 2, OF, (0.0, 1.0)), "information_fraction"),
        (lambda: GroupSequentialDesign(0.05, 2, OF, ()), "information_fraction"),
        (lambda: monitor([1.0, 2.0], [1.0], GroupSequentialDesign()), "observed_z"),
        (lambda: monitor(float("nan"), 1.0, GroupSequentialDesign()), "observed_z"),
    ],
)
def test_bad_design_input(make: object, field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        make()  # type: ignore[operator]
    assert caught.value.field == field
