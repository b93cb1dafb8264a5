"""What actually happened to a participant: the dated input the treatment calendar is built from.

These records hold facts as entered; they check nothing against the protocol. `validate_course`
does that, so that one place decides what a valid course is and every error names its field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["Course", "CycleGiven", "EarlyStop", "Procedure", "Switch", "Treatment"]


@dataclass(frozen=True)
class CycleGiven:
    """One cycle given: its number in the phase (1-based, continuing across a switch) and day 1.

    `regimen` may be left out: the cycle then belongs to the regimen in force for its number.
    `antiangiogenic` left out means "as planned for this cycle".
    """

    number: int
    day1: dt.date
    regimen: str | None = None
    antiangiogenic: bool | None = None
    reduced_dose: bool = False


@dataclass(frozen=True)
class Switch:
    """A change of regimen (for the reason the regimen gives): cycles from `at_cycle` on are
    given under `regimen`."""

    at_cycle: int
    regimen: str
    reason: str = ""


@dataclass(frozen=True)
class EarlyStop:
    """Treatment of a phase stopped after cycle `after_cycle` (0: before the first cycle)."""

    after_cycle: int
    date: dt.date | None = None
    reason: str = ""


@dataclass(frozen=True)
class Treatment:
    """One phase of systemic therapy (neoadjuvant or adjuvant) as started and given so far."""

    regimen: str
    cycles: tuple[CycleGiven, ...] = ()
    switch: Switch | None = None
    stop: EarlyStop | None = None

    def effective_switch(self) -> Switch | None:
        """The recorded switch, else the one implied by a cycle entered under another regimen."""
        if self.switch is not None:
            return self.switch
        for cycle in sorted(self.cycles, key=lambda c: c.number):
            if cycle.regimen is not None and cycle.regimen.lower() != self.regimen.lower():
                return Switch(at_cycle=cycle.number, regimen=cycle.regimen)
        return None


@dataclass(frozen=True)
class Procedure:
    """The index procedure as done, and whether it was complete (the protocol says what that
    means and which item records it)."""

    date: dt.date
    complete: bool


@dataclass(frozen=True)
class Course:
    """A participant's course from randomisation on, as recorded so far."""

    arm: str
    randomised: dt.date
    neoadjuvant: Treatment | None = None
    assessment: dt.date | None = None
    procedure: Procedure | None = None
    adjuvant: Treatment | None = None
