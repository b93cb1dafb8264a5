"""Survival: Kaplan-Meier, log-rank and Cox against known values; the follow-up derivation."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from lifelines import KaplanMeierFitter  # type: ignore[import-untyped]
from lifelines.datasets import load_waltons  # type: ignore[import-untyped]

from cairo6.analysis.engine import analyse
from cairo6.analysis.survival import (
    ENDPOINTS,
    MONTH_DAYS,
    cox_hazard_ratio,
    endpoint_times,
    kaplan_meier,
    logrank,
    participant_outcomes,
)
from cairo6.protocol import default_protocol
from tests.analysis._cohort import frames as small_frames


def test_kaplan_meier_by_hand() -> None:
    # Hand computation (product-limit, Kaplan & Meier 1958; Greenwood variance; log(-log) CI
    # as in Kalbfleisch & Prentice 2002, 4.3): times 1, 2+, 3, 4, 5+ (+ = censored).
    # t=1: 5 at risk, 1 death -> S = 4/5 = 0.8; t=3: 3 at risk -> S = 0.8 * 2/3 = 0.5333;
    # t=4: 2 at risk -> S = 0.5333 * 1/2 = 0.2667. Median: first S <= 0.5 -> 4.
    km = kaplan_meier([1, 2, 3, 4, 5], [True, False, True, True, False])
    assert km.at(1).value == pytest.approx(0.8)
    assert km.at(2.5).value == pytest.approx(0.8)
    assert km.at(3).value == pytest.approx(8 / 15)
    assert km.at(4.5).value == pytest.approx(4 / 15)
    assert km.at(6).value is None  # beyond the last observed time
    assert km.median.value == pytest.approx(4.0)
    assert (km.n, km.events) == (5, 3)
    # Greenwood at t=3: sum d / (n (n - d)) = 1/(5*4) + 1/(3*2) = 0.21667.
    s = 8 / 15
    se = math.sqrt(1 / 20 + 1 / 6) / abs(math.log(s))
    low, high = s ** math.exp(1.959964 * se), s ** math.exp(-1.959964 * se)
    assert km.at(3).low == pytest.approx(low, abs=1e-4)
    assert km.at(3).high == pytest.approx(high, abs=1e-4)


def test_waltons_matches_lifelines() -> None:
    data = load_waltons()
    treated = (data["group"] == "miR-137").tolist()
    chi2, p = logrank(data["T"].tolist(), data["E"].astype(bool).tolist(), treated)
    # lifelines' documentation (Survival analysis, "logrank_test"): test_statistic 122.25.
    assert chi2 == pytest.approx(122.25, abs=0.01)
    assert p < 1e-20
    control = data[data["group"] == "control"]
    km = kaplan_meier(control["T"].tolist(), control["E"].astype(bool).tolist())
    reference = KaplanMeierFitter().fit(control["T"], control["E"])
    assert km.median.value == pytest.approx(reference.median_survival_time_)
    for t in (10.0, 30.0, 50.0):
        assert km.at(t).value == pytest.approx(float(reference.predict(t)))
    hr = cox_hazard_ratio(data["T"].tolist(), data["E"].astype(bool).tolist(), treated)
    assert hr.value is not None
    assert hr.low is not None
    assert hr.high is not None
    assert hr.low < hr.value < hr.high
    assert hr.value > 1  # miR-137 flies die sooner


def test_follow_up_rows_to_times() -> None:
    rows = pd.DataFrame(
        {
            "study_number": ["A", "A", "A", "B", "B", "C"],
            "visit_date": [
                "2020-04-01",
                "2020-07-01",
                "2020-09-01",
                "2020-04-01",
                "2020-07-01",
                "2020-04-01",
            ],
            "vital_status": ["alive", "alive", "dead", "alive", "lost", "alive"],
            "death_date": [None, None, "2020-09-01", None, None, None],
            "recurrence": [False, True, False, False, False, False],
            "recurrence_date": [None, "2020-06-15", None, None, None, None],
        }
    )
    outcomes = participant_outcomes(rows)
    start = pd.Series(pd.to_datetime(["2020-01-01"] * 3), index=["A", "B", "C"])
    overall = endpoint_times(ENDPOINTS[0], start, outcomes)
    progression = endpoint_times(ENDPOINTS[1], start, outcomes)
    assert overall["event"].tolist() == [True, False, False]
    assert progression["event"].tolist() == [True, False, False]
    # A: death 2020-09-01 (244 days), progression 2020-06-15 (166); B censored at its last
    # visit known alive (2020-04-01, 91 days), not at the "lost" row.
    assert overall["time"].tolist() == pytest.approx(
        [244 / MONTH_DAYS, 91 / MONTH_DAYS, 91 / MONTH_DAYS]
    )
    assert progression["time"].iloc[0] == pytest.approx(166 / MONTH_DAYS)


def test_no_follow_up_no_survival_table() -> None:
    result = analyse(default_protocol(), small_frames())
    assert not [r for r in result.ard if r.table == "survival"]
    assert result.survival == []
