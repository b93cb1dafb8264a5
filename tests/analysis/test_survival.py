"""Survival: Kaplan-Meier, log-rank and Cox against known values; the follow-up derivation."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from lifelines import KaplanMeierFitter  # type: ignore[import-untyped]
from lifelines.datasets import load_waltons  # type: ignore[import-untyped]

from cairo6.analysis.ard import ArdRecord
from cairo6.analysis.cox import cox_fit, logrank
from cairo6.analysis.engine import analyse
from cairo6.analysis.kaplan_meier import kaplan_meier
from cairo6.analysis.survival import (
    MONTH_DAYS,
    SurvivalComparison,
    compare_survival,
    landmark_level,
    survival_records,
)
from cairo6.analysis.time_to_event import endpoint_times
from cairo6.protocol import default_protocol
from cairo6.study.loader import bundled_study_folder, read_study
from tests.analysis._cohort import frames as small_frames

REFERENCE = Path(__file__).parent / "r_reference"


def _records(result: SurvivalComparison) -> dict[tuple[str, str], ArdRecord]:
    return {(r.variable_level, r.stat_name): r for r in survival_records("os", "OS", result)}


def _reference(dataset: int) -> tuple[pd.DataFrame, pd.Series]:
    """A dataset of the R comparison and R's values for it (see test_r_reference.py)."""
    data = pd.read_csv(REFERENCE / "datasets.csv.gz")
    values = pd.read_csv(REFERENCE / "reference.csv").set_index("dataset").loc[dataset]
    return data[data["dataset"] == dataset], values


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
    test = logrank(data["T"].tolist(), data["E"].astype(bool).tolist(), treated)
    # lifelines' documentation (Survival analysis, "logrank_test"): test_statistic 122.25.
    assert test.chi2 == pytest.approx(122.25, abs=0.01)
    assert test.p_value is not None
    assert test.p_value < 1e-20
    control = data[data["group"] == "control"]
    km = kaplan_meier(control["T"].tolist(), control["E"].astype(bool).tolist())
    reference = KaplanMeierFitter().fit(control["T"], control["E"])
    for t in (10.0, 30.0, 50.0):
        assert km.at(t).value == pytest.approx(float(reference.predict(t)))
    hr = cox_fit(data["T"].tolist(), data["E"].astype(bool).tolist(), treated)
    assert hr.hazard_ratio is not None
    assert hr.low is not None
    assert hr.high is not None
    assert hr.low < hr.hazard_ratio < hr.high
    assert hr.hazard_ratio > 1  # miR-137 flies die sooner


# --- the seven cases of the R comparison (issue: statistics that agree with R and SAS) -------


def test_case1_cox_with_every_event_in_one_arm_is_not_estimable() -> None:
    # Experimental deaths at months 1, 2, 3; every control censored at 14-23. R coxph warns
    # "coefficient may be infinite" (b = 22.2, SE 2.7e4); cairo6 raised OverflowError here.
    time = [1, 2, 3, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]
    event = [True] * 3 + [False] * 10
    arm = ["experimental"] * 5 + ["control"] * 8
    result = compare_survival(time, event, arm, arms=["experimental", "control"], control="control")
    assert result.cox is not None
    assert result.cox.hazard_ratio is None
    assert result.cox.reason == "all events in one arm"
    records = _records(result)
    assert records[("hazard_ratio", "rr")].stat is None
    assert records[("hazard_ratio", "rr")].note == "not estimable (all events in one arm)"
    # The log-rank test exists (R survdiff: chi-square 6.1428, P = .0132).
    assert result.logrank is not None
    assert result.logrank.chi2 == pytest.approx(6.14278864)
    assert result.logrank.p_value == pytest.approx(0.01319491)


