"""Data-quality problems are reported with participant and field; the analysis completes."""

from __future__ import annotations

import pandas as pd
import pytest

from cairo6.analysis.engine import analyse
from cairo6.analysis.result import AnalysisResult
from cairo6.protocol import Protocol

from ._cohort import frames


def _broken() -> dict[str, pd.DataFrame]:
    data = frames()
    data["baseline"] = data["baseline"][data["baseline"]["study_number"] != "T-E3"]
    surgery = data["surgery"].set_index("study_number")
    surgery.loc["T-C1", "cc_score"] = None  # CRS-HIPEC without a CC score or R class
    surgery.loc["T-E3", "r_class"] = "R2"  # CC-0 contradicted by R2
    data["surgery"] = surgery.reset_index()
    complication = data["complication"]
    complication.loc[complication["study_number"] == "T-E1", "onset_date"] = None
    complication.loc[complication["study_number"] == "T-C1", "grade"] = "IIIc"
    discharge = data["discharge"]
    discharge.loc[discharge["study_number"] == "T-C2", "discharge_date"] = "2020-04-01"
    data["discharge"] = pd.concat([discharge, discharge.iloc[[0]]], ignore_index=True)
    cycle = data["cycle"]
    neo_e1 = (cycle["study_number"] == "T-E1") & (cycle["phase"] == "neoadjuvant")
    cycle.loc[neo_e1 & (cycle["cycle_number"] == 4), "given_on"] = "2020-04-30"
    radiology = data["radiology"]
    data["radiology"] = radiology[
        ~((radiology["study_number"] == "T-E2") & (radiology["timepoint"] == "restaging"))
    ]
    data["baseline"].loc[data["baseline"]["study_number"] == "T-C3", "sex"] = "unknown"
    data["toxicity"].loc[0, "phase"] = "adjuvant"
    data["toxicity"].loc[2, "phase"] = "adjuvant"  # T-E2 had no adjuvant therapy
    del data["pathology"]
    return data


@pytest.fixture(scope="module")
def result(cairo6: Protocol) -> AnalysisResult:
    return analyse(cairo6, _broken())


@pytest.mark.parametrize(
    ("participant", "form", "field", "words"),
    [
        ("T-E3", "baseline", "", "no baseline"),
        ("T-C1", "surgery", "cc_score", "no CC score"),
        ("T-E3", "surgery", "cc_score", "not decidable"),
        ("T-E1", "complication", "onset_date", "without a date"),
        ("T-C1", "complication", "grade", "not readable"),
        ("T-C2", "discharge", "discharge_date", "before surgery"),
        ("T-E1", "discharge", "", "more than one"),
        ("T-E1", "cycle", "phase", "neoadjuvant cycle on or after surgery"),
        ("T-E1", "cycle", "", "not assessable"),
        ("T-E2", "radiology", "timepoint", "no restaging"),
        ("T-C3", "baseline", "sex", "no level"),
        ("T-E2", "toxicity", "phase", "no cycle given"),
        ("", "pathology", "", "no pathology data"),
    ],
)
def test_each_problem_is_reported(
    result: AnalysisResult, participant: str, form: str, field: str, words: str
) -> None:
    found = [
        w
        for w in result.warnings
        if (w.participant, w.form, w.field) == (participant, form, field) and words in w.message
    ]
    assert found, [w for w in result.warnings if w.participant == participant]


def test_the_analysis_still_reports_what_it_can(result: AnalysisResult) -> None:
    ard = result.ard
    # Completeness of T-E3 became unknown: not counted, and the denominator says so.
    complete = ard.stat("table2", "cytoreductive_surgery", "macroscopic_complete", "control", "n")
    assert complete == 1  # T-C2 only (T-C1 lost its CC score, T-E3 is contradictory)
    assert ard.stat("table1", "sex", "", "control", "N") == 2  # T-E3 and T-C3 not counted
    assert ard.stat("table4", "trg_peritoneal_metastases", "", "experimental", "N") == 0
    assert {v.rule_id for v in result.stopping} == {
        "complete_crs_hipec",
        "major_morbidity_excess",
        "accrual",
    }
    assert len(result.warnings) == len(set(result.warnings))


def test_empty_frames_do_not_crash(cairo6: Protocol) -> None:
    result = analyse(cairo6, {})
    assert result.ard.stat("figure", "randomised", "", "total", "n") == 0
    assert any(w.form == "participant" for w in result.warnings)
