"""A course read from form records through the protocol's declarations: the same course whether
the values come as the form store keeps them or as the analysis extract gives them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from cairo6.protocol import Protocol, read_protocol_file
from cairo6.schedule import (
    Course,
    CycleGiven,
    EarlyStop,
    Procedure,
    Switch,
    Treatment,
    build_calendar,
    course_from_records,
)
from tests.schedule.test_schedule_protocol_driven import TOY

D = dt.date.fromisoformat
RANDOMISED = D("2018-03-01")


def _cycle(number: int, day: str, regimen: str, **more: Any) -> dict[str, Any]:
    return {
        "phase": "neoadjuvant",
        "cycle_number": number,
        "given_on": day,
        "regimen": regimen,
        "bevacizumab_given": None,
        "dose_reduced": False,
        "switched_from": None,
        "switch_reason": None,
        "stopped_after": False,
        "stop_reason": None,
    } | more


STORED = {
    "cycle": [
        _cycle(2, "2018-03-26", "FOLFIRI-B", switched_from="FOLFOX-B", switch_reason="neuropathy"),
        _cycle(1, "2018-03-12", "FOLFOX-B", dose_reduced=True),
        _cycle(3, "2018-04-09", "FOLFIRI-B", bevacizumab_given=False, stopped_after=True),
        _cycle(1, "2018-06-01", "CAP", phase="adjuvant"),
    ],
    "restaging": [{"ct_date": "2018-04-20"}],
    "surgery": [{"surgery_date": "2018-05-15", "macroscopic_complete": True}],
}

EXPECTED = Course(
    arm="experimental",
    randomised=RANDOMISED,
    neoadjuvant=Treatment(
        regimen="FOLFOX-B",
        cycles=(
            CycleGiven(1, D("2018-03-12"), "FOLFOX-B", None, reduced_dose=True),
            CycleGiven(2, D("2018-03-26"), "FOLFIRI-B", None),
            CycleGiven(3, D("2018-04-09"), "FOLFIRI-B", False),
        ),
        switch=Switch(2, "FOLFIRI-B", "neuropathy"),
        stop=EarlyStop(3, D("2018-04-09"), ""),
    ),
    assessment=D("2018-04-20"),
    procedure=Procedure(D("2018-05-15"), complete=True),
    adjuvant=Treatment(regimen="CAP", cycles=(CycleGiven(1, D("2018-06-01"), "CAP", None),)),
)


def test_stored_documents_read_as_the_course(protocol: Protocol) -> None:
    course = course_from_records(protocol, "experimental", RANDOMISED, STORED)
    assert course == EXPECTED
    build_calendar(protocol, course)  # a valid course for the protocol


def test_extract_values_read_the_same(protocol: Protocol) -> None:
    def extracted(doc: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if isinstance(value, str) and key.endswith(("_on", "_date")):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(value, bool):
                value = np.bool_(value)
            elif isinstance(value, int):
                value = np.int64(value)
            elif value is None:
                value = float("nan")
            out[key] = value
        return out

    frames = {form: [extracted(d) for d in docs] for form, docs in STORED.items()}
    assert course_from_records(protocol, "experimental", RANDOMISED, frames) == EXPECTED


def test_incomplete_procedure_and_undated_cycles(protocol: Protocol) -> None:
    records = {
        "cycle": [_cycle(1, "2018-03-12", "CAPOX-B"), _cycle(2, "", "CAPOX-B")],
        "surgery": [{"surgery_date": "2018-05-15", "macroscopic_complete": False}],
    }
    course = course_from_records(protocol, "experimental", RANDOMISED, records)
    assert course.neoadjuvant is not None
    assert [c.number for c in course.neoadjuvant.cycles] == [1]
    assert course.procedure == Procedure(D("2018-05-15"), complete=False)
    assert course.assessment is None


def test_a_study_that_declares_no_cycles_has_no_phases() -> None:
    toy = read_protocol_file(TOY / "protocol.toml")
    course = course_from_records(toy, toy.arms[0].id, RANDOMISED, STORED)
    assert (course.neoadjuvant, course.adjuvant, course.procedure) == (None, None, None)
