"""Golden test: the SYNTHETIC reference cohort, imported through the services into a fresh
SQLite database, extracted and analysed, reproduces every number the CAIRO6 phase 2 paper
prints, rounded as printed.

The only differences allowed are at entries where the paper contradicts itself (marked
`inconsistent` in published.toml; a percentage of such a count inherits the mark), and they are
listed by name: the data follow the readings documented in the study's data/README.md, so
- Table 2, Clavien-Dindo >=3 details, intra-abdominal abscess grade 4 total: 2 + 1 = 3 (4%),
  printed 2 (3);
- Table 2, reoperations, control: 1 of 42 is 2%, printed (1) in three rows;
- Table 3, any CTCAE grade 4: 4 patients (11%) as the detail rows hold, printed 5 (14);
- Results, radiologic PCI: 21 stable (66%) so that 1 + 8 + 21 + 2 = 32 evaluable, printed 23 (72).
"""

from __future__ import annotations

import pytest

from cairo6.analysis.engine import analyse
from cairo6.analysis.result import AnalysisResult
from cairo6.analysis.rounding import jama_ci, jama_number, jama_p, jama_pct
from cairo6.protocol import Protocol, default_protocol
from cairo6.reference.compare import Comparison, compare, summary
from cairo6.reference.published import load_published
from tests.trial_setup import REFERENCE, imported_extract

EXPECTED_DIFFERENCES = {
    ("table2", "clavien_dindo_ge3_event", "intra_abdominal_abscess_grade_4", "total", "n"),
    ("table2", "clavien_dindo_ge3_event", "intra_abdominal_abscess_grade_4", "total", "pct"),
    ("table2", "reoperation_event", "intra_abdominal_abscess_grade_4", "control", "pct"),
    ("table2", "reoperation_event", "postoperative_hemorrhage_grade_3", "control", "pct"),
    ("table2", "reoperation_event", "bowel_perforation_grade_3", "control", "pct"),
    ("table3", "ctcae_4", "any", "experimental", "n"),
    ("table3", "ctcae_4", "any", "experimental", "pct"),
    ("results", "radiologic_pci_response", "stable_disease", "experimental", "n"),
    ("results", "radiologic_pci_response", "stable_disease", "experimental", "pct"),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    frames = imported_extract(REFERENCE, tmp_path_factory.mktemp("golden") / "trial.db")
    return analyse(default_protocol(), frames)


@pytest.fixture(scope="module")
def comparisons(result: AnalysisResult) -> list[Comparison]:
    return compare(result.ard, load_published())


def test_every_published_number_is_reproduced(comparisons: list[Comparison]) -> None:
    wrong = [c for c in comparisons if c.status in ("differs", "missing")]
    assert wrong == []
    assert summary(comparisons) == (
        f"{len(comparisons) - len(EXPECTED_DIFFERENCES)} of {len(comparisons)} published "
        f"numbers reproduced ({len(EXPECTED_DIFFERENCES)} differ where the paper contradicts "
        "itself)"
    )


def test_only_the_papers_contradictions_differ(comparisons: list[Comparison]) -> None:
    differing = {c.key for c in comparisons if c.status == "inconsistent_in_paper"}
    assert differing == EXPECTED_DIFFERENCES
    # Every other entry the paper contradicts itself on is reproduced as printed.
    flagged = {c.key for c in comparisons if c.inconsistent}
    assert all(c.status == "match" for c in comparisons if c.key in flagged - differing)


def _rate(result: AnalysisResult, variable: str, level: str, group: str) -> str:
    ard = result.ard
    n = ard.stat("table2", variable, level, group, "n")
    total = ard.stat("table2", "population", "", group, "N")
    pct = ard.stat("table2", variable, level, group, "pct")
    assert isinstance(pct, float)
    return f"{n} of {total} ({jama_pct(pct)}%)"


def _effect(result: AnalysisResult, variable: str, level: str) -> str:
    ard = result.ard
    rr, low, high = (
        ard.stat("results", variable, level, "comparison", s) for s in ("rr", "rr_low", "rr_high")
    )
    p = ard.stat("table2", variable, "", "comparison", "p_value")
    assert isinstance(rr, float)
    assert isinstance(low, float)
    assert isinstance(high, float)
    assert isinstance(p, float)
    return f"RR {jama_number(rr, 2)} ({jama_ci(low, high)}), P = {jama_p(p)}"


def test_primary_outcomes(result: AnalysisResult) -> None:
    complete = ("cytoreductive_surgery", "macroscopic_complete")
    assert _rate(result, *complete, "experimental") == "33 of 37 (89%)"
    assert _rate(result, *complete, "control") == "36 of 42 (86%)"
    assert _effect(result, *complete) == "RR 1.04 (0.88-1.23), P = .74"
    assert result.ard.stat("table2", "cytoreductive_surgery", "", "comparison", "test") == "fisher"
    major = ("clavien_dindo_ge3", "yes")
    assert _rate(result, *major, "experimental") == "8 of 37 (22%)"
    assert _rate(result, *major, "control") == "14 of 42 (33%)"
    assert _effect(result, *major) == "RR 0.65 (0.31-1.37), P = .25"
    assert result.ard.stat("table2", "clavien_dindo_ge3", "", "comparison", "test") == "chi2"


def test_stopping_rules_not_met(result: AnalysisResult) -> None:
    assert [(v.rule_id, v.met) for v in result.stopping] == [
        ("complete_crs_hipec", False),
        ("major_morbidity_excess", False),
        ("accrual", False),
        ("interim_overall_survival", False),
    ]


def test_reference_run_is_clean_and_labelled_synthetic(
    result: AnalysisResult, cairo6: Protocol
) -> None:
    assert result.synthetic
    # Two warnings: the CAPOX-B -> FOLFOX-B switch the protocol does not list (kept as printed
    # in the Figure; its windows are still judged), and one participant whose follow-up dates
    # a death before the surgery, so disease-free survival (from surgery) has no time for them.
    assert [(w.participant, w.form, w.field, w.message) for w in result.warnings] == [
        (
            "CAIRO6-C02-013",
            "cycle",
            "switched_from",
            "switch not allowed by the protocol (one of FOLFIRI-B); windows judged as given",
        ),
        (
            "CAIRO6-C04-002",
            "follow_up",
            "",
            "an event dated before the start: left out of disease-free survival",
        ),
    ]
    reported = {w.id for w in cairo6.windows if w.reported}
    assert {p.window_id for p in result.timing} == reported
    assert len(result.timing) == 42 + 37 + 37 + 22
