"""Dated cycles: each planned cycle with its planned day 1, and what was actually given.

Cycle k is planned one cycle length (of cycle k-1's regimen) after cycle k-1's day 1, taking the
actual day 1 where one is recorded, so a delayed cycle moves every later plan with it. The first
cycle has no predecessor: while not given it is planned at the phase's projected start; once
given, its plan is its actual date (no earlier plan is recorded).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cairo6.protocol import Drug, Phase
from cairo6.schedule.validate import PhaseRecord

__all__ = ["PlannedCycle", "date_cycles"]


@dataclass(frozen=True)
class PlannedCycle:
    """One cycle of the calendar: the plan, and the facts once it is given."""

    phase: Phase
    number: int
    regimen: str
    position: int
    length_days: int
    planned: dt.date | None
    actual: dt.date | None
    drugs: tuple[Drug, ...]
    antiangiogenic_planned: bool
    antiangiogenic_given: bool | None
    reduced_dose: bool

    @property
    def given(self) -> bool:
        """Whether the cycle has been given."""
        return self.actual is not None

    @property
    def day1(self) -> dt.date | None:
        """The actual day 1 if given, else the planned one."""
        return self.actual or self.planned

    @property
    def antiangiogenic(self) -> bool:
        """Antiangiogenic drug given (if the cycle was given) or planned (if not yet)."""
        if self.antiangiogenic_given is not None:
            return self.antiangiogenic_given
        return self.antiangiogenic_planned


def date_cycles(record: PhaseRecord, start: dt.date | None) -> tuple[PlannedCycle, ...]:
    """Date every cycle of a phase; `start` is the projected day 1 of cycle 1 (None: unknown)."""
    given = {c.number: c for c in record.given}
    out: list[PlannedCycle] = []
    previous: PlannedCycle | None = None
    for slot in record.active_slots:
        fact = given.get(slot.number)
        if previous is None:
            planned = fact.day1 if fact is not None else start
        elif previous.day1 is None:
            planned = None
        else:
            planned = previous.day1 + dt.timedelta(days=previous.length_days)
        bev_given: bool | None = None
        if fact is not None:
            bev_given = slot.antiangiogenic if fact.antiangiogenic is None else fact.antiangiogenic
        previous = PlannedCycle(
            phase=record.phase,
            number=slot.number,
            regimen=slot.regimen.id,
            position=slot.position,
            length_days=slot.regimen.cycle_length_days,
            planned=planned,
            actual=fact.day1 if fact is not None else None,
            drugs=slot.drugs,
            antiangiogenic_planned=slot.antiangiogenic,
            antiangiogenic_given=bev_given,
            reduced_dose=fact.reduced_dose if fact is not None else False,
        )
        out.append(previous)
    return tuple(out)
