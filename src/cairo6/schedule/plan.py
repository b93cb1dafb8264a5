"""Build the treatment calendar of one course: dated cycles, events, windows and event ranges.

Everything comes from the protocol's regimens and `[[windows]]`; the only fixed knowledge is the
`Event` vocabulary (what "last antiangiogenic dose" means) and that a phase starts after its
predecessor (neoadjuvant after randomisation, adjuvant after surgery).
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
from cairo6.schedule.sequence import restaging_cycle
from cairo6.schedule.validate import PhaseRecord, earliest_adjuvant_day, validate_course
from cairo6.schedule.windows import EventRange, WindowPlan, event_ranges, plan_windows

__all__ = ["Calendar", "build_calendar"]


@dataclass(frozen=True)
class Calendar:
    """The planned and actual calendar of one course, with every window of its arm."""

    course: Course
    neoadjuvant: tuple[PlannedCycle, ...]
    adjuvant: tuple[PlannedCycle, ...]
    restaging_after_cycle: int | None
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

    @property
    def surgery_window(self) -> EventRange | None:
        """The dates surgery may fall on (check `.conflict` before using them)."""
        return self.range_for(Event.SURGERY)

    @property
    def restaging_ct_window(self) -> EventRange | None:
        """The dates the restaging CT may fall on."""
        return self.range_for(Event.RESTAGING_CT)

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


def _restaging(record: PhaseRecord) -> int | None:
    planned = restaging_cycle(record.slots)
    if not record.closed or planned is None:
        return planned
    # An early stop moves the restaging CT to after the last cycle given.
    return min(planned, record.last_given) or None


def build_calendar(protocol: Protocol, course: Course) -> Calendar:
    """Validate `course` against `protocol` and plan its calendar (raises `ScheduleError`)."""
    valid = validate_course(protocol, course)
    windows = protocol.windows_for(course.arm)
    surgery = course.surgery
    dates = {Event.RANDOMISATION: course.randomised}
    if surgery is not None:
        dates[Event.SURGERY] = surgery.date
    if course.restaging_ct is not None:
        dates[Event.RESTAGING_CT] = course.restaging_ct

    neoadjuvant: tuple[PlannedCycle, ...] = ()
    restaging: int | None = None
    if valid.neoadjuvant is not None:
        start = _projected_start(
            windows, Event.FIRST_NEOADJUVANT_CYCLE, dates, floor=course.randomised
        )
        neoadjuvant = date_cycles(valid.neoadjuvant, start)
        restaging = _restaging(valid.neoadjuvant)

    adjuvant: tuple[PlannedCycle, ...] = ()
    if valid.adjuvant is not None and surgery is not None:
        before = course_events(valid, neoadjuvant, (), restaging)
        dates |= {e: d.actual for e, d in before.items() if d.actual is not None}
        floor = earliest_adjuvant_day(surgery.date)
        start = _projected_start(windows, Event.FIRST_ADJUVANT_CYCLE, dates, floor)
        adjuvant = date_cycles(valid.adjuvant, start)

    events = course_events(valid, neoadjuvant, adjuvant, restaging)
    plans = plan_windows(windows, events, valid)
    return Calendar(
        course=course,
        neoadjuvant=neoadjuvant,
        adjuvant=adjuvant,
        restaging_after_cycle=restaging,
        events=events,
        windows=plans,
    )
