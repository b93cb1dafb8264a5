"""Test data for the renderers: an `AnalysisResult` holding every number the paper published.

This is data for testing the report's layout and formatting only, never an analysis: the ARD
records are the published numbers themselves (a percentage of 89 is stored as 89), plus the
few things the paper does not print (test names, one exact CI, timing points, verdicts and
warnings), made up here. Dates, which the ARD holds as day numbers with the ISO date in the
note, are recorded that way when the paper gives the full date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from cairo6.analysis.ard import Ard, ArdRecord, StatValue
from cairo6.analysis.result import AnalysisResult, QualityWarning, StoppingVerdict, TimingPoint
from cairo6.reference.compare import compare, summary
from cairo6.reference.published import load_published
from cairo6.report import PrimaryOutcome, ReportInput

ARMS = {"experimental": "Perioperative systemic therapy + CRS-HIPEC", "control": "CRS-HIPEC alone"}
LIMITS = {"neoadjuvant_start": (None, 28), "control_surgery": (None, 42)}
PRIMARY = (
    PrimaryOutcome(
        "Macroscopic complete CRS-HIPEC", "results", "cytoreductive_surgery", "macroscopic_complete"
    ),
    PrimaryOutcome("Clavien-Dindo grade ≥3 morbidity", "results", "clavien_dindo_ge3", "yes"),
)
EPOCH = dt.date(1970, 1, 1)
TESTS = {
    ("table2", "cytoreductive_surgery"): ("fisher", ""),
    ("table2", "peritoneal_cancer_index"): ("mann_whitney", ""),
    ("table2", "clavien_dindo_4"): ("chi2", "small_expected"),
}
WARNINGS = [
    QualityWarning("CAIRO6-C02-013", "cycle", "switched_from", "switch not allowed"),
    QualityWarning("CAIRO6-C05-002", "surgery", "pci_regions", "<script>alert(1)</script>"),
]
VERDICTS = [
    StoppingVerdict("complete", "Fewer than 50% complete", "33 of 37 (89%)", "stop < 50%", False),
    StoppingVerdict("morbidity", "Excess morbidity", "8 of 37 vs 14 of 42", "stop > 20%", True),
]


def _timing() -> list[TimingPoint]:
    label = {
        "neoadjuvant_start": "Neoadjuvant therapy starts within 4 weeks",
        "control_surgery": "Upfront surgery within 6 weeks",
    }
    points = []
    for i, days in enumerate([5, 12, 15, 20, 22, 25, 27, 30, 32]):
        points.append(
            TimingPoint(f"E{i}", "experimental", "neoadjuvant_start", label["neoadjuvant_start"],
                        days, days <= 28)
        )  # fmt: skip
    for i, days in enumerate([14, 20, 26, 33, 41, 48]):
        points.append(
            TimingPoint(f"C{i}", "control", "control_surgery", label["control_surgery"],
                        days, days <= 42)
        )  # fmt: skip
    return points


def published_ard() -> Ard:
    """Every published number as an ARD record, with test names and one exact CI added."""
    ard = Ard()
    for number in load_published():
        if number.stat_name == "date":
            if number.text and len(number.text) == 10:
                day = dt.date.fromisoformat(number.text)
                ard.add(number.table, number.variable, "", number.group, "min",
                        (day - EPOCH).days, note=f"date={number.text}")  # fmt: skip
            continue
        ard.add(*number.key, number.value)
        if number.stat_name == "p_value":
            test, warning = TESTS.get((number.table, number.variable), ("chi2", ""))
            ard.add(number.table, number.variable, number.variable_level, "comparison",
                    "test", test, note=warning)  # fmt: skip
    level = ("results", "radiologic_pci_response", "objective_response", "experimental")
    ard.add(*level, "ci_low", 13.7456)
    ard.add(*level, "ci_high", 46.7471)
    return ard


def make_result(ard: Ard | None = None, synthetic: bool = True) -> AnalysisResult:
    """The published-number result (or another ARD) with the hand-made extras."""
    return AnalysisResult(
        ard=ard if ard is not None else published_ard(),
        warnings=list(WARNINGS),
        stopping=list(VERDICTS),
        timing=_timing(),
        labels={
            ("table1", ""): "Baseline characteristics",
            ("table1", "sex"): "Sex",
            ("table1", "sex/male"): "Male",
            ("table1", "age"): "Age, mean (SD), y",
            ("figure", "potentially_eligible"): "Potentially eligible patients",
        },
        synthetic=synthetic,
    )


def make_input(result: AnalysisResult) -> ReportInput:
    """The report input as the CLI builds it, with the published-vs-reproduced rows."""
    comparisons = compare(result.ard, load_published())
    return ReportInput(
        result=result,
        title="CAIRO6 phase 2 report",
        subtitle="Perioperative systemic therapy and CRS-HIPEC",
        arm_labels=ARMS,
        window_limits=LIMITS,
        primary=PRIMARY,
        comparisons=comparisons,
        comparison_summary=summary(comparisons),
        source="test data",
        generated="2024-06-01 12:00",
    )


def replaced(ard: Ard, key: tuple[str, str, str, str, str], stat: StatValue) -> Ard:
    """A copy of the ARD with one record's value changed."""
    return Ard(dataclasses.replace(r, stat=stat) if r.key == key else r for r in ard)


@pytest.fixture(scope="session")
def result() -> AnalysisResult:
    return make_result()


@pytest.fixture(scope="session")
def report_input(result: AnalysisResult) -> ReportInput:
    return make_input(result)


@pytest.fixture
def with_value() -> Callable[[tuple[str, str, str, str, str], StatValue], ReportInput]:
    """The report input with one ARD value changed."""

    def build(key: tuple[str, str, str, str, str], stat: StatValue) -> ReportInput:
        return make_input(make_result(replaced(published_ard(), key, stat)))

    return build


def record(ard: Ard, *key: str) -> ArdRecord:
    found = ard.find(*key)
    assert found is not None, key
    return found
