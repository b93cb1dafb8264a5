"""The data dictionary is generated from the trial's tables, the protocol and the study's
forms, and misses nothing."""

from __future__ import annotations

import pytest

from cairo6.protocol import Protocol
from cairo6.service.dictionary import (
    ENROLMENT_FILES,
    DictionaryEntry,
    dictionary,
    exchange_variables,
    file_order,
    file_variables,
)
from cairo6.service.validation import input_columns
from cairo6.store.schema import Centre, Screening
from cairo6.study import Study
from cairo6.study.loader import bundled_study_folder, read_study


@pytest.fixture(scope="module")
def study() -> Study:
    return read_study(bundled_study_folder())


def _by_key(entries: list[DictionaryEntry]) -> dict[tuple[str, str], DictionaryEntry]:
    return {(e.form, e.variable): e for e in entries}


def test_every_column_and_every_item_is_in_the_dictionary(study: Study) -> None:
    entries = _by_key(dictionary(study.trial_protocol, study))
    for form, table in (("centre", Centre), ("screening", Screening)):
        for column in input_columns(table):
            entry = entries[(form, column.key)]
            assert entry.label == column.info["label"]
            if "allowed" in column.info:
                assert entry.codes == tuple(column.info["allowed"])
    for form in study.forms:
        assert entries[(form.id, "study_number")].required
        for item in form.items():
            entry = entries[(form.id, item.id)]
            assert (entry.label, entry.unit) == (item.label, item.unit)
            if item.codelist:
                assert entry.codes == study.codelist(item.codelist).values()
    for name in ("assessed_on", "eligible"):
        assert ("eligibility", name) in entries
    for name in ("arm", "allocated_at", "deviation", "enrolled_on", "study_number"):
        assert ("randomisation", name) in entries


def test_the_protocol_fields_are_the_eligibility_columns(cairo6: Protocol) -> None:
    columns = file_variables(cairo6)["eligibility"]
    assert [e.variable for e in columns] == [
        "screening_number",
        "assessed_on",
        *(f.id for f in cairo6.fields),
    ]
    entries = _by_key(columns)
    assert entries[("eligibility", "primary_site")].codes == (
        "colon",
        "rectum",
        "appendix",
        "other",
    )
    assert entries[("eligibility", "platelets_10e9_l")].type == "float"
    assert entries[("eligibility", "age_years")].type == "integer"
    assert "used for randomisation" in entries[("eligibility", "onset")].label


def test_another_protocol_gets_its_own_fields_arms_and_regimens(
    three_arm: Protocol, study: Study
) -> None:
    entries = _by_key(dictionary(three_arm))
    assert entries[("randomisation", "arm")].codes == tuple(a.id for a in three_arm.arms)
    assert {v for f, v in entries if f == "eligibility"} >= {f.id for f in three_arm.fields}
    # A form item coded with the protocol's regimens offers exactly those.
    cairo6 = _by_key(dictionary(study.trial_protocol, study))
    assert cairo6[("cycle", "regimen")].codes == tuple(r.id for r in study.trial_protocol.regimens)


def test_derived_items_say_what_they_are_computed_from(study: Study) -> None:
    entries = dictionary(study.trial_protocol, study)
    derived = {(e.form, e.variable): e for e in entries if e.derived}
    assert set(derived) == {
        ("eligibility", "eligible"),
        ("surgery", "pci_total"),
        ("surgery", "macroscopic_complete"),
        ("discharge", "length_of_stay_days"),
    }
    assert derived[("surgery", "pci_total")].derived_from == "pci_total(pci_regions)"
    # Derived items are computed, so no exchange file has a column for them.
    variables = exchange_variables(study.trial_protocol, study)
    columns = {(e.form, e.variable) for cols in variables.values() for e in cols}
    assert not columns & set(derived)


def test_entries_are_well_formed(study: Study) -> None:
    entries = dictionary(study.trial_protocol, study)
    keys = [(e.form, e.variable) for e in entries]
    assert len(keys) == len(set(keys))
    assert {e.form for e in entries} == set(file_order(study))
    assert file_order(study)[: len(ENROLMENT_FILES)] == ENROLMENT_FILES
    for entry in entries:
        assert entry.label, entry
        assert entry.allowed, entry
        assert entry.type in {"text", "integer", "float", "date", "boolean", "json"}
        if entry.codes:
            assert entry.type == "text"
        as_dict = entry.as_dict()
        assert as_dict["codes"] == list(entry.codes)
    json_columns = {(e.form, e.variable) for e in entries if e.type == "json"}
    assert json_columns == {
        ("cycle", "doses"),
        ("surgery", "pci_regions"),
        ("radiology", "lesions"),
        ("pathology", "prgs"),
    }
