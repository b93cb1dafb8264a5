"""The dated events of a course that the protocol's windows are measured between.

Each event has an actual date once it happened, a projected date where the cycle plan gives one,
and `expected=False` when the course rules it out (stopped before cycle 1, no antiangiogenic
dose left). Its label is the study's word for it (`Protocol.event_label`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cairo6.protocol import Event, Phase, Protocol
from cairo6.schedule.cycles import PlannedCycle
from cairo6.schedule.validate import ValidCourse

__all__ = ["FIRST_CYCLE_EVENT", "EventDate", "course_events"]

FIRST_CYCLE_EVENT: dict[Phase, Event] = {
    Phase.NEOADJUVANT: Event.FIRST_NEOADJUVANT_CYCLE,
    Phase.ADJUVANT: Event.FIRST_ADJUVANT_CYCLE,
}


@dataclass(frozen=True)
class EventDate:
    """When an event happened, or is projected to happen, or why it will not."""

    event: Event
    actual: dt.date | None = None
    projected: dt.date | None = None
    expected: bool = True
    note: str = ""
    label: str = ""

    @property
    def date(self) -> dt.date | None:
        """The actual date if the event happened, else the projected one."""
        return self.actual or self.projected

    @property
    def happened(self) -> bool:
        """Whether an actual date is recorded."""
        return self.actual is not None


def _of(event: Event, cycle: PlannedCycle) -> EventDate:
    return EventDate(event, cycle.actual, cycle.planned if cycle.actual is None else None)


def _ruled_out(events: Sequence[Event], why: str) -> dict[Event, EventDate]:
    return {e: EventDate(e, expected=False, note=why) for e in events}


def _neoadjuvant(
    valid: ValidCourse, cycles: Sequence[PlannedCycle], assessment: int | None, procedure: str
) -> dict[Event, EventDate]:
    kinds = (
        Event.FIRST_NEOADJUVANT_CYCLE,
        Event.LAST_NEOADJUVANT_CYCLE,
        Event.LAST_ANTIANGIOGENIC_DOSE,
        Event.ASSESSMENT_CYCLE,
    )
    if not cycles:
        treatment = valid.course.neoadjuvant
        if treatment is not None and treatment.stop is not None:
            return _ruled_out(kinds, "neoadjuvant treatment stopped before cycle 1")
        if valid.course.procedure is not None:
            return _ruled_out(kinds, f"{procedure} without neoadjuvant treatment")
        return {e: EventDate(e, note="no neoadjuvant regimen recorded yet") for e in kinds}
    out = {
        Event.FIRST_NEOADJUVANT_CYCLE: _of(Event.FIRST_NEOADJUVANT_CYCLE, cycles[0]),
        Event.LAST_NEOADJUVANT_CYCLE: _of(Event.LAST_NEOADJUVANT_CYCLE, cycles[-1]),
    }
    with_bev = [c for c in cycles if c.antiangiogenic]
    out[Event.LAST_ANTIANGIOGENIC_DOSE] = (
        _of(Event.LAST_ANTIANGIOGENIC_DOSE, with_bev[-1])
        if with_bev
        else EventDate(Event.LAST_ANTIANGIOGENIC_DOSE, expected=False, note="none given or planned")
    )
    out[Event.ASSESSMENT_CYCLE] = (
        _of(Event.ASSESSMENT_CYCLE, cycles[assessment - 1])
        if assessment is not None
        else EventDate(Event.ASSESSMENT_CYCLE, expected=False, note="no assessment point planned")
    )
    return out


def _adjuvant(valid: ValidCourse, cycles: Sequence[PlannedCycle]) -> EventDate:
    # Whether adjuvant therapy is due at all after the index procedure is the windows'
    # `requires`, not ours.
    event = Event.FIRST_ADJUVANT_CYCLE
    if cycles:
        return _of(event, cycles[0])
    if valid.adjuvant is not None and valid.adjuvant.closed:
        return EventDate(event, expected=False, note="adjuvant treatment stopped before cycle 1")
    return EventDate(event, note="no adjuvant regimen recorded yet")


def course_events(
    protocol: Protocol,
    valid: ValidCourse,
    neoadjuvant: Sequence[PlannedCycle],
    adjuvant: Sequence[PlannedCycle],
    assessment: int | None,
) -> dict[Event, EventDate]:
    """Every event of the fixed vocabulary, dated from the course and the cycle plan, and
    labelled in the study's words."""
    course = valid.course
    procedure = course.procedure
    out = {
        Event.RANDOMISATION: EventDate(Event.RANDOMISATION, course.randomised),
        Event.ASSESSMENT: EventDate(Event.ASSESSMENT, course.assessment),
        Event.INDEX_PROCEDURE: EventDate(
            Event.INDEX_PROCEDURE, procedure.date if procedure else None
        ),
        Event.FIRST_ADJUVANT_CYCLE: _adjuvant(valid, adjuvant),
    }
    out.update(_neoadjuvant(valid, neoadjuvant, assessment, protocol.index_procedure.label))
    return {event: replace(day, label=protocol.event_label(event)) for event, day in out.items()}
