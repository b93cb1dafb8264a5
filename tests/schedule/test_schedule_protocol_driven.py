"""The calendar follows the protocol's windows and regimens: change the data, the dates follow."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from cairo6.errors import ScheduleError
from cairo6.protocol import (
    Event,
    Protocol,
    default_protocol_text,
    protocol_from_dict,
    read_protocol_file,
)
from cairo6.schedule import (
    Course,
    CycleGiven,
    EarlyStop,
    Procedure,
    Status,
    Treatment,
    build_calendar,
    check_compliance,
    due_or_overdue,
)

D = dt.date.fromisoformat
RANDOMISED = D("2018-03-01")
CAPOX_DATES = [D("2018-03-12"), D("2018-04-02"), D("2018-04-23"), D("2018-05-14")]
Build = Callable[..., Protocol]
TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"


def capox(n: int, stop: bool = False, procedure: Procedure | None = None) -> Course:
    cycles = tuple(CycleGiven(k, day) for k, day in enumerate(CAPOX_DATES[:n], start=1))
    treatment = Treatment("CAPOX-B", cycles, stop=EarlyStop(n) if stop else None)
    return Course("experimental", RANDOMISED, treatment, procedure=procedure)


def test_changed_max_days_moves_the_surgery_deadline(protocol_with: Build) -> None:
    shorter = protocol_with(surgery_after_last_cycle={"max_days": 35})
    span = build_calendar(shorter, capox(4)).procedure_window
    assert span is not None
    assert span.latest == CAPOX_DATES[-1] + dt.timedelta(days=35)
    late = capox(4, procedure=Procedure(CAPOX_DATES[-1] + dt.timedelta(days=40), True))
    got = {c.window.id: c for c in check_compliance(build_calendar(shorter, late), D("2018-07-01"))}
    assert got["surgery_after_last_cycle"].describe() == "missed by 5 days (late)"


def test_conflicting_windows_are_reported_not_resolved(
    protocol: Protocol, protocol_with: Build
) -> None:
    # Stopped after cycle 2 with bevacizumab in it: >= 42 days and <= 35 days after one date.
    as_published = build_calendar(protocol, capox(2, stop=True)).procedure_window
    assert as_published is not None
    assert as_published.conflict is None
    shorter = protocol_with(surgery_after_last_cycle={"max_days": 35})
    cal = build_calendar(shorter, capox(2, stop=True))
    span = cal.procedure_window
    assert span is not None
    assert span.conflict is not None
    assert "surgery_after_bevacizumab needs on or after 2018-05-14" in span.conflict
    assert "surgery_after_last_cycle needs on or before 2018-05-07" in span.conflict
    items = due_or_overdue(cal, D("2018-04-10"))
    assert [(i.what, i.status) for i in items if i.what == "surgery"] == [("surgery", "conflict")]


def test_min_days_on_the_start_window_moves_the_plan(protocol_with: Build) -> None:
    later = protocol_with(neoadjuvant_start={"min_days": 7, "max_days": 14})
    cal = build_calendar(later, capox(0))
    assert cal.neoadjuvant[0].planned == RANDOMISED + dt.timedelta(days=7)
    start = cal.range_for(Event.FIRST_NEOADJUVANT_CYCLE)
    assert start is not None
    assert (start.earliest, start.latest) == (D("2018-03-08"), D("2018-03-15"))
    early = Course(
        "experimental", RANDOMISED, Treatment("CAPOX-B", (CycleGiven(1, D("2018-03-05")),))
    )
    check = next(
        c
        for c in check_compliance(build_calendar(later, early), D("2018-03-20"))
        if c.window.id == "neoadjuvant_start"
    )
    assert check.describe() == "missed by 3 days (early)"


def test_requires_come_from_the_protocol(protocol_with: Build) -> None:
    loose = protocol_with(adjuvant_start={"requires": []})
    course = capox(4, procedure=Procedure(D("2018-06-15"), complete=False))
    got = {c.window.id: c for c in check_compliance(build_calendar(loose, course), D("2018-10-01"))}
    assert got["adjuvant_start"].status is Status.OVERDUE


def test_control_deadline_follows_the_protocol(protocol_with: Build) -> None:
    changed = protocol_with(control_surgery={"max_days": 56})
    span = build_calendar(changed, Course("control", RANDOMISED)).procedure_window
    assert span is not None
    assert span.latest == RANDOMISED + dt.timedelta(days=56)


def test_messages_use_the_words_the_protocol_gives() -> None:
    # Another trial names its procedure and assessment; no message keeps CAIRO6's words.
    raw = tomllib.loads(default_protocol_text())
    raw["index_procedure"] = {"label": "operation", "complete": "radical"}
    raw["assessment"] = {"label": "response MRI", "cycle_label": "response cycle"}
    other = protocol_from_dict(raw)
    course = capox(4, procedure=Procedure(D("2018-06-15"), complete=False))
    got = {c.window.id: c for c in check_compliance(build_calendar(other, course), D("2018-10-01"))}
    assert got["adjuvant_start"].reason == "operation was not radical"
    pending = build_calendar(other, capox(3))
    assert pending.label(Event.INDEX_PROCEDURE) == "operation"
    assert [i.what for i in due_or_overdue(pending, D("2018-05-01"))] == ["response MRI"]
    with pytest.raises(ScheduleError, match="before operation"):
        build_calendar(other, capox(4, procedure=Procedure(CAPOX_DATES[2], complete=True)))


def test_a_visit_schedule_without_regimens_still_plans() -> None:
    # The toy study (three arms, no regimens, no windows): an empty treatment calendar.
    toy = read_protocol_file(TOY / "protocol.toml")
    calendar = build_calendar(toy, Course(toy.arms[0].id, RANDOMISED))
    assert (calendar.neoadjuvant, calendar.adjuvant, calendar.windows) == ((), (), ())
    assert calendar.ranges == {}
    assert due_or_overdue(calendar, D("2019-01-01")) == ()
    assert calendar.label(Event.RANDOMISATION) == "randomisation"
