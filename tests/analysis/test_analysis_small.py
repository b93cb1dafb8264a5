"""The analysis on the seven hand-made participants of `_cohort`, with answers worked by hand
(and P values from scipy, independent of `cairo6.analysis.stats`)."""

from __future__ import annotations

import math

import pytest
from scipy import stats  # type: ignore[import-untyped]

from cairo6.analysis.ard import Ard
from cairo6.analysis.engine import analyse
from cairo6.analysis.result import AnalysisResult
from cairo6.analysis.spec import default_spec
from cairo6.protocol import Protocol
from cairo6.studies.cairo6.derive import prepare
from cairo6.study.loader import bundled_study_folder, read_study

from ._cohort import frames


@pytest.fixture(scope="module")
def result(cairo6: Protocol) -> AnalysisResult:
    return analyse(cairo6, frames())


def _n(ard: Ard, table: str, variable: str, level: str, group: str) -> object:
    return ard.stat(table, variable, level, group, "n")


def test_populations_follow_the_treatment_started(cairo6: Protocol) -> None:
    study = read_study(bundled_study_folder("cairo6"))
    people = prepare(cairo6, frames(), default_spec(), study).people.set_index("study_number")
    assert people["mitt_group"].to_dict() == {
        "T-E1": "experimental",
        "T-E2": "experimental",
        "T-E3": "control",  # preferred upfront surgery
        "T-E4": None,  # palliative care, no trial treatment
        "T-C1": "control",
        "T-C2": "control",
        "T-C3": "control",
    }
    assert set(people.index[people["crs_hipec"]]) == {"T-E1", "T-E3", "T-C1", "T-C2"}
    assert set(people.index[people["surgical"]]) == set(people.index) - {"T-E4"}


def test_flow_diagram_counts(result: AnalysisResult) -> None:
    ard = result.ard
    assert _n(ard, "figure", "potentially_eligible", "", "total") == 9
    assert _n(ard, "figure", "refusal_reason", "logistical", "total") == 1
    assert _n(ard, "figure", "assigned", "", "experimental") == 4
    assert _n(ard, "figure", "palliative_treatment", "", "experimental") == 1
    assert _n(ard, "figure", "preferred_upfront_surgery", "", "experimental") == 1
    assert _n(ard, "figure", "primary_outcome_analyses", "", "control") == 4
    assert _n(ard, "figure", "neoadjuvant_stopped_after_cycles", "capox_b_2", "experimental") == 1
    reason = "neoadjuvant_stop_reason_capox_b_2"
    assert _n(ard, "figure", reason, "patient_request", "experimental") == 1
    assert _n(ard, "figure", "completed_all_adjuvant", "", "experimental") == 1
    incomplete = "macroscopic_incomplete_cytoreduction"
    assert _n(ard, "figure", "stopped_at_surgery_reason", incomplete, "control") == 1


def test_primary_outcome_with_fisher_and_risk_ratio(result: AnalysisResult) -> None:
    ard = result.ard
    complete = ("table2", "cytoreductive_surgery", "macroscopic_complete")
    assert ard.stat(*complete, "experimental", "pct") == 50.0
    assert ard.stat(*complete, "control", "pct") == 75.0
    assert ard.stat("table2", "cytoreductive_surgery", "", "comparison", "test") == "fisher"
    rr = ("results", "cytoreductive_surgery", "macroscopic_complete", "comparison")
    se = math.sqrt(1 / 1 - 1 / 2 + 1 / 3 - 1 / 4)
    assert ard.stat(*rr, "rr") == pytest.approx((1 / 2) / (3 / 4))
    assert ard.stat(*rr, "rr_low") == pytest.approx((2 / 3) * math.exp(-1.959964 * se), rel=1e-6)


def test_categorical_row_with_the_auto_rule_uses_fisher_for_small_counts(
    result: AnalysisResult,
) -> None:
    # Ostomy: experimental 0 of 2, control 2 of 4 (T-E3, T-C2); not an endpoint, no test named.
    ard = result.ard
    assert ard.stat("table2", "ostomy_formation", "", "comparison", "test") == "fisher"
    expected = stats.fisher_exact([[0, 2], [2, 2]]).pvalue
    assert ard.stat("table2", "ostomy_formation", "", "comparison", "p_value") == pytest.approx(
        expected
    )


def test_chi_square_named_by_the_spec_keeps_a_small_count_note(result: AnalysisResult) -> None:
    record = result.ard.find("table2", "clavien_dindo_4", "", "comparison", "test")
    assert record is not None
    assert (record.stat, record.note) == ("chi2", "small_expected")
    chi2 = stats.chi2_contingency([[0, 1], [2, 3]], correction=False)
    p = result.ard.stat("table2", "clavien_dindo_4", "", "comparison", "p_value")
    assert p == pytest.approx(chi2.pvalue)


