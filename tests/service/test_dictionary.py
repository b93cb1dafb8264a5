"""The data dictionary is generated from the tables and the protocol, and misses nothing."""

from __future__ import annotations

from cairo6.protocol import Protocol
from cairo6.service.dictionary import (
    DERIVED_FORM,
    FILE_ORDER,
    DictionaryEntry,
    dictionary,
    file_variables,
)
from cairo6.service.forms import CLINICAL_FORMS
from cairo6.service.validation import input_columns
from cairo6.store.schema import FORM_TABLES


def _by_key(entries: list[DictionaryEntry]) -> dict[tuple[str, str], DictionaryEntry]:
    return {(e.form, e.variable): e for e in entries}


def test_every_input_column_of_every_form_is_in_the_dictionary(cairo6: Protocol) -> None:
    entries = _by_key(dictionary(cairo6))
    for form in ("centre", "screening", *CLINICAL_FORMS):
        for column in input_columns(FORM_TABLES[form]):
            entry = entries[(form, column.key)]
            assert entry.label == column.info["label"]
            assert entry.unit == column.info.get("unit")
            if "allowed" in column.info and entry.type != "json":
                assert entry.codes == tuple(column.info["allowed"])
    for form in CLINICAL_FORMS:
        assert entries[(form, "study_number")].required
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


def test_another_protocol_gets_its_own_fields_arms_and_regimens(three_arm: Protocol) -> None:
    entries = _by_key(dictionary(three_arm))
    assert entries[("randomisation", "arm")].codes == tuple(a.id for a in three_arm.arms)
    assert entries[("cycle", "regimen")].codes == tuple(r.id for r in three_arm.regimens)
    assert {v for f, v in entries if f == "eligibility"} >= {f.id for f in three_arm.fields}


def test_derived_variables_say_what_they_are_computed_from(cairo6: Protocol) -> None:
    entries = dictionary(cairo6)
    derived = {e.variable: e for e in entries if e.derived}
    assert set(derived) == {
        "eligible",
        "pci_total",
        "macroscopic_complete",
        "length_of_stay_days",
        "highest_clavien_dindo",
    }
    assert "surgery.pci_regions" in (derived["pci_total"].derived_from or "")
    assert derived["length_of_stay_days"].unit == "days"
    assert derived["pci_total"].form == DERIVED_FORM
    # Derived variables are computed, so no exchange file has a column for them.
    columns = {(e.form, e.variable) for cols in file_variables(cairo6).values() for e in cols}
    assert not columns & {(e.form, e.variable) for e in derived.values()}


def test_entries_are_well_formed(cairo6: Protocol) -> None:
    entries = dictionary(cairo6)
    keys = [(e.form, e.variable) for e in entries]
    assert len(keys) == len(set(keys))
    assert {e.form for e in entries} == {*FILE_ORDER, DERIVED_FORM}
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
