"""A participant's record as people read it: forms, treatment calendar and windows.

Generated from the study definition: the participant's records of every form (derived items
included), and, for a protocol with regimens, the calendar built from the records the
definition's `[course]` map names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairo6.errors import Cairo6Error
from cairo6.schedule import (
    ActionItem,
    Calendar,
    Course,
    CycleGiven,
    EarlyStop,
    Procedure,
    Switch,
    Treatment,
    WindowCheck,
    build_calendar,
    check_compliance,
    due_or_overdue,
)
from cairo6.service.concealment import arm_for, diagnostic_for, hidden_forms
from cairo6.service.permissions import Action
from cairo6.service.records import Records, records_in
from cairo6.service.trial import Trial, allocation, participant
from cairo6.store.audit import Actor
from cairo6.store.schema import Centre
from cairo6.study.models import CourseMap
from cairo6.study.study import Study


@dataclass
class ParticipantView:
    """Everything shown on a participant's page."""

    study_number: str
    centre: str
    enrolled_on: dt.date
    arm: str | None
    """None for a blinded reader (no `VIEW_ALLOCATION`), who gets no calendar either."""
    sequence_number: int
    levels: dict[str, Any]
    diagnostic: dict[str, Any] | None
    records: Records
    """Form id -> [(record key, typed items)], in the definition's form order."""
    calendar: Calendar | None = None
    compliance: tuple[WindowCheck, ...] = ()
    actions: tuple[ActionItem, ...] = ()
    problems: list[str] = field(default_factory=list)


def _treatment(course: CourseMap, cycles: Sequence[Mapping[str, Any]]) -> Treatment | None:
    if not cycles:
        return None
    role = course.cycle_items()

    def get(cycle: Mapping[str, Any], name: str) -> Any:
        return cycle.get(role[name]) if name in role else None

    ordered = sorted(cycles, key=lambda c: get(c, "number") or 0)
    switch = next(
        (
            Switch(get(c, "number"), get(c, "regimen"), get(c, "switch_why") or "")
            for c in ordered
            if get(c, "switch_from")
        ),
        None,
    )
    stop = next(
        (
            EarlyStop(get(c, "number"), get(c, "day1"), get(c, "stop_why") or "")
            for c in ordered
            if get(c, "stopped")
        ),
        None,
    )
    given = tuple(
        # number, day 1, regimen, antiangiogenic given, dose reduced (the calendar's order)
        CycleGiven(
            get(c, "number"),
            get(c, "day1"),
            get(c, "regimen"),
            get(c, "antiangiogenic"),
            bool(get(c, "reduced")),
        )
        for c in ordered
    )
    started = get(ordered[0], "switch_from") or get(ordered[0], "regimen")
    return Treatment(regimen=started, cycles=given, switch=switch, stop=stop)


def _first(records: Records, ref: str | None) -> Any:
    """The value of `form.item` in the participant's first record of the form, or None."""
    if ref is None:
        return None
    form, _, item = ref.partition(".")
    found = records.get(form) or []
    return found[0][1].get(item) if found else None


def course_of(study: Study, records: Records, arm: str, randomised: dt.date) -> Course | None:
    """The schedule's view of what happened, from the records the `[course]` map names; None
    for a study without one."""
    course = study.course
    if course is None:
        return None
    cycles = [values for _key, values in records.get(course.cycles, [])]
    phase = course.phase
    operated = _first(records, course.operation)
    operation = (
        Procedure(operated, bool(_first(records, course.operation_complete))) if operated else None
    )
    # arm, randomised, first phase, scan, operation, second phase (the calendar's order)
    return Course(
        arm,
        randomised,
        _treatment(course, [c for c in cycles if c.get(phase) == "neoadjuvant"]),
        _first(records, course.scan),
        operation,
        _treatment(course, [c for c in cycles if c.get(phase) == "adjuvant"]),
    )


def view(trial: Trial, actor: Actor, study_number: str, on: dt.date) -> ParticipantView:
    """The participant's page on the reference date `on`."""
    study = trial.definition()
    with trial.db.read() as session:
        person = participant(session, actor, study_number, Action.VIEW_PARTICIPANT)
        alloc = allocation(session, person.id)
        assert alloc is not None  # a participant exists only once randomised
        centre = session.get_one(Centre, person.centre_id)
        result = ParticipantView(
            study_number=person.study_number,
            centre=centre.code,
            enrolled_on=person.enrolled_on,
            arm=arm_for(actor, alloc.arm),
            sequence_number=alloc.sequence_number,
            levels=dict(alloc.levels),
            diagnostic=diagnostic_for(actor, alloc.diagnostic),
            records=records_in(session, study, person, hidden_forms(actor, study)),
        )
    if result.arm is None:
        # The calendar follows the arm (which treatment, which windows): it would unblind.
        return result
    course = course_of(study, result.records, result.arm, person.enrolled_on)
    if course is None or not trial.protocol.regimens:
        return result
    try:
        calendar = build_calendar(trial.protocol, course)
    except Cairo6Error as exc:
        result.problems.append(f"treatment calendar cannot be built: {exc}")
        return result
    result.calendar = calendar
    result.compliance = check_compliance(calendar, on)
    result.actions = due_or_overdue(calendar, on)
    return result
