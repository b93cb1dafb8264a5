"""Compliance of a course with its arm's windows on a reference date, and what is due now.

The reference date `on` is always a parameter (the domain core never reads the clock). A window
can only be overdue once its anchor has actually happened: while the anchor is projected the
deadline still moves, and the late step (a cycle not yet given) is what is due instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from cairo6.protocol import Window
from cairo6.schedule.events import FIRST_CYCLE_EVENT
from cairo6.schedule.plan import Calendar
from cairo6.schedule.windows import Need, WindowPlan

__all__ = [
    "ActionItem",
    "Status",
    "WindowCheck",
    "check_compliance",
    "check_window",
    "due_or_overdue",
]


class Status(StrEnum):
    """The state of one window for one course on a reference date."""

    MET = "met"
    MISSED = "missed"
    NOT_YET_DUE = "not_yet_due"
    OVERDUE = "overdue"
    NOT_APPLICABLE = "not_applicable"


def days_text(n: int) -> str:
    """ "1 day", "3 days"."""
    return f"{n} day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class WindowCheck:
    """One window checked: the dates compared, the status and, if missed, by how many days."""

    window: Window
    status: Status
    anchor: dt.date | None
    anchor_projected: bool
    earliest: dt.date | None
    latest: dt.date | None
    actual: dt.date | None
    days: int = 0
    direction: Literal["early", "late"] | None = None
    reason: str = ""

    def describe(self) -> str:
        """The status as a nurse reads it, e.g. 'missed by 3 days (late)'."""
        if self.status is Status.MISSED:
            return f"missed by {days_text(self.days)} ({self.direction})"
        if self.status is Status.OVERDUE:
            return f"overdue by {days_text(self.days)}"
        if self.status is Status.NOT_YET_DUE:
            return "not yet due" + (f" ({self.reason})" if self.reason else "")
        if self.status is Status.NOT_APPLICABLE:
            return f"not applicable ({self.reason})"
        return "met"


def check_window(plan: WindowPlan, on: dt.date) -> WindowCheck:
    """The status of one planned window on the reference date `on`."""
    anchor = plan.anchor
    # The bounds once (each is a date sum): a cohort-wide analysis checks every window of
    # every participant. Built once with its verdict (not copied with dataclasses.replace).
    earliest, latest = plan.earliest, plan.latest
    status, days, direction, reason = _judge(plan, on, earliest, latest)
    return WindowCheck(
        window=plan.window,
        status=status,
        anchor=anchor.date,
        anchor_projected=anchor.date is not None and not anchor.happened,
        earliest=earliest,
        latest=latest,
        actual=plan.event.actual,
        days=days,
        direction=direction,
        reason=reason,
    )


_Verdict = tuple[Status, int, Literal["early", "late"] | None, str]


def _judge(
    plan: WindowPlan, on: dt.date, earliest: dt.date | None, latest: dt.date | None
) -> _Verdict:
    anchor = plan.anchor
    if not plan.applicable:
        return Status.NOT_APPLICABLE, 0, None, plan.not_applicable_reason
    actual = plan.event.actual
    if actual is not None:
        if anchor.date is None:
            why = f"no date for {anchor.label} to measure from"
            return Status.NOT_APPLICABLE, 0, None, why
        if earliest is not None and actual < earliest:
            return Status.MISSED, (earliest - actual).days, "early", ""
        if latest is not None and actual > latest:
            return Status.MISSED, (actual - latest).days, "late", ""
        return Status.MET, 0, None, ""
    if plan.need is Need.PENDING:
        return Status.NOT_YET_DUE, 0, None, plan.reason
    if not anchor.happened:
        return Status.NOT_YET_DUE, 0, None, f"{anchor.label} not yet"
    if latest is not None and on > latest:
        return Status.OVERDUE, (on - latest).days, None, ""
    return Status.NOT_YET_DUE, 0, None, ""


def check_compliance(calendar: Calendar, on: dt.date) -> tuple[WindowCheck, ...]:
    """Every window of the course's arm checked on the reference date `on`."""
    return tuple(check_window(plan, on) for plan in calendar.windows)


@dataclass(frozen=True)
class ActionItem:
    """Something to act on: an event whose window is open or passed, or a cycle now due."""

    what: str
    status: Literal["due", "overdue", "conflict"]
    earliest: dt.date | None
    latest: dt.date | None
    days_overdue: int = 0
    note: str = ""


def _event_items(calendar: Calendar, on: dt.date) -> list[ActionItem]:
    items = []
    for event, span in calendar.ranges.items():
        if calendar.events[event].happened or not span.settled:
            continue
        what = calendar.label(event)
        if span.conflict is not None:
            items.append(ActionItem(what, "conflict", span.earliest, span.latest, 0, span.conflict))
        elif span.latest is not None and on > span.latest:
            late = (on - span.latest).days
            items.append(ActionItem(what, "overdue", span.earliest, span.latest, late))
        elif span.earliest is None or span.earliest <= on:
            items.append(ActionItem(what, "due", span.earliest, span.latest))
    return items


def _cycle_items(calendar: Calendar, on: dt.date) -> list[ActionItem]:
    items = []
    for cycles in (calendar.neoadjuvant, calendar.adjuvant):
        upcoming = next((c for c in cycles if not c.given), None)
        if upcoming is None or upcoming.planned is None or upcoming.planned > on:
            continue
        if upcoming.number == 1 and FIRST_CYCLE_EVENT[upcoming.phase] in calendar.ranges:
            # Listed by its window already, with the window's deadline.
            continue
        what = f"{upcoming.phase.value} cycle {upcoming.number} ({upcoming.regimen})"
        late = (on - upcoming.planned).days
        note = f"planned {upcoming.planned.isoformat()}" + (
            f", {days_text(late)} ago" if late else ""
        )
        items.append(ActionItem(what, "due", upcoming.planned, None, 0, note))
    return items


def due_or_overdue(calendar: Calendar, on: dt.date) -> tuple[ActionItem, ...]:
    """What a nurse should act on, on the date `on`: open or passed windows and due cycles."""
    items = _event_items(calendar, on) + _cycle_items(calendar, on)
    return tuple(sorted(items, key=lambda i: (i.latest or i.earliest or on, i.what)))