def test_case2_cox_without_information_is_not_estimable() -> None:
    # The deaths (months 10, 11) come while only controls are at risk (the experimental patient
    # is censored at 1). R: coef 0, SE 0 (no information); cairo6 printed "1.0 (NR-NR)".
    time = [1, 10, 11, 12, 13]
    event = [False, True, True, False, False]
    arm = ["e", "c", "c", "c", "c"]
    fit = compare_survival(time, event, arm, arms=["e", "c"], control="c").cox
    assert fit is not None
    assert fit.hazard_ratio is None
    assert fit.reason == "no event while both arms were at risk"


@pytest.mark.parametrize("dataset", [24, 177])
def test_case2_cox_converges_where_r_does(dataset: int) -> None:
    # lifelines stopped early: dataset 24 HR 0.70751 where R coxph gives 0.70711 (5.6e-4
    # relative), dataset 177 10.7496 where R gives 10.7551 (5.1e-4).
    data, r = _reference(dataset)
    fit = cox_fit(data["time"].tolist(), data["event"].astype(bool).tolist(), data["arm"] == "e")
    assert fit.hazard_ratio == pytest.approx(r["cox_efron_hr"], rel=1e-9)
    assert fit.low == pytest.approx(r["cox_efron_lcl"], rel=1e-9)
    assert fit.high == pytest.approx(r["cox_efron_ucl"], rel=1e-9)
    assert fit.se == pytest.approx(r["cox_efron_se"], rel=1e-9)


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        # R: survfit(Surv(1:10, rep(1, 10)) ~ 1): median 5.5 (1-8); cairo6 gave 5.0.
        (list(range(1, 11)), (5.5, 1.0, 8.0)),
        # R: survfit(Surv(rep(1:10, each = 2), rep(1, 20)) ~ 1): 5.5 (3-8); cairo6 gave 6.0.
        ([t for t in range(1, 11) for _ in range(2)], (5.5, 3.0, 8.0)),
    ],
)
def test_case3_median_is_the_midpoint_where_survival_is_half(
    time: list[int], expected: tuple[float, float, float]
) -> None:
    km = kaplan_meier(time, [True] * len(time))
    assert (km.median.value, km.median.low, km.median.high) == expected


def test_case3_median_where_survival_stays_half_to_the_end() -> None:
    # Deaths at 1..14 of 28, the rest censored at 17: S = 0.5 from 14 to the end; R takes the
    # midpoint of 14 and the last time: 15.5.
    km = kaplan_meier([*range(1, 15), *[17] * 14], [True] * 14 + [False] * 14)
    assert km.median.value == 15.5


def test_case4_median_limit_not_reached_where_survival_falls_to_zero() -> None:
    # R: survfit(Surv(1:6, c(0, 0, 0, 1, 1, 1)) ~ 1, conf.type = "log-log"): 5 (4-NA): the
    # variance is infinite where S = 0, so the band is undefined there. cairo6 gave 5 (4-6).
    km = kaplan_meier([1, 2, 3, 4, 5, 6], [False] * 3 + [True] * 3)
    assert (km.median.value, km.median.low, km.median.high) == (5.0, 4.0, None)
    assert km.at(6).value == 0
    assert km.at(6).low is None
    assert km.at(6).high is None


def test_case5_median_limit_where_the_band_dips_below_half_and_comes_back() -> None:
    # The upper log-log band falls below 0.5 at month 44 (0.499) and rises to 0.502 at the
    # last death (46, 2 at risk). R: t <- c(1:44, rep(45, 26), 46, 47);
    # e <- c(rep(1, 44), rep(0, 26), 1, 0); survfit(Surv(t, e) ~ 1, conf.type = "log-log"):
    # median 36.5 (28-44). cairo6 gave 36 (28-not reached).
    time = [*range(1, 45), *[45] * 26, 46, 47]
    event = [True] * 44 + [False] * 26 + [True, False]
    km = kaplan_meier(time, event)
    assert (km.median.value, km.median.low, km.median.high) == (36.5, 28.0, 44.0)


