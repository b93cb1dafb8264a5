"""ODM 1.3 study metadata read as forms, and the study's forms written as ODM and read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.study import bundled_study_folder, read_study
from cairo6.study.imported import ImportResult
from cairo6.study.models import DataType, Form, Item, Severity
from cairo6.study.odm import read_odm_metadata
from cairo6.study.odm_export import forms_to_odm
from cairo6.study.redcap import read_dictionary

DATA = Path(__file__).parent / "data"
CREATED = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return read_odm_metadata((DATA / "odm_metadata.xml").read_text(encoding="utf-8"))


def item(result: ImportResult, ref: str) -> Item:
    form_id, _, item_id = ref.partition(".")
    found = next(f for f in result.forms if f.id == form_id).item(item_id)
    assert found is not None, ref
    return found


def listed(result: ImportResult) -> set[tuple[str, str]]:
    return {(u.where, u.what) for u in result.unmapped}


def test_forms_groups_and_items_follow_the_metadata(result: ImportResult) -> None:
    assert (result.study_id, result.title) == ("HEART-01", "HEART-01 synthetic heart failure trial")
    assert [(f.id, f.label) for f in result.forms] == [
        ("demographics_v1", "Demographics - V1"),
        ("vitals_v1", "Vital signs - V1"),
        ("pregnancy_v1", "Pregnancy - V1"),
    ]
    demog = result.forms[0]
    assert [g.id for g in demog.groups] == ["demog_ungrouped"]
    assert [i.id for i in demog.items()] == [
        "brthdat", "sex", "pregnant", "age", "race", "nyha", "conmed",
    ]  # fmt: skip


def test_item_definitions_map(result: ImportResult) -> None:
    sex = item(result, "demographics_v1.sex")
    assert (sex.type, sex.codelist, sex.required, sex.sdtm) == (DataType.CODED, "sex", True, "SEX")
    assert (sex.label, sex.help) == ("Sex", "Sex as recorded in the chart")  # English chosen
    weight = item(result, "vitals_v1.weight")
    assert (weight.type, weight.unit, weight.min, weight.max) == (DataType.DECIMAL, "kg", 20, None)
    assert item(result, "vitals_v1.vsdone").type is DataType.BOOLEAN
    assert item(result, "demographics_v1.brthdat").type is DataType.DATE
    # GT 17 on an integer is min 18.
    age = item(result, "demographics_v1.age")
    assert (age.min, age.max) == (18, 110)


def test_code_lists_with_decodes_and_enumerated_items(result: ImportResult) -> None:
    lists = {c.id: c for c in result.codelists}
    assert [(c.value, c.label) for c in lists["sex"].codes] == [("M", "Male"), ("F", "Female")]
    assert lists["nyha"].values() == ("1", "2", "3", "4")
    assert lists["ny"].label == "No Yes"
    # An external dictionary has no code list here: the item stays text and is listed.
    assert item(result, "demographics_v1.race").type is DataType.TEXT
    assert ("CL_RACE_EXT", "ExternalCodeList") in listed(result)


def test_range_checks_that_are_not_item_limits_become_edit_checks(result: ImportResult) -> None:
    checks = {c.id: c for c in result.checks}
    assert checks["brthdat_ge"].severity is Severity.SOFT
    assert checks["brthdat_ge"].rule == Condition(
        field="brthdat", op="ge", value=dt.date(1900, 1, 1)
    )
    assert checks["brthdat_ge"].message == "Date of birth before 1900: please check"
    assert checks["age_lt"].rule == Condition(field="age", op="lt", value=95)
    assert checks["nyha_in"].rule == Condition(field="nyha", op="in", value=["2", "3"])
    assert checks["nyha_in"].severity is Severity.HARD
    # LT on a decimal cannot be a max (the limit itself is refused), so it is a hard check.
    assert checks["weight_lt"].rule == Condition(field="weight", op="lt", value=300.0)


def test_collection_exceptions_become_visible_when(result: ImportResult) -> None:
    # "Not collected when SEX != 'F'" is "asked when sex = F".
    assert item(result, "demographics_v1.pregnant").visible_when == Condition(
        field="sex", op="eq", value="F"
    )
    assert item(result, "demographics_v1.conmed").visible_when is None
    [xpath] = [u for u in result.unmapped if u.where == "demographics_v1.conmed"
               and u.what == "collection exception"]  # fmt: skip
    assert xpath.detail.startswith("C_XPATH (XPath): count(")


def test_a_group_exception_holds_for_each_item_with_the_items_own(result: ImportResult) -> None:
    female = Condition(field="demographics_v1.sex", op="eq", value="F")
    assert item(result, "pregnancy_v1.pregweeks").visible_when == female
    assert item(result, "pregnancy_v1.duedat").visible_when == Condition(
        all=[female, Condition(field="pregweeks", op="ge", value=12)]
    )


def test_what_does_not_map_is_listed(result: ImportResult) -> None:
    assert {
        ("demographics_v1.age", "MethodDef"),
        ("demographics_v1.sex", "ItemDef/ItemRef attributes"),
        ("demographics_v1 IG_DEMOG_UNGROUPED", "ItemGroupDef attributes"),
        ("vitals_v1.vstime", "data type"),
        ("vitals_v1", "repeating item group"),
        ("C_UNUSED", "ConditionDef"),
        ("SE_BASELINE", "StudyEventDef"),
        ("F_DEMOGRAPHICS_V1", "vendor extension"),
        ("I_DEMOG_SEX", "vendor extension"),
        ("v1.0.0", "vendor extension"),
    } <= listed(result)
    assert next(f for f in result.forms if f.id == "vitals_v1").repeating


def test_documents_with_a_doctype_or_not_odm_are_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;">]><ODM>&lol2;</ODM>'
    )
    with pytest.raises(InvalidValueError, match="document type declaration"):
        read_odm_metadata(bomb)
    with pytest.raises(InvalidValueError, match="well-formed XML"):
        read_odm_metadata("<ODM><Study>")
    with pytest.raises(InvalidValueError, match="<ODM> root"):
        read_odm_metadata("<html/>")
    with pytest.raises(InvalidValueError, match="study metadata"):
        read_odm_metadata('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"/>')


def _same_forms(before: tuple[Form, ...], after: tuple[Form, ...]) -> None:
    assert [f.id for f in after] == [f.id for f in before]
    for old, new in zip(before, after, strict=True):
        assert (new.label, new.description, new.repeating) == (
            old.label,
            old.description,
            old.repeating,
        )
        assert [(g.id, g.label) for g in new.groups] == [(g.id, g.label) for g in old.groups]
        # What ODM carries comes back; widgets, derivations, validators and lists do not.
        ignored = {"widget", "derived", "validate_with", "repeated"}
        assert [i.model_dump(exclude=ignored) for i in new.items()] == [
            i.model_dump(exclude=ignored) for i in old.items()
        ]


def test_round_trip_of_the_bundled_study_forms() -> None:
    study = read_study(bundled_study_folder())
    xml = forms_to_odm(study.id, study.manifest.title, study.forms, study.codelists, CREATED)
    back = read_odm_metadata(xml)
    _same_forms(study.forms, back.forms)
    # The protocol's regimens travel as a code list of their own (ODM keeps no `source`).
    assert {c.id: c for c in back.codelists} == {
        c.id: c.model_copy(update={"source": ""}) for c in study.codelists
    }
    assert back.checks == ()
    assert (back.study_id, back.title) == (study.id, study.manifest.title)
    assert {u.what for u in back.unmapped} <= {"StudyEventDef", "MethodDef"}


def test_round_trip_keeps_branching_rules_and_derivations_are_listed() -> None:
    imported = read_dictionary((DATA / "redcap_dictionary.csv").read_text(encoding="utf-8"))
    xml = forms_to_odm("DEMO", "Demo", imported.forms, imported.codelists, CREATED)
    back = read_odm_metadata(xml)
    _same_forms(imported.forms, back.forms)
    assert back.codelists == imported.codelists
    shown = [i.visible_when for f in back.forms for i in f.items() if i.visible_when]
    assert len(shown) == 9
    methods = {u.where for u in back.unmapped if u.what == "MethodDef"}
    assert methods == {"enrolment.bsa", "visit.days_from_consent"}


def test_bytes_are_read_in_the_encoding_the_document_declares() -> None:
    text = (DATA / "odm_metadata.xml").read_text(encoding="utf-8")
    latin = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        "<TranslatedText>Weight</TranslatedText>", "<TranslatedText>Körpergewicht</TranslatedText>"
    )
    result = read_odm_metadata(latin.encode("iso-8859-1"))
    assert item(result, "vitals_v1.weight").label == "Körpergewicht"
    bomb = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "a">]><ODM>&a;</ODM>'
    with pytest.raises(InvalidValueError, match="document type declaration"):
        read_odm_metadata(bomb.encode("utf-16"))


def test_metadata_without_forms_is_refused() -> None:
    define = (
        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S"><MetaDataVersion OID="M">'
        '<ItemGroupDef OID="IG.DM" Name="DM" Repeating="No"/></MetaDataVersion></Study></ODM>'
    )
    with pytest.raises(InvalidValueError, match="Define-XML"):
        read_odm_metadata(define)
