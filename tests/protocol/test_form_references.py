"""The forms and items a protocol names (index procedure, assessment, cycles, deviation record)
are checked against the study's forms, each problem with its file and key."""

from __future__ import annotations

import pytest

from cairo6.errors import StudyError
from cairo6.study import bundled_study_folder
from cairo6.study.loader import read_study_texts, study_from_texts


def _issues(old: str, new: str) -> list[str]:
    texts = read_study_texts(bundled_study_folder("cairo6"))
    assert old in texts["protocol.toml"]
    texts["protocol.toml"] = texts["protocol.toml"].replace(old, new)
    with pytest.raises(StudyError) as error:
        study_from_texts(texts, "edited copy")
    return [str(issue) for issue in error.value.issues]


def test_every_reference_of_the_bundled_protocol_resolves() -> None:
    study = study_from_texts(read_study_texts(bundled_study_folder("cairo6")), "cairo6")
    assert study.protocol is not None
    refs = study.protocol.form_references()
    assert {key for key, _, _ in refs} >= {
        "index_procedure.complete_item",
        "assessment.date_item",
        "cycle_record.switch_why_item",
        "deviation_record.text_item",
    }
    for _, form, item in refs:
        assert item == "" or study.form(form).item(item) is not None


def test_an_unknown_item_is_named_with_its_key() -> None:
    issues = _issues('complete_item = "macroscopic_complete"', 'complete_item = "complete"')
    assert issues == [
        "protocol.toml: index_procedure.complete_item: item 'complete' is not on form 'surgery'"
    ]


def test_an_unknown_form_is_named_once() -> None:
    issues = _issues('[cycle_record]\nform = "cycle"', '[cycle_record]\nform = "course"')
    assert issues == ["protocol.toml: cycle_record.form: form 'course' is not declared"]
