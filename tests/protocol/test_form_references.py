"""The forms and items a protocol names (the deviation record) are checked against the study's
forms, each problem with its file and key."""

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
    assert {key for key, _, _ in refs} == {
        "deviation_record.form",
        "deviation_record.text_item",
        "deviation_record.values.category",
    }
    for _, form, item in refs:
        assert item == "" or study.form(form).item(item) is not None


def test_an_unknown_item_is_named_with_its_key() -> None:
    issues = _issues('text_item = "description"', 'text_item = "why"')
    assert issues == [
        "protocol.toml: deviation_record.text_item: item 'why' is not on form 'deviation'"
    ]


def test_an_unknown_form_is_named_once() -> None:
    issues = _issues('[deviation_record]\nform = "deviation"', '[deviation_record]\nform = "pd"')
    assert issues == ["protocol.toml: deviation_record.form: form 'pd' is not declared"]
