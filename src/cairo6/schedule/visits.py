"""The visit schedule of a study (`schedule.toml`): when each visit is due, and whether it was
kept, for any trial, with or without treatment regimens.

A visit falls `day` days after its anchor (randomisation, or the first occurrence of another
visit: its actual date once recorded, else its target) and may be kept from `before_days`
before to `after_days` after that day. A repeating visit (`repeat_every_days`) comes
`repeat_count` times in all, each `repeat_every_days` after the one before. Recorded dates are
matched to occurrences in date order. Pure: the reference date is a parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cairo6.schedule.compliance import Status, days_text
from cairo6.study.models import ScheduledEvent

__all__ = ["VisitWindow", "visit_windows"]

RANDOMISATION = "randomisation"


@dataclass(frozen=True)
class VisitWindow:
    """One occurrence of a visit: its target day, the days it may be kept on, the date kept."""

    visit: str
    label: str
    occurrence: int
    target: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    actual: dt.date | None
    waiting_for: str = ""
    """The anchor visit whose date is not known yet ('' when the target is known)."""

    def status(self, on: dt.date) -> Status:
        """Met or missed once kept; overdue once the last day passed; else not yet due."""
        if self.actual is not None:
            if self.earliest is None or self.latest is None:
                return Status.MET
            inside = self.earliest <= self.actual <= self.latest
            return Status.MET if inside else Status.MISSED
        if self.latest is not None and on > self.latest:
            return Status.OVERDUE
        return Status.NOT_YET_DUE

    def describe(self, on: dt.date) -> str:
        """The status as a nurse reads it, e.g. 'missed by 3 days (late)'."""
        status = self.status(on)
        if status is Status.MISSED and self.actual and self.earliest and self.latest:
            early = self.actual < self.earliest
            gap = (self.earliest - self.actual) if early else (self.actual - self.latest)
            return f"missed by {days_text(gap.days)} ({'early' if early else 'late'})"
        if status is Status.OVERDUE and self.latest is not None:
            return f"overdue by {days_text((on - self.latest).days)}"
        if status is Status.NOT_YET_DUE and self.waiting_for:
            return f"not yet due ({self.waiting_for} not yet)"
        if status is Status.NOT_YET_DUE and self.earliest is not None and self.earliest <= on:
            return "due"
        return status.value.replace("_", " ")


def _occurrences(event: ScheduledEvent) -> int:
    return event.repeat_count or 1 if event.repeat_every_days else 1


def visit_windows(
    visits: Sequence[ScheduledEvent],
    arm: str,
    randomised: dt.date,
    kept: Mapping[str, Sequence[dt.date]],
    until: dt.date | None = None,
) -> tuple[VisitWindow, ...]:
    """Every occurrence of every visit of the arm, dated from randomisation and the visits kept
    (visit id -> dates). A visit without a day is listed with no target. With `until`, a
    repeating visit's occurrences stop at the first not kept whose window opens after it."""
    by_id = {v.id: v for v in visits}
    mine = [v for v in visits if not v.arms or arm in v.arms]
    first: dict[str, dt.date | None] = {}

    def anchor_date(visit_id: str | None, seen: frozenset[str]) -> dt.date | None:
        if visit_id in (None, RANDOMISATION):
            return randomised
        assert visit_id is not None
        if visit_id in first:
            return first[visit_id]
        anchor = by_id.get(visit_id)
        if anchor is None or visit_id in seen or anchor.day is None:
            return None
        dates = sorted(kept.get(visit_id, ()))
        base = anchor_date(anchor.anchor, seen | {visit_id})
        day = dates[0] if dates else (base + dt.timedelta(days=anchor.day) if base else None)
        first[visit_id] = day
        return day

    out: list[VisitWindow] = []
    for visit in mine:
        base = anchor_date(visit.anchor, frozenset({visit.id}))
        dates = sorted(kept.get(visit.id, ()))
        waiting = "" if base is not None else by_id.get(visit.anchor or "", visit).label
        for k in range(_occurrences(visit)):
            target = None
            if base is not None and visit.day is not None:
                offset = visit.day + k * (visit.repeat_every_days or 0)
                target = base + dt.timedelta(days=offset)
            earliest = target - dt.timedelta(days=visit.before_days) if target else None
            if until is not None and earliest is not None and earliest > until and k >= len(dates):
                break
            out.append(
                VisitWindow(
                    visit=visit.id,
                    label=visit.label,
                    occurrence=k + 1,
                    target=target,
                    earliest=earliest,
                    latest=target + dt.timedelta(days=visit.after_days) if target else None,
                    actual=dates[k] if k < len(dates) else None,
                    waiting_for=waiting,
                )
            )
    return tuple(out)
