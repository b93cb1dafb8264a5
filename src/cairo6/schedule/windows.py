"""The protocol's time windows applied to one course, and the date range each event must fall in.

A window says `event` falls `min_days`..`max_days` after `anchor` (anchor = day 0). Several
windows may bound the same event (an index procedure <= 42 days after the last neoadjuvant cycle
and >= 42 days after the last antiangiogenic dose); the event's range is their intersection, and
an empty intersection is reported as a conflict naming both windows, never resolved by picking a
date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cairo6.protocol import Event, IndexProcedure, Protocol, Requirement, Window
from cairo6.schedule.events import EventDate
from cairo6.schedule.validate import ValidCourse

__all__ = ["EventRange", "Need", "WindowPlan", "event_ranges", "plan_windows", "requirement"]


class Need(StrEnum):
    """Whether a window's `requires` conditions hold for the course."""

    MET = "met"
    PENDING = "pending"
    UNMET = "unmet"


def _neoadjuvant_given(valid: ValidCourse, _: IndexProcedure) -> tuple[Need, str]:
    record = valid.neoadjuvant
    if record is not None and record.given:
        return Need.MET, ""
    if (record is not None and record.closed) or valid.course.procedure is not None:
        return Need.UNMET, "no neoadjuvant cycle was given"
    return Need.PENDING, "no neoadjuvant cycle given yet"


def _index_complete(valid: ValidCourse, index: IndexProcedure) -> tuple[Need, str]:
    procedure = valid.course.procedure
    if procedure is None:
        return Need.PENDING, f"{index.label} not yet done"
    if procedure.complete:
        return Need.MET, ""
    return Need.UNMET, f"{index.label} was not {index.complete}"


_REQUIREMENTS = {
    Requirement.NEOADJUVANT_GIVEN: _neoadjuvant_given,
    Requirement.INDEX_COMPLETE: _index_complete,
}


def requirement(
    requires: Iterable[Requirement], valid: ValidCourse, index: IndexProcedure
) -> tuple[Need, str]:
    """Combine a window's `requires`: unmet if any is unmet, pending if any is pending."""
    results = [_REQUIREMENTS[name](valid, index) for name in requires]
    for need in (Need.UNMET, Need.PENDING):
        reasons = [why for got, why in results if got is need]
        if reasons:
            return need, "; ".join(reasons)
    return Need.MET, ""


def _plus(day: dt.date | None, days: int | None) -> dt.date | None:
    return None if day is None or days is None else day + dt.timedelta(days=days)


@dataclass(frozen=True)
class WindowPlan:
    """One window for one course: its anchor, its event and whether it applies."""

    window: Window
    anchor: EventDate
    event: EventDate
    need: Need
    reason: str

    @property
    def applicable(self) -> bool:
        """False when the course rules the window out (requirement unmet, event ruled out)."""
        return self.need is not Need.UNMET and self.event.expected and self.anchor.expected

    @property
    def earliest(self) -> dt.date | None:
        """Anchor + min_days, from the actual or projected anchor date."""
        return _plus(self.anchor.date, self.window.min_days)

    @property
    def latest(self) -> dt.date | None:
        """Anchor + max_days, from the actual or projected anchor date."""
        return _plus(self.anchor.date, self.window.max_days)

    @property
    def not_applicable_reason(self) -> str:
        """Why the window does not apply ('' if it does)."""
        if self.need is Need.UNMET:
            return self.reason
        for end in (self.event, self.anchor):
            if not end.expected:
                return f"{end.label}: {end.note}"
        return ""


def plan_windows(
    protocol: Protocol,
    windows: Sequence[Window],
    events: Mapping[Event, EventDate],
    valid: ValidCourse,
) -> tuple[WindowPlan, ...]:
    """Each window of the arm with its anchor and event dates and its requirement status."""
    plans = []
    for window in windows:
        need, reason = requirement(window.requires, valid, protocol.index_procedure)
        plans.append(WindowPlan(window, events[window.anchor], events[window.event], need, reason))
    return tuple(plans)


@dataclass(frozen=True)
class EventRange:
    """The dates an event may fall on under every applicable window bounding it."""

    event: Event
    earliest: dt.date | None
    latest: dt.date | None
    earliest_by: str | None
    latest_by: str | None
    plans: tuple[WindowPlan, ...]

    @property
    def waiting(self) -> tuple[str, ...]:
        """Windows left out of the range because their anchor has no date yet."""
        return tuple(p.window.id for p in self.plans if p.anchor.date is None)

    @property
    def settled(self) -> bool:
        """Whether every bounding anchor has actually happened (the range will not move)."""
        return all(p.anchor.happened for p in self.plans)

    @property
    def conflict(self) -> str | None:
        """A description of the clash if no date satisfies every window, else None."""
        if self.earliest is None or self.latest is None or self.earliest <= self.latest:
            return None
        return (
            f"no date meets every window for {self.plans[0].event.label}: {self.earliest_by} "
            f"needs on or after {self.earliest.isoformat()}, {self.latest_by} needs on or "
            f"before {self.latest.isoformat()}"
        )


def _bound(plans: Sequence[WindowPlan], latest: bool) -> tuple[dt.date | None, str | None]:
    dated = [(p.latest if latest else p.earliest, p.window.id) for p in plans]
    known = [(day, wid) for day, wid in dated if day is not None]
    if not known:
        return None, None
    return min(known) if latest else max(known)


def event_ranges(plans: Sequence[WindowPlan]) -> dict[Event, EventRange]:
    """The range of every event that an applicable window bounds."""
    by_event: dict[Event, list[WindowPlan]] = {}
    for plan in plans:
        if plan.applicable:
            by_event.setdefault(plan.window.event, []).append(plan)
    out = {}
    for event, group in by_event.items():
        earliest, earliest_by = _bound(group, latest=False)
        latest, latest_by = _bound(group, latest=True)
        out[event] = EventRange(event, earliest, latest, earliest_by, latest_by, tuple(group))
    return out
