"""Items name the scoring library's validators; a definition naming an unknown one, or a
calendar map naming a missing item, is reported with its file and key."""

from __future__ import annotations

import pytest

from cairo6.errors import StudyError
from cairo6.scoring import Region
from cairo6.scoring.registry import VALIDATORS
from cairo6.study import bundled_study_folder
from cairo6.study.loader import read_study, read_study_texts, study_from_texts
from cairo6.study.validate import validate_record

CAIRO6 = read_study(bundled_study_folder("cairo6"))


def _issues(file: str, old: str, new: str) -> list[str]:
    texts = read_study_texts(bundled_study_folder("cairo6"))
    assert old in texts[file]
    texts[file] = texts[file].replace(old, new, 1)
    with pytest.raises(StudyError) as error:
        study_from_texts(texts, "edited copy")
    return [str(issue) for issue in error.value.issues]


def test_an_unknown_validator_is_named_with_its_file_and_key() -> None:
    issues = _issues("forms.toml", 'validate = "clavien_dindo"', 'validate = "clavien"')
    assert issues == [
        "forms.toml: forms[complication].groups[main].items[grade].validate: 'clavien' is not "
        "a scoring-library validator; known: " + ", ".join(sorted(VALIDATORS))
    ]


def test_a_validator_input_must_be_an_item_of_the_form() -> None:
    issues = _issues("forms.toml", 'inputs = { term = "ctcae_term" }', 'inputs = { term = "name" }')
    assert issues == [
        "forms.toml: forms[toxicity].groups[main].items[grade].validate.inputs.term: "
        "item 'name' is not declared"
    ]


def test_the_calendar_map_names_items_of_the_cycle_form() -> None:
    issues = _issues("forms.toml", 'day1 = "given_on"', 'day1 = "given"')
    assert issues == ["forms.toml: course.day1: item 'given' is not declared in 'cycle'"]


@pytest.mark.parametrize(
    ("form", "values", "item"),
    [
        ("complication", {"term": "Ileus", "ctcae_term": "Ileus", "grade": "IIIa"}, None),
        ("toxicity", {"term": " ", "ctcae_term": "Nausea", "grade": 3, "phase": "adjuvant"},
         "term"),
        ("toxicity", {"term": "tired", "ctcae_term": "Fatigue", "grade": 4, "phase": "adjuvant"},
         "grade"),
        ("toxicity", {"term": "loose stools", "ctcae_term": "diarhea", "grade": 2,
                      "phase": "adjuvant"}, "ctcae_term"),
        ("radiology", {"timepoint": "baseline", "scan_date": "2018-01-05",
                       "lesions": [{"id": "L1", "organ": "liver", "diameter_mm": -4}]}, "lesions"),
        ("surgery", {"surgery_date": "2018-02-01", "procedure": "crs_hipec",
                     "pci_regions": {r.id: 0 for r in Region if r.id != "pelvis"},
                     "primary_tumour_resection": False, "anastomosis": False, "ostomy": False,
                     "hipec_drug": "oxaliplatin", "cc_score": 1, "r_class": "R0"},
         "pci_regions"),
    ],
)  # fmt: skip
def test_validators_refuse_what_the_scoring_library_refuses(
    form: str, values: dict[str, object], item: str | None
) -> None:
    problems = validate_record(CAIRO6, CAIRO6.form(form), values, {}).problems
    assert (item in {p.field for p in problems}) if item else problems == []
