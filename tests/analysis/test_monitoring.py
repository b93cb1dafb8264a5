"""The monitoring committee's interim look: observed log-rank z against the boundary."""

from __future__ import annotations

import pytest
from scipy.stats import norm

from cairo6.analysis.ard import Ard, ArdRecord
from cairo6.analysis.monitoring import interim_look
from cairo6.protocol import Protocol


def _ard(p_value: float, hazard: float, events: int) -> Ard:
    ard = Ard()
    for level, group, stat, value in [
        ("logrank", "comparison", "p_value", p_value),
        ("hazard_ratio", "comparison", "rr", hazard),
        ("", "total", "n", events),
    ]:
        ard.append(ArdRecord("survival", "overall_survival", level, group, stat, value))
    return ard


def test_no_survival_records_no_look(cairo6: Protocol) -> None:
    assert interim_look(cairo6, Ard()) is None


def test_half_information_obrien_fleming(cairo6: Protocol) -> None:
    # CAIRO6 plans 139 events (Schoenfeld for HR ln .65/ln .5 = 0.62, alpha .05, power .80).
    # At 70 events (t = 0.504) the two-sided O'Brien-Fleming-like Lan-DeMets boundary is about
    # 2.96 (gsDesign::gsDesign(k=2, test.type=2, sfu=sfLDOF, timing=c(.5,1)) gives 2.963 at
    # t = 0.5); a z of 3.2 crosses it, 2.5 does not.
    crossing = interim_look(cairo6, _ard(2 * norm.sf(3.2), 0.6, 70))
    assert crossing is not None
    assert crossing.met
    assert "70 of 139 planned events" in crossing.observed
    assert "|z| >= 2.9" in crossing.threshold
    below = interim_look(cairo6, _ard(2 * norm.sf(2.5), 0.7, 70))
    assert below is not None
    assert not below.met


def test_sign_follows_the_hazard_ratio(cairo6: Protocol) -> None:
    worse = interim_look(cairo6, _ard(0.01, 1.4, 60))
    assert worse is not None
    assert worse.observed.startswith("z = -2.58")


@pytest.mark.parametrize("events", [0, -3])
def test_no_events_no_look(cairo6: Protocol, events: int) -> None:
    assert interim_look(cairo6, _ard(0.5, 1.0, events)) is None
