"""Simulated phase 3 trials of the CAIRO6 design: type I error, power, accrual, allocation.

Monte Carlo tolerances are 3 standard errors of the simulated proportion (seeded, so the runs
are reproducible; the tolerance says how far chance alone could move them).

The design alternative, honestly: with the ASSUMED accrual (about 6.8 years) and each patient
censored at 3 years (the primary endpoint is 3-year survival), 358 patients give about 148.7
expected deaths under HR 0.62 (and 175 under HR 1). Schoenfeld's formula needs 139 events for
80% power, so the log-rank test of this design has somewhat more than 80% power: 0.826 by
Schoenfeld's approximation at 148.7 events, 0.812 by Freedman's. Those two approximations
bracket the truth (Schoenfeld's is slightly optimistic this far from HR 1), so the simulated
power is checked to lie between them, give or take 3 Monte Carlo standard errors.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from cairo6.design import (
    Centre,
    TrialSpec,
    analytic_rejection,
    expected_events,
    freedman_power,
    planned_events,
    schoenfeld_power,
    simulate_trials,
    spec_from_protocol,
    with_planned_events,
)
from cairo6.design.accrual import draw_centres, draw_entries, expected_entries, schedule
from cairo6.design.simulate import observed_event_probability
from cairo6.errors import InvalidValueError
from cairo6.protocol import Protocol

TRIALS = 10_000


@pytest.fixture(scope="module")
def design(cairo6: Protocol) -> TrialSpec:
    return with_planned_events(spec_from_protocol(cairo6))


def _three_se(p: float, n: int) -> float:
    return 3 * math.sqrt(p * (1 - p) / n)


def test_protocol_design_numbers(design: TrialSpec) -> None:
    assert design.patients == 358
    assert design.hazard_ratio == pytest.approx(math.log(0.65) / math.log(0.5))
    assert expected_events(design) == pytest.approx(148.7, abs=0.1)
    assert expected_events(design, 1.0) == pytest.approx(175.0, abs=0.1)
    assert planned_events(design) == 149
    assert schoenfeld_power(148.7, design.hazard_ratio) == pytest.approx(0.826, abs=1e-3)
    assert freedman_power(148.7, design.hazard_ratio) == pytest.approx(0.812, abs=1e-3)


def test_type_one_error_near_alpha(design: TrialSpec) -> None:
    result = simulate_trials(replace(design, hazard_ratio=1.0), TRIALS, np.random.default_rng(11))
    assert result.rejection.value == pytest.approx(0.05, abs=_three_se(0.05, TRIALS))
    assert result.analytic_rejection == pytest.approx(0.05, abs=1e-9)
    assert sum(s.value for s in result.stopping) == pytest.approx(result.rejection.value)
    # Under H0 almost nobody stops early with O'Brien-Fleming spending.
    assert result.stopping[0].value < 0.01


@pytest.mark.parametrize("looks", [(1.0,), (0.5, 1.0)])
def test_power_between_freedman_and_schoenfeld(design: TrialSpec, looks: tuple[float, ...]) -> None:
    spec = replace(design, looks=looks)
    result = simulate_trials(spec, TRIALS, np.random.default_rng(12))
    _, schoenfeld = analytic_rejection(spec, "schoenfeld")
    _, freedman = analytic_rejection(spec, "freedman")
    tolerance = _three_se(result.rejection.value, TRIALS)
    assert result.rejection.se == pytest.approx(tolerance / 3)
    assert freedman - tolerance <= result.rejection.value <= schoenfeld + tolerance
    assert result.rejection_favouring_experimental.value == pytest.approx(result.rejection.value)
    if looks == (1.0,):
        # Everyone is followed for the full 3 years at the final analysis, so the expected
        # events are exact: the simulated mean must agree within Monte Carlo error.
        assert result.events.value == pytest.approx(
            result.expected_final_events, abs=3 * result.events.se
        )
    else:
        assert result.stopping[0].value > 0.1  # the interim stops a real share of trials
        assert result.duration_years.value < 9.5
        assert result.patients.value < 358


def test_reproducible_and_chunk_independent_of_progress(design: TrialSpec) -> None:
    calls: list[int] = []
    first = simulate_trials(
        design, 600, np.random.default_rng(3), chunk_size=250, progress=calls.append
    )
    again = simulate_trials(design, 600, np.random.default_rng(3), chunk_size=250)
    assert first == again
    assert calls == [250, 500, 600]


def test_minimisation_balances_arms(cairo6: Protocol) -> None:
    from cairo6.design.simulate import _Chunk

    spec = spec_from_protocol(cairo6)
    chunk = _Chunk(spec, 200, np.random.default_rng(4))
    imbalance = np.abs(2 * chunk.experimental.sum(axis=1) - spec.patients)
    # Minimisation with p = 0.8 keeps the arms within a few patients; simple randomisation of
    # 358 patients has an SD of about 19 for |n_E - n_C|.
    assert imbalance.max() <= 10
    simple = _Chunk(spec_from_protocol(cairo6, simple=True), 200, np.random.default_rng(4))
    assert np.abs(2 * simple.experimental.sum(axis=1) - spec.patients).max() > 20


def test_accrual_follows_the_centres() -> None:
    centres = (Centre(0.0, 2.0), Centre(365.25, 1.0))
    plan = schedule(centres)
    entries = draw_entries(plan, np.random.default_rng(5), 4000, 60)
    assert np.all(np.diff(entries, axis=1) >= 0)
    # 24 patients a year in year 1, 36 a year after: expected count by 1.5 years is 42.
    assert (entries <= 1.5).sum(axis=1).mean() == pytest.approx(42, abs=0.3)
    chosen = draw_centres(centres, entries, np.random.default_rng(6))
    assert not np.any((chosen == 1) & (entries < 1.0))  # a centre recruits only once open
    later = chosen[entries >= 1.0]
    assert (later == 1).mean() == pytest.approx(1 / 3, abs=0.01)
    assert expected_entries(schedule(TrialSpec().centres), 358)[-1] == pytest.approx(6.78, abs=0.01)


def test_weibull_scale_fits_the_three_year_rate() -> None:
    spec = TrialSpec(weibull_shape=1.7, dropout=0.0)
    for hr in (1.0, 0.62):
        scale = spec.weibull_scale(hr)
        survival = math.exp(-((3.0 / scale) ** 1.7))
        assert survival == pytest.approx(0.5**hr)
    # Without dropout, P(death observed within 3 years) = 1 - S(3).
    probability = observed_event_probability(spec, 1.0, np.array([3.0]))
    assert probability[0] == pytest.approx(0.5, abs=1e-6)
    exponential = TrialSpec(dropout=0.05)
    lam, eta = -math.log(0.5) / 3, -math.log(0.95) / 3
    closed = lam / (lam + eta) * (1 - math.exp(-(lam + eta) * 3))
    assert observed_event_probability(exponential, 1.0, np.array([3.0]))[0] == pytest.approx(
        closed, abs=1e-6
    )


def test_weibull_trials_run(design: TrialSpec) -> None:
    result = simulate_trials(replace(design, weibull_shape=0.7), 500, np.random.default_rng(9))
    assert 0.5 < result.rejection.value < 1.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hazard_ratio": 0.0}, "hazard_ratio"),
        ({"hazard_ratio": -1.0}, "hazard_ratio"),
        ({"looks": (0.5, 0.9)}, "looks"),
        ({"looks": (0.6, 0.4, 1.0)}, "looks"),
        ({"dropout": 1.0}, "dropout"),
        ({"patients": 1}, "patients"),
        ({"centres": (Centre(0.0, 0.0),)}, "centres"),
        ({"alpha": 1.2}, "alpha"),
        ({"weibull_shape": 0.0}, "weibull_shape"),
    ],
)
def test_bad_spec(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        replace(TrialSpec(), **changes)
    assert caught.value.field == field


def test_bad_centre_and_trials() -> None:
    with pytest.raises(InvalidValueError) as caught:
        Centre(-1.0, 0.5)
    assert caught.value.field == "centre start_day"
    with pytest.raises(InvalidValueError) as caught:
        simulate_trials(TrialSpec(), 1, np.random.default_rng(1))
    assert caught.value.field == "trials"
