"""The dated events of a course that the protocol's windows are measured between.

Each event has an actual date once it happened, a projected date where the cycle plan gives one,
and `expected=False` when the course rules it out (stopped before cycle 1, no antiangiogenic
dose left). Its label is the study's word for it (`Protocol.event_label`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


Labels = Mapping[Event, str]


def _of(event: Event, cycle: PlannedCycle, labels: Labels) -> EventDate:
    projected = cycle.planned if cycle.actual is None else None
    return EventDate(event, cycle.actual, projected, label=labels[event])


def _ruled_out(events: Sequence[Event], why: str, labels: Labels) -> dict[Event, EventDate]:
    return {e: EventDate(e, expected=False, note=why, label=labels[e]) for e in events}


def _neoadjuvant(
    valid: ValidCourse, cycles: Sequence[PlannedCycle], assessment: int | None, labels: Labels
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
            return _ruled_out(kinds, "neoadjuvant treatment stopped before cycle 1", labels)
        if valid.course.procedure is not None:
            why = f"{labels[Event.INDEX_PROCEDURE]} without neoadjuvant treatment"
            return _ruled_out(kinds, why, labels)
        why = "no neoadjuvant regimen recorded yet"
        return {e: EventDate(e, note=why, label=labels[e]) for e in kinds}
    out = {
        Event.FIRST_NEOADJUVANT_CYCLE: _of(Event.FIRST_NEOADJUVANT_CYCLE, cycles[0], labels),
        Event.LAST_NEOADJUVANT_CYCLE: _of(Event.LAST_NEOADJUVANT_CYCLE, cycles[-1], labels),
    }
    with_bev = [c for c in cycles if c.antiangiogenic]
    last_dose = Event.LAST_ANTIANGIOGENIC_DOSE
    out[last_dose] = (
        _of(last_dose, with_bev[-1], labels)
        if with_bev
        else EventDate(
            last_dose, expected=False, note="none given or planned", label=labels[last_dose]
        )
    )
    point = Event.ASSESSMENT_CYCLE
    out[point] = (
        _of(point, cycles[assessment - 1], labels)
        if assessment is not None
        else EventDate(
            point, expected=False, note="no assessment point planned", label=labels[point]
        )
    )
    return out


def _adjuvant(valid: ValidCourse, cycles: Sequence[PlannedCycle], labels: Labels) -> EventDate:
    # Whether adjuvant therapy is due at all after the index procedure is the windows'
    # `requires`, not ours.
    event = Event.FIRST_ADJUVANT_CYCLE
    label = labels[event]
    if cycles:
        return _of(event, cycles[0], labels)
    if valid.adjuvant is not None and valid.adjuvant.closed:
        why = "adjuvant treatment stopped before cycle 1"
        return EventDate(event, expected=False, note=why, label=label)
    return EventDate(event, note="no adjuvant regimen recorded yet", label=label)


def course_events(
    protocol: Protocol,
    valid: ValidCourse,
    neoadjuvant: Sequence[PlannedCycle],
    adjuvant: Sequence[PlannedCycle],
    assessment: int | None,
) -> dict[Event, EventDate]:
    """Every event of the fixed vocabulary, dated from the course and the cycle plan, and
    labelled in the study's words."""
    labels = protocol.event_labels()
    course = valid.course
    procedure = course.procedure
    index = Event.INDEX_PROCEDURE
    out = {
        Event.RANDOMISATION: EventDate(
            Event.RANDOMISATION, course.randomised, label=labels[Event.RANDOMISATION]
        ),
        Event.ASSESSMENT: EventDate(
            Event.ASSESSMENT, course.assessment, label=labels[Event.ASSESSMENT]
        ),
        index: EventDate(index, procedure.date if procedure else None, label=labels[index]),
        Event.FIRST_ADJUVANT_CYCLE: _adjuvant(valid, adjuvant, labels),
    }
    out.update(_neoadjuvant(valid, neoadjuvant, assessment, labels))
    return out
