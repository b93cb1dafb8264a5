"""Formatting of ARD records: JAMA rounding, joined statistics, readable fallback labels."""

from __future__ import annotations

import pytest

from cairo6.analysis.ard import ArdRecord
from cairo6.report.format import (
    format_cell,
    format_ci,
    format_count,
    format_p,
    format_rr,
    humanise,
)


def stats(note: str = "", **values: object) -> dict[str, ArdRecord]:
    return {
        name: ArdRecord("t", "v", "", "experimental", name, value, note=note)  # type: ignore[arg-type]
        for name, value in values.items()
    }


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (stats(n=33, pct=89.189), "33 (89)"),
        (stats(n=1, pct=2.5), "1 (3)"),  # half up, not to even
        (stats(n=0, pct=None), "0"),  # no percentage of an empty group
        (stats(n=33, N=37, pct=89.189), "33/37 (89)"),
        (stats(N=34), "34"),
        (stats(mean=59.162, sd=10.558), "59 (11)"),
        (stats(mean=59.5, sd=None), "60"),
        (stats(median=5.0, min=0.0, max=34.0), "5 (0-34)"),
        (stats(median=8.0, p25=6.0, p75=16.5), "8 (6-17)"),
        (stats(n=9, pct=28.1, ci_low=13.75, ci_high=46.75), "9 (28) [95% CI, 14-47]"),
        (stats(mean=None), "NA"),
        (stats(note="date=2017-06-15", min=17332), "2017-06-15"),
        (stats(n=37, mean=317.2, sd=122.4), "317 (122)"),  # a continuous row's n is not shown
    ],
)
def test_cell(given: dict[str, ArdRecord], shown: str) -> None:
    assert format_cell(given) == shown


@pytest.mark.parametrize(
    ("p", "shown"),
    [(0.741, ".74"), (0.004, ".004"), (0.0004, "< .001"), (0.995, "> .99"), (0.05, ".05")],
)
def test_p_values_jama(p: float, shown: str) -> None:
    assert format_p(stats(p_value=p)) == shown


def test_missing_statistics_print_nothing_or_na() -> None:
    assert format_p({}) == ""
    assert format_p(stats(p_value=None)) == "NA"
    assert format_rr({}) == ""
    assert format_ci({}) == ""
    assert format_count({}) == ""


def test_risk_ratio_with_ci() -> None:
    assert format_rr(stats(rr=1.0405, rr_low=0.8807, rr_high=1.2294)) == "1.04 (0.88-1.23)"
    assert format_rr(stats(rr=0.5, rr_low=-0.1, rr_high=1.0)) == "0.50 (-0.10 to 1.00)"


@pytest.mark.parametrize(
    ("name", "variable", "shown"),
    [
        ("capox_b", "", "CAPOX-B"),
        ("anastomotic_leakage_grade_3", "", "Anastomotic leakage, grade 3"),
        (
            "anastomotic_leakage_grade_3_of_anastomosis",
            "",
            "Anastomotic leakage, grade 3 (of anastomosis)",
        ),
        ("capox_b_2", "neoadjuvant_stopped_after_cycles", "CAPOX-B, after 2 cycles"),
        ("folfox_1", "adjuvant_stopped_after_cycles", "FOLFOX, after 1 cycle"),
        ("grade_1_2", "", "Grade 1-2"),
        ("who_performance_status", "", "WHO performance status"),
    ],
)
def test_fallback_labels(name: str, variable: str, shown: str) -> None:
    assert humanise(name, variable) == shown