def test_case6_logrank_without_events_is_no_test() -> None:
    # R survdiff: chi-square 0 on -1 df, P NaN; cairo6 printed P > .99.
    result = compare_survival([1, 2, 3, 4], [False] * 4, ["e", "e", "c", "c"], arms=["e", "c"],
                              control="c")  # fmt: skip
    assert result.logrank is not None
    assert result.logrank.p_value is None
    assert result.logrank.reason == "no events"
    records = _records(result)
    assert records[("logrank", "p_value")].stat is None
    assert records[("logrank", "p_value")].note == "no test (no events)"


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
    # The endpoints as CAIRO6's definition (analysis.toml) declares them.
    study = read_study(bundled_study_folder("cairo6"))
    rows["recurrence"] = rows["recurrence"].astype(object)
    start = pd.Series(pd.to_datetime(["2020-01-01"] * 3), index=["A", "B", "C"])
    frames = {"follow_up": rows}
    overall = endpoint_times(frames, study.endpoint("overall_survival"), start)
    progression = endpoint_times(frames, study.endpoint("progression_free_survival"), start)
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


def test_times_equal_to_rounding_are_tied_as_r_does() -> None:
    # R (Surv's timefix): t <- c(10/3, 3.3333333333333433, 2, 5, 7, 3.3333334, 1, 4, 6,
    # 3.3333333333333313); e <- c(1, 1, 0, 1, 1, 0, 1, 1, 0, 1); x <- rep(1:0, 5)
    # survfit(Surv(t, e) ~ 1)$time has 8 times, three of them one tie at 3.3333333333333313;
    # coxph(Surv(t, e) ~ x): coef -0.592930328083816, SE 0.884996989522976;
    # survdiff(Surv(t, e) ~ x)$chisq 0.511849301195058.
    t = [10 / 3, 3.3333333333333433, 2.0, 5.0, 7.0, 3.3333334, 1.0, 4.0, 6.0, 3.3333333333333313]
    e = [True, True, False, True, True, False, True, True, False, True]
    x = [True, False] * 5
    km = kaplan_meier(t, e)
    assert km.times == (1.0, 2.0, 3.3333333333333313, 3.3333334, 4.0, 5.0, 6.0, 7.0)
    fit = cox_fit(t, e, x)
    assert fit.coef == pytest.approx(-0.592930328083816, rel=1e-12)
    assert fit.se == pytest.approx(0.884996989522976, rel=1e-12)
    assert logrank(t, e, x).chi2 == pytest.approx(0.511849301195058, rel=1e-12)


def test_the_survival_table_follows_the_definitions_endpoints() -> None:
    # One endpoint with a 2-year horizon: only it is reported, with its own landmark rate.
    study = read_study(bundled_study_folder("cairo6"))
    overall = study.endpoint("overall_survival").model_copy(update={"horizon_months": [24.0]})
    frames = small_frames()
    numbers = ["T-E1", "T-E2", "T-E3", "T-C1", "T-C2", "T-C3"]
    frames["follow_up"] = pd.DataFrame(
        {
            "study_number": numbers,
            "visit_date": ["2021-06-01"] * 6,
            "vital_status": ["dead", "alive", "alive", "dead", "dead", "alive"],
            "death_date": ["2021-06-01", None, None, "2021-06-01", "2021-06-01", None],
            "recurrence": [False] * 6,
            "recurrence_date": [None] * 6,
        }
    )
    result = analyse(default_protocol(), frames, study=replace(study, endpoints=(overall,)))
    records = [r for r in result.ard if r.table == "survival"]
    assert {r.variable for r in records} == {"overall_survival"}
    levels = {r.variable_level for r in records}
    assert landmark_level(24.0) in levels
    assert landmark_level(36.0) not in levels
    deaths = {r.group: r.stat for r in records if r.variable_level == "" and r.stat_name == "n"}
    assert deaths == {"experimental": 1, "control": 2, "total": 3}
