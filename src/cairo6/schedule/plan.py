"""Build the treatment calendar of one course: dated cycles, events, windows and event ranges.

Everything comes from the protocol's regimens and `[[windows]]`; the only fixed knowledge is the
`Event` vocabulary (what "last antiangiogenic dose" means) and that a phase starts after its
predecessor (neoadjuvant after randomisation, adjuvant after the index procedure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from cairo6.protocol import Event, Protocol, Window
from cairo6.schedule.course import Course
from cairo6.schedule.cycles import PlannedCycle, date_cycles
from cairo6.schedule.events import EventDate, course_events
from cairo6.schedule.sequence import assessment_cycle
from cairo6.schedule.validate import PhaseRecord, earliest_adjuvant_day, validate_course
from cairo6.schedule.windows import EventRange, WindowPlan, event_ranges, plan_windows

__all__ = ["Calendar", "build_calendar"]


@dataclass(frozen=True)
class Calendar:
    """The planned and actual calendar of one course, with every window of its arm."""

    course: Course
    neoadjuvant: tuple[PlannedCycle, ...]
    adjuvant: tuple[PlannedCycle, ...]
    assessment_after_cycle: int | None
    events: Mapping[Event, EventDate]
    windows: tuple[WindowPlan, ...]

    @cached_property
    def ranges(self) -> Mapping[Event, EventRange]:
        """The allowed dates of each event that an applicable window bounds.

        Worked out on first use: judging compliance over a whole cohort never needs them.
        """
        return event_ranges(self.windows)

    def range_for(self, event: Event) -> EventRange | None:
        """The allowed dates of an event, if an applicable window bounds it."""
        return self.ranges.get(event)

    def label(self, event: Event) -> str:
        """The study's word for an event (e.g. "operation" for the index procedure)."""
        return self.events[event].label

    @property
    def procedure_window(self) -> EventRange | None:
        """The dates the index procedure may fall on (check `.conflict` before using them)."""
        return self.range_for(Event.INDEX_PROCEDURE)

    @property
    def assessment_window(self) -> EventRange | None:
        """The dates the response assessment may fall on."""
        return self.range_for(Event.ASSESSMENT)

    @property
    def adjuvant_deadline(self) -> dt.date | None:
        """The last day adjuvant therapy may start, once it is known."""
        found = self.range_for(Event.FIRST_ADJUVANT_CYCLE)
        return found.latest if found is not None else None


def _projected_start(
    windows: Sequence[Window], event: Event, dates: Mapping[Event, dt.date], floor: dt.date
) -> dt.date:
    # The earliest day every window on this event allows: plans then show the soonest calendar,
    # and move with the actual date as soon as it is recorded.
    starts = [floor]
    for window in windows:
        if window.event is event and window.anchor in dates:
            starts.append(dates[window.anchor] + dt.timedelta(days=window.min_days or 0))
    return max(starts)


def _assessment(record: PhaseRecord) -> int | None:
    planned = assessment_cycle(record.slots)
    if not record.closed or planned is None:
        return planned
    # An early stop moves the assessment to after the last cycle given.
    return min(planned, record.last_given) or None


def build_calendar(protocol: Protocol, course: Course) -> Calendar:
    """Validate `course` against `protocol` and plan its calendar (raises `ScheduleError`)."""
    valid = validate_course(protocol, course)
    windows = protocol.windows_for(course.arm)
    procedure = course.procedure
    dates = {Event.RANDOMISATION: course.randomised}
    if procedure is not None:
        dates[Event.INDEX_PROCEDURE] = procedure.date
    if course.assessment is not None:
        dates[Event.ASSESSMENT] = course.assessment

    neoadjuvant: tuple[PlannedCycle, ...] = ()
    assessment: int | None = None
    if valid.neoadjuvant is not None:
        start = _projected_start(
            windows, Event.FIRST_NEOADJUVANT_CYCLE, dates, floor=course.randomised
        )
        neoadjuvant = date_cycles(valid.neoadjuvant, start)
        assessment = _assessment(valid.neoadjuvant)

    adjuvant: tuple[PlannedCycle, ...] = ()
    if valid.adjuvant is not None and procedure is not None:
        before = course_events(protocol, valid, neoadjuvant, (), assessment)
        dates |= {e: d.actual for e, d in before.items() if d.actual is not None}
        floor = earliest_adjuvant_day(procedure.date)
        start = _projected_start(windows, Event.FIRST_ADJUVANT_CYCLE, dates, floor)
        adjuvant = date_cycles(valid.adjuvant, start)

    events = course_events(protocol, valid, neoadjuvant, adjuvant, assessment)
    plans = plan_windows(protocol, windows, events, valid)
    return Calendar(
        course=course,
        neoadjuvant=neoadjuvant,
        adjuvant=adjuvant,
        assessment_after_cycle=assessment,
        events=events,
        windows=plans,
    )
