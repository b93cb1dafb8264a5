"""Check a recorded course against the protocol, and resolve its regimens into cycle sequences.

Every problem raises `ScheduleError` naming the field (cycles are named by their cycle number,
as in `neoadjuvant.cycles[3].day1`), the value given, what is allowed and what to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cairo6.errors import ScheduleError
from cairo6.protocol import Phase, Protocol, Regimen
from cairo6.schedule.course import Course, CycleGiven, Treatment
from cairo6.schedule.sequence import Slot, cycle_slots

__all__ = ["PhaseRecord", "ValidCourse", "earliest_adjuvant_day", "validate_course"]


@dataclass(frozen=True)
class PhaseRecord:
    """A validated phase: its planned cycle sequence and the cycles given, in order."""

    phase: Phase
    slots: tuple[Slot, ...]
    given: tuple[CycleGiven, ...]
    closed: bool

    @property
    def last_given(self) -> int:
        """Number of the last cycle given (0 if none)."""
        return self.given[-1].number if self.given else 0

    @property
    def active_slots(self) -> tuple[Slot, ...]:
        """The cycles that are or will be part of the course: up to the last given once closed."""
        return self.slots[: self.last_given] if self.closed else self.slots


@dataclass(frozen=True)
class ValidCourse:
    """A course that passed every check, with its phases resolved against the protocol."""

    course: Course
    neoadjuvant: PhaseRecord | None
    adjuvant: PhaseRecord | None


def earliest_adjuvant_day(procedure: dt.date) -> dt.date:
    """The first day an adjuvant cycle may fall on: the day after the index procedure."""
    return procedure + dt.timedelta(days=1)


def _key(label: str) -> str:
    # A field named in the study's words ("response CT" -> response_ct).
    return "_".join(label.lower().split())


def _require_date(field: str, value: object) -> dt.date:
    # datetime is a date subclass, but comparing one with a date raises TypeError later on.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ScheduleError(
            field, value, "a calendar date (YYYY-MM-DD)", f"enter {field} as a date"
        )
    return value


def _not_before(field: str, value: object, floor: dt.date, what: str) -> dt.date:
    day = _require_date(field, value)
    if day < floor:
        raise ScheduleError(
            field, day.isoformat(), f"on or after {what} ({floor.isoformat()})", f"check {field}"
        )
    return day


def _pick(field: str, wanted: str, options: Sequence[Regimen], none_why: str) -> Regimen:
    for regimen in options:
        if regimen.id.lower() == wanted.lower():
            return regimen
    allowed = "one of " + ", ".join(r.id for r in options) if options else none_why
    raise ScheduleError(field, wanted, allowed, "choose a regimen the protocol allows here")


def _regimens(protocol: Protocol, arm: str, phase: Phase) -> list[Regimen]:
    return [r for r in protocol.regimens if r.arm == arm and r.phase is phase]


def _switch(
    protocol: Protocol, name: str, treatment: Treatment, initial: Regimen
) -> tuple[int, Regimen] | None:
    switch = treatment.effective_switch()
    if switch is None:
        return None
    inferred = treatment.switch is None
    field = f"{name}.cycles[{switch.at_cycle}].regimen" if inferred else f"{name}.switch.regimen"
    options = [r for r in protocol.regimens if r.id in initial.switch_to]
    new = _pick(field, switch.regimen, options, f"none: {initial.id} allows no switch")
    given = max((c.number for c in treatment.cycles), default=0)
    latest = min(initial.cycles, given + 1)
    at = switch.at_cycle
    if isinstance(at, bool) or not isinstance(at, int) or not 2 <= at <= latest:
        allowed = (
            f"a cycle from 2 to {latest}: a switch applies from the next cycle at the latest, "
            f"within {initial.id}'s {initial.cycles} cycles"
            if latest >= 2
            else "no switch before cycle 1 is given: start the course with the other regimen"
        )
        raise ScheduleError(
            field if inferred else f"{name}.switch.at_cycle",
            switch.regimen if inferred else at,
            allowed,
            "enter the number of the first cycle given under the new regimen",
        )
    return at, new


def _numbers(name: str, cycles: Sequence[CycleGiven]) -> None:
    for cycle in cycles:
        n = cycle.number
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ScheduleError(f"{name}.cycles.number", n, "a whole number from 1")


def _cycles(
    name: str, cycles: Sequence[CycleGiven], slots: tuple[Slot, ...], floor: dt.date, what: str
) -> tuple[CycleGiven, ...]:
    ordered = sorted(cycles, key=lambda c: c.number)
    previous: CycleGiven | None = None
    for index, cycle in enumerate(ordered, start=1):
        key = f"{name}.cycles[{cycle.number}]"
        if previous is not None and cycle.number == previous.number:
            raise ScheduleError(
                f"{key}.number", cycle.number, "each cycle number once", "remove the duplicate"
            )
        if cycle.number != index:
            raise ScheduleError(
                f"{key}.number",
                cycle.number,
                f"cycle {index} next (numbers run 1, 2, 3 ... without gaps)",
                f"record cycle {index} first",
            )
        if cycle.number > len(slots):
            planned = ", ".join(sorted({s.regimen.id for s in slots}))
            raise ScheduleError(
                f"{key}.number",
                cycle.number,
                f"at most {len(slots)} cycles as planned ({planned})",
                "check the cycle number; extra cycles are not part of the protocol",
            )
        slot = slots[cycle.number - 1]
        if cycle.regimen is not None and cycle.regimen.lower() != slot.regimen.id.lower():
            raise ScheduleError(
                f"{key}.regimen",
                cycle.regimen,
                f"{slot.regimen.id} (the regimen in force for cycle {cycle.number})",
                "a course allows one switch; record it with the cycle it starts from",
            )
        day1 = _not_before(f"{key}.day1", cycle.day1, floor, what)
        if previous is not None and day1 <= previous.day1:
            raise ScheduleError(
                f"{key}.day1",
                day1.isoformat(),
                f"after cycle {previous.number} ({previous.day1.isoformat()})",
                "cycle dates must increase with the cycle number",
            )
        previous = cycle
    return tuple(ordered)


def _phase(
    protocol: Protocol,
    course: Course,
    phase: Phase,
    treatment: Treatment,
    options: Sequence[Regimen],
    floor: tuple[dt.date, str],
    closed_by: dt.date | None,
) -> PhaseRecord:
    name = phase.value
    none_why = f"none: arm '{course.arm}' has no {name} regimen in this protocol"
    initial = _pick(f"{name}.regimen", treatment.regimen, options, none_why)
    _numbers(name, treatment.cycles)
    switch = _switch(protocol, name, treatment, initial)
    slots = cycle_slots(initial, switch)
    given = _cycles(name, treatment.cycles, slots, *floor)
    last = given[-1].number if given else 0
    stop = treatment.stop
    if stop is not None:
        if stop.after_cycle != last:
            raise ScheduleError(
                f"{name}.stop.after_cycle",
                stop.after_cycle,
                f"{last}, the last cycle recorded",
                "record every cycle given before the stop, or correct the stop",
            )
        if stop.date is not None:
            after = (given[-1].day1, f"day 1 of cycle {last}") if given else floor
            _not_before(f"{name}.stop.date", stop.date, *after)
    procedure = protocol.index_procedure.label
    if closed_by is not None and given and given[-1].day1 >= closed_by:
        raise ScheduleError(
            f"{name}.cycles[{last}].day1",
            given[-1].day1.isoformat(),
            f"before {procedure} ({closed_by.isoformat()})",
            f"check the cycle date and the {procedure} date",
        )
    closed = stop is not None or closed_by is not None
    return PhaseRecord(phase, slots, given, closed)


def validate_course(protocol: Protocol, course: Course) -> ValidCourse:
    """Check a course against the protocol; raise `ScheduleError` on the first problem."""
    arms = [a.id for a in protocol.arms]
    if course.arm not in arms:
        raise ScheduleError("arm", course.arm, "one of " + ", ".join(arms), "use an arm id")
    randomised = _require_date("randomised", course.randomised)
    start = (randomised, "randomisation")
    label = protocol.index_procedure.label
    if course.assessment is not None:
        _not_before(_key(protocol.assessment.label), course.assessment, *start)
    procedure = course.procedure
    if procedure is not None:
        _not_before(f"{_key(label)}.date", procedure.date, *start)

    neo: PhaseRecord | None = None
    last_neo: Regimen | None = None
    if course.neoadjuvant is not None:
        options = _regimens(protocol, course.arm, Phase.NEOADJUVANT)
        neo = _phase(
            protocol,
            course,
            Phase.NEOADJUVANT,
            course.neoadjuvant,
            options,
            start,
            procedure.date if procedure else None,
        )
        last_neo = (neo.active_slots or neo.slots)[-1].regimen

    adj: PhaseRecord | None = None
    if course.adjuvant is not None:
        if procedure is None:
            raise ScheduleError(
                "adjuvant", course.adjuvant.regimen, f"only after {label}", f"record {label} first"
            )
        options = _regimens(protocol, course.arm, Phase.ADJUVANT)
        if last_neo is not None and last_neo.adjuvant_options:
            listed = {i.lower() for i in last_neo.adjuvant_options}
            options = [r for r in options if r.id.lower() in listed]
        floor = (earliest_adjuvant_day(procedure.date), f"the day after {label}")
        adj = _phase(protocol, course, Phase.ADJUVANT, course.adjuvant, options, floor, None)
    return ValidCourse(course, neo, adj)