def test_continuous_rows(result: AnalysisResult) -> None:
    ard = result.ard
    # Operating time: experimental 300, 100; control 250, 350, 400, 320 (pooled t test).
    assert ard.stat("table2", "operating_time", "", "experimental", "mean") == 200
    assert ard.stat("table2", "operating_time", "", "experimental", "sd") == pytest.approx(
        math.sqrt(20000)
    )
    assert ard.stat("table2", "operating_time", "", "control", "mean") == 330
    t = stats.ttest_ind([300, 100], [250, 350, 400, 320])
    assert ard.stat("table2", "operating_time", "", "comparison", "p_value") == pytest.approx(
        t.pvalue
    )
    # Length of stay: 8, 4 vs 11, 15, 17, 10 days; type 2 quartiles.
    los = [ard.stat("table2", "length_of_stay", "", "control", s) for s in ("median", "p25", "p75")]
    assert los == [13, 10.5, 16]
    assert ard.stat("table2", "length_of_stay", "", "experimental", "p25") == 4
    mw = stats.mannwhitneyu([8, 4], [11, 15, 17, 10], use_continuity=True, method="asymptotic")
    assert ard.stat("table2", "length_of_stay", "", "comparison", "p_value") == pytest.approx(
        mw.pvalue
    )
    # Baseline PCI 0 counted as a level of the continuous row.
    assert ard.stat("table1", "baseline_pci", "0", "experimental", "n") == 1


def test_events_toxicity_and_responses(result: AnalysisResult) -> None:
    ard = result.ard
    assert _n(ard, "table2", "clavien_dindo_ge3_event", "ileus_grade_3", "experimental") == 1
    abscess = "intra_abdominal_abscess_grade_4"
    assert _n(ard, "table2", "reoperation_event", abscess, "control") == 1
    leak = "anastomotic_leakage_grade_3_of_anastomosis"
    assert ard.stat("table2", "clavien_dindo_ge3_event", leak, "control", "pct") == 100.0  # 1 of 1
    assert ard.stat("table3", "population", "adjuvant", "experimental", "N") == 1
    assert _n(ard, "table3", "ctcae_4", "adjuvant", "experimental") == 1
    assert _n(ard, "table3", "ctcae_ge3", "any", "experimental") == 1
    # T-E1: radiologic PCI 10 -> 6 (-40%, PR), RECIST 30 -> 18 mm (PR); T-E2: 8 -> 9 (SD).
    assert _n(ard, "results", "radiologic_pci_response", "partial_response", "experimental") == 1
    assert ard.stat("results", "radiologic_pci_response", "", "experimental", "N") == 2
    assert ard.stat("results", "recist_response", "", "experimental", "N") == 1
    assert ard.stat("table4", "trg_peritoneal_metastases", "", "experimental", "N") == 1


def test_time_windows_by_the_modified_itt_group(result: AnalysisResult) -> None:
    ard = result.ard
    # Control window: T-E3 28 days, T-C1 21, T-C2 56 (late), T-C3 28.
    window = "surgery_within_6_weeks_of_randomisation"
    assert [ard.stat("results", window, "", "control", s) for s in ("n", "N")] == [3, 4]
    late = "surgery_within_6_weeks_of_last_neoadjuvant"
    assert [ard.stat("results", late, "", "experimental", s) for s in ("n", "N")] == [1, 2]
    points = {(p.study_number, p.window_id): (p.days, p.within) for p in result.timing}
    assert points[("T-C2", "control_surgery")] == (56, False)
    assert points[("T-E3", "control_surgery")] == (28, True)


def test_stopping_rules_on_the_cohort(result: AnalysisResult) -> None:
    verdicts = {v.rule_id: v for v in result.stopping}
    # 1 of 2 complete is exactly 50%: "fewer than 50%" is not met.
    assert not verdicts["complete_crs_hipec"].met
    assert not verdicts["major_morbidity_excess"].met
    assert verdicts["accrual"].met  # 7 of 80 enrolled


def test_no_surgery_counts_against_complete_crs_hipec(cairo6: Protocol) -> None:
    # T-E2 never operated (e.g. progression): still in the modified ITT denominator.
    data = frames()
    for form in ("surgery", "discharge"):
        data[form] = data[form][data[form]["study_number"] != "T-E2"]
    ard = analyse(cairo6, data).ard
    row = ("table2", "cytoreductive_surgery")
    assert ard.stat(*row, "no_surgery", "experimental", "n") == 1
    assert ard.stat(*row, "macroscopic_complete", "experimental", "pct") == 50.0
