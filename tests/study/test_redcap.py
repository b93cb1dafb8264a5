"""A REDCap data dictionary read as forms: every field type, branching, checks and the leftovers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.study.imported import ImportResult, Unmapped
from cairo6.study.models import DataType, Form, Item, Severity, Widget
from cairo6.study.redcap import COLUMNS, read_dictionary

DICTIONARY = Path(__file__).parent / "data" / "redcap_dictionary.csv"


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return read_dictionary(DICTIONARY.read_text(encoding="utf-8"))


def form(result: ImportResult, form_id: str) -> Form:
    return next(f for f in result.forms if f.id == form_id)


def item(result: ImportResult, ref: str) -> Item:
    form_id, _, item_id = ref.partition(".")
    found = form(result, form_id).item(item_id)
    assert found is not None, ref
    return found


def unmapped(result: ImportResult, where: str) -> list[Unmapped]:
    return [u for u in result.unmapped if u.where == where]


def test_instruments_become_forms_and_section_headers_item_groups(result: ImportResult) -> None:
    assert [f.id for f in result.forms] == ["enrolment", "visit", "adverse_events"]
    enrolment = form(result, "enrolment")
    assert [(g.id, g.label) for g in enrolment.groups] == [
        ("identification", "Identification"),
        ("demographics", "Demographics"),
        ("lifestyle", "Lifestyle"),
        ("symptoms_at_baseline", "Symptoms at baseline"),
    ]
    assert [i.id for i in enrolment.groups[1].items] == [
        "sex", "dob", "age", "pregnant", "height", "weight", "bsa",
    ]  # fmt: skip
    assert form(result, "adverse_events").label == "Adverse events"


def test_field_types_map_onto_data_types(result: ImportResult) -> None:
    types = {
        "enrolment.initials": DataType.TEXT,
        "enrolment.email": DataType.TEXT,
        "enrolment.consent_date": DataType.DATE,
        "enrolment.dob": DataType.DATE,
        "enrolment.age": DataType.INTEGER,
        "enrolment.height": DataType.DECIMAL,
        "enrolment.weight": DataType.DECIMAL,
        "enrolment.sex": DataType.CODED,
        "enrolment.smoker": DataType.CODED,
        "enrolment.pregnant": DataType.BOOLEAN,
        "visit.resp_ok": DataType.BOOLEAN,
        "visit.assessed_at": DataType.DATETIME,
        "visit.visit_time": DataType.TEXT,
        "visit.notes": DataType.TEXT,
    }
    assert {ref: item(result, ref).type for ref in types} == types
    assert item(result, "visit.notes").widget is Widget.TEXTAREA
    assert item(result, "enrolment.sex").widget is Widget.RADIO
    assert item(result, "enrolment.smoker").widget is Widget.DEFAULT


def test_required_range_and_field_note(result: ImportResult) -> None:
    age = item(result, "enrolment.age")
    assert (age.required, age.min, age.max, age.help) == (True, 18, 90, "years")
    assert item(result, "enrolment.dob").help == "DD-MM-YYYY"
    assert not item(result, "enrolment.email").required


def test_choices_become_code_lists_with_labels(result: ImportResult) -> None:
    lists = {c.id: c for c in result.codelists}
    assert [(c.value, c.label) for c in lists["sex"].codes] == [("1", "Male"), ("2", "Female")]
    assert item(result, "enrolment.sex").codelist == "sex"
    # The same choices on two fields share one list.
    assert item(result, "visit.qol_selfcare").codelist == "qol_mobility"
    assert lists["smoker"].values() == ("0", "1", "2", "minus_1")
    assert unmapped(result, "enrolment.smoker")[0].detail == "-1"


def test_each_checkbox_choice_is_a_boolean_item(result: ImportResult) -> None:
    ids = [i.id for i in form(result, "enrolment").groups[3].items[:4]]
    assert ids == ["symptoms___1", "symptoms___2", "symptoms___3", "symptoms___99"]
    nausea = item(result, "enrolment.symptoms___2")
    assert (nausea.type, nausea.label) == (DataType.BOOLEAN, "Symptoms: Nausea")
    assert any(u.what == "required checkbox" for u in unmapped(result, "enrolment.symptoms"))


def test_branching_logic_becomes_visible_when(result: ImportResult) -> None:
    assert item(result, "enrolment.pregnant").visible_when == Condition(
        field="sex", op="eq", value="2"
    )
    assert item(result, "enrolment.pack_years").visible_when == Condition(
        any=[
            Condition(field="smoker", op="eq", value="1"),
            Condition(field="smoker", op="eq", value="2"),
        ]
    )
    assert item(result, "enrolment.nausea_grade").visible_when == Condition(
        field="symptoms___2", op="eq", value=True
    )
    analgesics = item(result, "enrolment.analgesics").visible_when
    assert analgesics is not None
    assert analgesics.describe() == (
        "pain_score one of [4, 5, 6, 7, 8, 9, 10] and (age ≥ 18 or pregnant ≠ yes)"
    )
    # "Is filled in" holds for any recorded text and is unknown, so hidden, when blank.
    filled = item(result, "enrolment.other_days").visible_when
    assert filled == Condition(field="symptom_other", op="ne", value="")
    assert filled.evaluate({"symptom_other": "itch"}) is True
    assert filled.evaluate({}) is None
    assert item(result, "visit.dbp_check").visible_when == Condition(
        field="dbp", op="lt", other="sbp"
    )
    assert item(result, "adverse_events.ae_serious").visible_when == Condition(
        field="ae_grade", op="in", value=["3", "4", "5"]
    )


def test_branching_that_does_not_map_is_listed_and_the_item_kept(result: ImportResult) -> None:
    for ref, source in (
        ("visit.since_visit", "datediff([visit_date],'today','d') > 30"),
        ("visit.followup_ok", "[enrolment_arm_1][age] > 18"),
        ("visit.blank_test", "[sbp] = ''"),
    ):
        assert item(result, ref).visible_when is None
        [entry] = [u for u in unmapped(result, ref) if u.what == "branching logic"]
        assert entry.detail == source
        assert "always shown" in entry.why


def test_simple_calculations_name_a_scoring_function(result: ImportResult) -> None:
    bsa = item(result, "enrolment.bsa")
    assert bsa.derived is not None
    assert (bsa.derived.function, bsa.derived.inputs) == (
        "body_surface_area",
        {"height_cm": "height", "weight_kg": "weight"},
    )
    days = item(result, "visit.days_from_consent")
    assert days.derived is not None
    assert days.derived.function == "days_between"
    assert days.derived.inputs == {"start": "enrolment.consent_date", "end": "visit_date"}
    assert form(result, "enrolment").item("bmi") is None
    [bmi] = unmapped(result, "enrolment.bmi")
    assert bmi.what == "calculation"
    assert bmi.detail.startswith("round([weight]")


def test_date_limits_become_edit_checks(result: ImportResult) -> None:
    checks = {c.id: c for c in result.checks}
    assert checks["consent_date_min"].rule == Condition(
        field="consent_date", op="ge", value=dt.date(2024, 1, 1)
    )
    assert checks["consent_date_min"].severity is Severity.HARD  # @FORCE-MINMAX
    assert checks["consent_date_max"].rule == Condition(
        field="consent_date", op="le", other="@today"
    )
    assert checks["ae_onset_min"].severity is Severity.SOFT
    assert checks["ae_onset_min"].form == "adverse_events"


def test_everything_without_a_place_is_listed(result: ImportResult) -> None:
    listed = {(u.where, u.what) for u in result.unmapped}
    assert {
        ("(project)", "project settings"),
        ("enrolment.record_id", "record id field"),
        ("enrolment.initials", "identifier flag"),
        ("enrolment.email", "text validation"),
        ("enrolment.info_text", "field type 'descriptive'"),
        ("visit.vas", "field type 'slider'"),
        ("visit.notes", "field annotation"),
        ("visit.sbp", "custom alignment"),
        ("visit.qol_mobility", "matrix group"),
        ("visit.sbp", "range severity"),
        ("adverse_events.ae_report", "field type 'file'"),
        ("adverse_events.ae_signature", "field type 'signature'"),
    } <= listed
    # @FORCE-MINMAX makes REDCap's range hard, as min/max are here: nothing to report.
    assert ("enrolment.height", "range severity") not in listed
    # Every field of the dictionary is either an item or listed.
    names = {line.split(",")[0] for line in DICTIONARY.read_text().splitlines()[1:]}
    items = {i.id.partition("___")[0] for f in result.forms for i in f.items()}
    listed_fields = {u.where.partition(".")[2] for u in result.unmapped}
    assert names <= items | listed_fields


def test_a_file_that_is_not_a_dictionary_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="18 columns"):
        read_dictionary("name,type\nage,integer\n")
    header = ",".join(f'"{c}"' for c in COLUMNS)
    with pytest.raises(InvalidValueError, match="at least one field"):
        read_dictionary(header + "\n")
    with pytest.raises(InvalidValueError, match="makes an item"):
        read_dictionary(
            header + "\nrecord_id,a,,text,ID,,,,,,,,,,,,,\nnote,a,,descriptive,Hi,,,,,,,,,,,,,\n"
        )


def test_the_api_export_with_snake_case_headings_reads_alike(result: ImportResult) -> None:
    api = (
        "field_name,form_name,section_header,field_type,field_label,"
        "select_choices_or_calculations,field_note,text_validation_type_or_show_slider_number,"
        "text_validation_min,text_validation_max,identifier,branching_logic,required_field,"
        "custom_alignment,question_number,matrix_group_name,matrix_ranking,field_annotation"
    )
    lines = DICTIONARY.read_text(encoding="utf-8").splitlines()
    again = read_dictionary("\n".join([api, *lines[1:]]))
    assert again.forms == result.forms
    assert again.unmapped == result.unmapped


def test_a_field_that_is_no_valid_item_is_listed_not_raised() -> None:
    header = ",".join(f'"{c}"' for c in COLUMNS)
    rows = [
        "record_id,main,,text,ID,,,,,,,,,,,,,",
        "dose,main,,text,Dose,,,number,10,5,,,,,,,,",
        "weight,main,,text,Weight,,,number,1,2,,,,,,,,@FORCE-MINMAX",
    ]
    result = read_dictionary("\n".join([header, *rows]))
    assert [i.id for i in result.forms[0].items()] == ["weight"]
    [bad] = [u for u in result.unmapped if u.where == "main.dose" and u.what == "field"]
    assert "greater than max" in bad.why


def test_a_file_the_csv_reader_cannot_read_is_refused_plainly() -> None:
    header = ",".join(f'"{c}"' for c in COLUMNS)
    huge = "x" * 200_000  # longer than any CSV field the reader accepts
    with pytest.raises(InvalidValueError, match="a CSV file"):
        read_dictionary(f"{header}\nnote,main,,notes,{huge},,,,,,,,,,,,,\n")
