"""The stopping rules' verdicts at and around their thresholds (the rules as worded: fewer than
50%, more than 20 points higher, fewer than 80 within 365 days of the last centre's start)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cairo6.analysis.stopping import evaluate_stopping
from cairo6.protocol import Protocol

START = dt.date(2018, 3, 12)


def _verdicts(
    cairo6: Protocol,
    complete: tuple[int, int] = (30, 40),
    morbidity: tuple[tuple[int, int], tuple[int, int]] = ((10, 40), (10, 40)),
    enrolled: list[dt.date] | None = None,
) -> dict[str, bool]:
    rates = {
        "macroscopic_complete": {"experimental": complete},
        "major_morbidity": {"experimental": morbidity[0], "control": morbidity[1]},
    }
    dates = enrolled if enrolled is not None else [START] * 80
    verdicts = evaluate_stopping(
        cairo6, rates, pd.Series(dates), pd.Series([dt.date(2017, 6, 1), START])
    )
    return {v.rule_id: v.met for v in verdicts}


@pytest.mark.parametrize(
    ("complete", "met"),
    [((20, 40), False), ((19, 40), True), ((1, 2), False), ((0, 2), True), ((40, 40), False)],
)
def test_complete_crs_hipec_below_half(
    cairo6: Protocol, complete: tuple[int, int], met: bool
) -> None:
    assert _verdicts(cairo6, complete=complete)["complete_crs_hipec"] is met


@pytest.mark.parametrize(
    ("experimental", "control", "met"),
    [
        ((3, 5), (2, 5), False),  # exactly 20 points higher
        ((61, 100), (40, 100), True),  # 21 points
        ((30, 100), (10, 100), False),  # 20 points, not "more than"
        ((14, 42), (8, 37), False),  # the paper's arms swapped: +11.7 points
        ((0, 10), (5, 10), False),
    ],
)
def test_major_morbidity_excess_above_20_points(
    cairo6: Protocol, experimental: tuple[int, int], control: tuple[int, int], met: bool
) -> None:
    verdict = _verdicts(cairo6, morbidity=(experimental, control))
    assert verdict["major_morbidity_excess"] is met


@pytest.mark.parametrize(
    ("last_offset", "count", "met"),
    [(365, 80, False), (366, 80, True), (0, 79, True), (365, 81, False)],
)
def test_accrual_within_a_year_of_the_last_centre(
    cairo6: Protocol, last_offset: int, count: int, met: bool
) -> None:
    dates = [START] * (count - 1) + [START + dt.timedelta(days=last_offset)]
    assert _verdicts(cairo6, enrolled=dates)["accrual"] is met


def test_missing_counts_are_not_evaluable_rather_than_a_crash(cairo6: Protocol) -> None:
    verdicts = evaluate_stopping(cairo6, {}, pd.Series([], dtype=object), pd.Series([]))
    assert [v.met for v in verdicts] == [False, False, False]
    assert all(v.observed.startswith("not evaluable") for v in verdicts)
