"""Deriving a patient's factor levels from the record, and refusing what cannot be derived."""

from __future__ import annotations

from typing import Any

import pytest

from cairo6.errors import RandomizationError
from cairo6.protocol import Protocol
from cairo6.randomization import derive_levels
from cairo6.randomization.design import design_from_protocol
from cairo6.randomization.levels import check_levels

RECORD: dict[str, Any] = {
    "pci_at_staging": 7,
    "onset": "metachronous",
    "previous_systemic_therapy": True,
    "planned_hipec": "oxaliplatin",
    "centre": "AMC",
}


def test_levels_of_a_complete_record(cairo6: Protocol) -> None:
    assert derive_levels(cairo6, RECORD) == {
        "pci": "0-10",
        "onset": "metachronous",
        "previous_systemic_therapy": "yes",
        "hipec_drug": "oxaliplatin",
    }
    assert derive_levels(cairo6, {**RECORD, "pci_at_staging": 11})["pci"] == "11-20"


def test_centre_is_a_level_when_it_is_a_factor(three_arm_211: Protocol) -> None:
    levels = derive_levels(three_arm_211, {**RECORD, "who_performance_status": 0})
    assert levels["centre"] == "AMC"
    assert levels["ps"] == "0"
    with pytest.raises(RandomizationError, match=r"factor 'centre' \(field centre\): 'missing'"):
        derive_levels(three_arm_211, {**RECORD, "who_performance_status": 0, "centre": None})


def test_missing_field_is_refused_naming_factor_field_and_levels(cairo6: Protocol) -> None:
    record = {k: v for k, v in RECORD.items() if k != "onset"}
    with pytest.raises(RandomizationError) as info:
        derive_levels(cairo6, record)
    message = str(info.value)
    assert "factor 'onset' (field onset)" in message
    assert "'missing'" in message
    assert "synchronous (onset = synchronous)" in message
    assert "metachronous (onset = metachronous)" in message
    assert "record onset before randomising" in message


@pytest.mark.parametrize(
    ("field", "value", "factor"),
    [
        ("pci_at_staging", 25, "pci"),  # outside both levels
        ("onset", "unknown", "onset"),  # a category no level names
        ("planned_hipec", "cisplatin", "hipec_drug"),
        ("previous_systemic_therapy", "yes", "previous_systemic_therapy"),  # wrong type
        ("pci_at_staging", "seven", "pci"),
    ],
)
def test_unknown_values_are_refused(
    cairo6: Protocol, field: str, value: object, factor: str
) -> None:
    with pytest.raises(RandomizationError, match=f"factor '{factor}' \\(field {field}\\)"):
        derive_levels(cairo6, {**RECORD, field: value})


def test_a_value_matching_two_levels_is_refused() -> None:
    from tests.randomization.conftest import build

    def overlapping(raw: dict[str, Any]) -> None:
        levels = raw["randomization"]["factors"][0]["levels"]
        levels[1]["when"] = {"field": "pci_at_staging", "op": "between", "value": [10, 20]}

    with pytest.raises(RandomizationError, match="matches levels 0-10, 11-20"):
        derive_levels(build(overlapping), {**RECORD, "pci_at_staging": 10})


def test_check_levels_refuses_unknown_level_ids_and_factors(cairo6: Protocol) -> None:
    design = design_from_protocol(cairo6)
    good = derive_levels(cairo6, RECORD)
    assert check_levels(design, good) == good
    with pytest.raises(RandomizationError, match="factor 'pci': '21-39' is not allowed"):
        check_levels(design, {**good, "pci": "21-39"})
    with pytest.raises(RandomizationError, match="'missing'"):
        check_levels(design, {k: v for k, v in good.items() if k != "onset"})
    with pytest.raises(RandomizationError, match="levels: \\['sex'\\]"):
        check_levels(design, {**good, "sex": "female"})
