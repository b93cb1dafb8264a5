"""Eligibility assessment of screening records against the CAIRO6 criteria."""

from __future__ import annotations

from typing import Any

import pytest

from cairo6.errors import InvalidValueError
from cairo6.protocol import Protocol
from cairo6.protocol.eligibility import Verdict, assess, reads, validate_record
from cairo6.studies.cairo6.examples import ELIGIBLE_CHECKLIST

ELIGIBLE: dict[str, Any] = dict(ELIGIBLE_CHECKLIST)


def test_a_typical_patient_is_eligible(cairo6: Protocol) -> None:
    result = assess(cairo6, ELIGIBLE)
    assert result.eligible, [r.explanation for r in result.failed + result.unknown]


@pytest.mark.parametrize(
    ("change", "criterion"),
    [
        ({"age_years": 17}, "adult"),
        ({"who_performance_status": 2}, "performance_status"),
        ({"primary_site": "appendix"}, "proven_colorectal_pm"),
        ({"signet_ring_cell_pct": 60}, "signet_ring_cells"),
        ({"pci_at_staging": 21}, "resectable_pci"),
        (
            {"previous_systemic_therapy": True, "months_since_systemic_therapy": 4},
            "no_recent_systemic_therapy",
        ),
        ({"hemoglobin_mmol_l": 5.9}, "anaemia"),
        ({"creatinine_clearance_ml_min": 29}, "renal_function"),
        ({"asat_x_uln": 5.5}, "transaminases"),
        ({"oxaliplatin_and_irinotecan_intolerance": True}, "drug_intolerance"),
    ],
)
def test_each_failed_criterion_is_explained(
    cairo6: Protocol, change: dict[str, Any], criterion: str
) -> None:
    result = assess(cairo6, {**ELIGIBLE, **change})
    assert not result.eligible
    assert [r.criterion.id for r in result.failed] == [criterion]
    # Explained in the protocol's words: the field's label, never its variable name.
    field, _value = next(iter(change.items()))
    assert cairo6.field(field).label in result.failed[0].explanation
    assert field not in result.failed[0].explanation


def test_missing_value_leaves_the_criterion_unassessed(cairo6: Protocol) -> None:
    record = {k: v for k, v in ELIGIBLE.items() if k != "platelets_10e9_l"}
    result = assess(cairo6, record)
    assert not result.eligible
    assert [r.criterion.id for r in result.unknown] == ["thrombocytopenia"]
    assert result.unknown[0].verdict is Verdict.UNKNOWN
    assert "enter Platelet count (x10^9/L)" in result.unknown[0].explanation


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age_years", "sixty"),
        ("age_years", 150),
        ("primary_site", "caecum"),
        ("pathology_proven", "yes"),
        ("signet_ring_cell_pct", -1),
    ],
)
def test_bad_values_are_refused_with_the_field_named(
    cairo6: Protocol, field: str, value: Any
) -> None:
    with pytest.raises(InvalidValueError) as info:
        validate_record(cairo6, {field: value})
    assert field in str(info.value)
    assert repr(value) in str(info.value)


def test_unknown_field_is_refused_not_ignored(cairo6: Protocol) -> None:
    # A misspelt field would otherwise leave a criterion silently unassessed.
    with pytest.raises(InvalidValueError, match="'favourite_colour' is not allowed"):
        validate_record(cairo6, {"favourite_colour": "blue"})


def test_verdicts_read_as_clinicians_say_them(cairo6: Protocol) -> None:
    """An exclusion criterion that applies reads "excluded", not "not met"."""
    result = assess(cairo6, {**ELIGIBLE, "hemoglobin_mmol_l": 5.4})
    by_id = {r.criterion.id: r for r in result.results}
    anaemia, adult = by_id["anaemia"], by_id["adult"]
    assert reads(anaemia.criterion.kind, anaemia.verdict.value) == "excluded"
    assert reads(adult.criterion.kind, adult.verdict.value) == "meets"
    assert reads("exclusion", "met") == "not excluded"
    assert reads("inclusion", "not_met") == "does not meet"
    assert reads("inclusion", "unknown") == "not assessable"
    assert anaemia.explanation == "recorded: Haemoglobin: 5.4 mmol/L"
