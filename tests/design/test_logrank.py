"""The vectorised log-rank test equals lifelines' on the same data, row by row."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.statistics import logrank_test

from cairo6.design import (
    TrialSpec,
    final_analysis_data,
    logrank_many,
    logrank_z_many,
)
from cairo6.errors import InvalidValueError


def _lifelines(times: np.ndarray, events: np.ndarray, groups: np.ndarray) -> float:
    one = groups == 1
    result = logrank_test(times[one], times[~one], events[one], events[~one])
    return float(result.test_statistic)


@pytest.mark.parametrize(
    ("seed", "patients", "rounding"),
    [(1, 40, 0), (2, 120, 1), (3, 358, 2), (4, 25, None), (5, 200, 0)],
)
def test_equals_lifelines_with_ties_and_censoring(
    seed: int, patients: int, rounding: int | None
) -> None:
    rng = np.random.default_rng(seed)
    trials = 6
    times = rng.exponential(2.0, (trials, patients)) * np.where(
        rng.random((trials, patients)) < 0.5, 1.0, 1.6
    )
    if rounding is not None:
        times = np.round(times, rounding)  # many ties, including events tied with censorings
    events = (rng.random((trials, patients)) < 0.7).astype(int)
    groups = (rng.random((trials, patients)) < 0.5).astype(int)
    ours = logrank_many(times, events, groups)
    theirs = [_lifelines(times[i], events[i], groups[i]) for i in range(trials)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_equals_lifelines_on_simulated_trials() -> None:
    # The data the simulation analyses: staggered entry, 3-year cap, dropout.
    times, events, experimental = final_analysis_data(TrialSpec(), 5, np.random.default_rng(3))
    groups = experimental.astype(int)
    theirs = [_lifelines(times[i], events[i], groups[i]) for i in range(5)]
    np.testing.assert_allclose(logrank_many(times, events, groups), theirs, rtol=1e-9)
    assert events.mean() == pytest.approx(0.42, abs=0.05)


def test_one_dimensional_input_and_sign() -> None:
    rng = np.random.default_rng(7)
    groups = np.repeat([0, 1], 150)
    times = rng.exponential(np.where(groups == 1, 2.0, 1.0))  # group 1 lives longer
    events = np.ones(300, dtype=int)
    z = logrank_z_many(times, events, groups)
    assert z.shape == (1,)
    assert z[0] > 3
    assert logrank_many(times, events, groups)[0] == pytest.approx(z[0] ** 2)
    assert logrank_many(times, events, groups)[0] == pytest.approx(
        _lifelines(times, events, groups)
    )


def test_patients_not_yet_enrolled_change_nothing() -> None:
    rng = np.random.default_rng(8)
    times = rng.exponential(1.0, (3, 50))
    events = (rng.random((3, 50)) < 0.6).astype(int)
    groups = (rng.random((3, 50)) < 0.5).astype(int)
    padded_times = np.concatenate([times, np.zeros((3, 20))], axis=1)
    padded_events = np.concatenate([events, np.zeros((3, 20), dtype=int)], axis=1)
    padded_groups = np.concatenate([groups, rng.integers(0, 2, (3, 20))], axis=1)
    np.testing.assert_allclose(
        logrank_many(padded_times, padded_events, padded_groups),
        logrank_many(times, events, groups),
        rtol=1e-12,
    )


def test_no_events_gives_zero() -> None:
    assert logrank_many(
        np.ones((2, 4)), np.zeros((2, 4)), np.array([[0, 1, 0, 1]] * 2)
    ).tolist() == [
        0.0,
        0.0,
    ]


@pytest.mark.parametrize(
    ("times", "events", "groups", "field"),
    [
        (np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 3)), "times, events, groups"),
        (-np.ones((1, 3)), np.ones((1, 3)), np.ones((1, 3)), "times"),
        (np.ones((1, 3)), np.full((1, 3), 2), np.ones((1, 3)), "events"),
        (np.ones((1, 3)), np.ones((1, 3)), np.full((1, 3), 3), "groups"),
    ],
)
def test_bad_input(times: np.ndarray, events: np.ndarray, groups: np.ndarray, field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        logrank_many(times, events, groups)
    assert caught.value.field == field
