"""A broken study definition is reported in full, each problem with its file and key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cairo6.errors import StudyError
from cairo6.study import bundled_study_folder
from cairo6.study.loader import read_study_texts, study_from_texts


def _broken(file: str, edit: Callable[[str], str]) -> list[str]:
    texts = read_study_texts(bundled_study_folder("cairo6"))
    texts[file] = edit(texts[file])
    with pytest.raises(StudyError) as error:
        study_from_texts(texts, "edited copy")
    return [str(issue) for issue in error.value.issues]


def test_the_bundled_studies_are_valid() -> None:
    for name in ("cairo6", "indo_rct"):
        study_from_texts(read_study_texts(bundled_study_folder(name)), name)


def test_an_unknown_item_in_a_rule() -> None:
    issues = _broken(
        "checks.toml",
        lambda t: t.replace('other = "discharge.discharge_date"', 'other = "discharge.left_on"'),
    )
    assert issues == [
        f"checks.toml: checks[{check}].rule: item 'discharge.left_on' is not declared "
        "(write form.item)"
        for check in ("surgery_before_discharge", "readmission_after_discharge")
    ]


def test_a_missing_code_list() -> None:
    issues = _broken(
        "forms.toml", lambda t: t.replace('codelist = "histology"', 'codelist = "histo"')
    )
    assert issues == [
        "forms.toml: forms[baseline].groups[main].items[histology].codelist: code list 'histo' "
        "is not declared under [[codelists]]"
    ]


def test_a_cycle_in_the_forms_dependencies() -> None:
    issues = _broken(
        "forms.toml",
        lambda t: t.replace(
            'id = "surgery"\nlabel = "Surgery"',
            'id = "surgery"\nlabel = "Surgery"\nrequires = ["readmission"]',
        ),
    )
    assert any("cycle: surgery -> readmission -> discharge -> surgery" in i for i in issues), issues


def test_an_endpoint_on_a_missing_item_and_a_missing_population() -> None:
    issues = _broken(
        "analysis.toml",
        lambda t: t.replace(
            'item = "surgery.operating_time_min"', 'item = "surgery.duration"'
        ).replace(
            'population = "surgical"\nitem = "discharge',
            'population = "operated"\nitem = "discharge',
        ),
    )
    assert (
        "analysis.toml: endpoints[operating_time].item: item 'surgery.duration' is not declared"
        in issues
    )
    assert any(i.startswith("analysis.toml: endpoints[length_of_stay].population:") for i in issues)


def test_problems_in_several_files_come_together() -> None:
    texts = read_study_texts(bundled_study_folder("cairo6"))
    texts["forms.toml"] = texts["forms.toml"].replace('type = "boolean"', 'type = "bool"', 1)
    texts["flow.toml"] = texts["flow.toml"].replace('parent = "screened"', 'parent = "seen"')
    texts["checks.toml"] = texts["checks.toml"].replace('severity = "soft"', 'severity = "maybe"')
    with pytest.raises(StudyError) as error:
        study_from_texts(texts, "edited copy")
    files = {issue.file for issue in error.value.issues}
    assert files == {"forms.toml", "flow.toml", "checks.toml"}
