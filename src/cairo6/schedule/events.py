"""The dated events of a course that the protocol's windows are measured between.

Each event has an actual date once it happened, a projected date where the cycle plan gives one,
and `expected=False` when the course rules it out (stopped before cycle 1, no bevacizumab left).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cairo6.protocol import Event, Phase
from cairo6.schedule.cycles import PlannedCycle
from cairo6.schedule.validate import ValidCourse

__all__ = ["EVENT_LABELS", "FIRST_CYCLE_EVENT", "EventDate", "course_events"]

EVENT_LABELS: dict[Event, str] = {
    Event.RANDOMISATION: "randomisation",
    Event.FIRST_NEOADJUVANT_CYCLE: "first neoadjuvant cycle",
    Event.LAST_NEOADJUVANT_CYCLE: "last neoadjuvant cycle",
    Event.LAST_ANTIANGIOGENIC_DOSE: "last antiangiogenic dose",
    Event.RESTAGING_CYCLE: "restaging cycle",
    Event.RESTAGING_CT: "restaging CT",
    Event.SURGERY: "surgery",
    Event.FIRST_ADJUVANT_CYCLE: "first adjuvant cycle",
}

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
    valid: ValidCourse, cycles: Sequence[PlannedCycle], restaging: int | None
) -> dict[Event, EventDate]:
    kinds = (
        Event.FIRST_NEOADJUVANT_CYCLE,
        Event.LAST_NEOADJUVANT_CYCLE,
        Event.LAST_ANTIANGIOGENIC_DOSE,
        Event.RESTAGING_CYCLE,
    )
    if not cycles:
        treatment = valid.course.neoadjuvant
        if treatment is not None and treatment.stop is not None:
            return _ruled_out(kinds, "neoadjuvant treatment stopped before cycle 1")
        if valid.course.surgery is not None:
            return _ruled_out(kinds, "surgery without neoadjuvant treatment")
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
    out[Event.RESTAGING_CYCLE] = (
        _of(Event.RESTAGING_CYCLE, cycles[restaging - 1])
        if restaging is not None
        else EventDate(Event.RESTAGING_CYCLE, expected=False, note="no restaging point planned")
    )
    return out


def _adjuvant(valid: ValidCourse, cycles: Sequence[PlannedCycle]) -> EventDate:
    # Whether adjuvant therapy is due at all after surgery is the windows' `requires`, not ours.
    event = Event.FIRST_ADJUVANT_CYCLE
    if cycles:
        return _of(event, cycles[0])
    if valid.adjuvant is not None and valid.adjuvant.closed:
        return EventDate(event, expected=False, note="adjuvant treatment stopped before cycle 1")
    return EventDate(event, note="no adjuvant regimen recorded yet")


def course_events(
    valid: ValidCourse,
    neoadjuvant: Sequence[PlannedCycle],
    adjuvant: Sequence[PlannedCycle],
    restaging: int | None,
) -> dict[Event, EventDate]:
    """Every event of the fixed vocabulary, dated from the course and the cycle plan."""
    course = valid.course
    surgery = course.surgery
    out = {
        Event.RANDOMISATION: EventDate(Event.RANDOMISATION, course.randomised),
        Event.RESTAGING_CT: EventDate(Event.RESTAGING_CT, course.restaging_ct),
        Event.SURGERY: EventDate(Event.SURGERY, surgery.date if surgery else None),
        Event.FIRST_ADJUVANT_CYCLE: _adjuvant(valid, adjuvant),
    }
    out.update(_neoadjuvant(valid, neoadjuvant, restaging))
    return out
