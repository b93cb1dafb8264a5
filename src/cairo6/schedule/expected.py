"""Expected forms: which of a participant's forms are overdue, due or missing on a date.

A form is expected when a visit of the schedule names it (each occurrence of the visit wants
one record, dated by the form's date item, inside the visit's window) or when the form says
`expected = true` and the forms it requires exist (a discharge once the operation is
recorded). Nothing is expected of a participant whose time in the trial has ended (a record
of a form with `ends = true`), nor of a visit not for the participant's arm, nor of a visit
whose anchor has no date yet. Pure: the reference date is a parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cairo6.schedule.visits import visit_windows
from cairo6.study.models import Form, ScheduledEvent

__all__ = ["Expected", "ExpectedStatus", "expected_forms"]


class ExpectedStatus(StrEnum):
    """Where an expected record stands on the reference date."""

    OVERDUE = "overdue"
    """Its window closed without a record."""
    DUE = "due"
    """Its window is open."""
    MISSING = "missing"
    """Expected since the forms it follows were recorded; no window of its own."""


@dataclass(frozen=True)
class Expected:
    """One record a participant should have and has not."""

    form: str
    what: str
    """The visit (and occurrence) or the form, as people read it."""
    status: ExpectedStatus
    earliest: dt.date | None
    latest: dt.date | None
    days_overdue: int
    since: dt.date | None
    """The day it became expected: its window opened, or the form it follows was dated."""


Records = Mapping[str, Sequence[Mapping[str, Any]]]
"""A participant's records: form id -> each record's typed items."""


def _dates(form: Form, records: Sequence[Mapping[str, Any]]) -> list[dt.date]:
    if form.date_item is None:
        return []
    return sorted(r[form.date_item] for r in records if isinstance(r.get(form.date_item), dt.date))


def _scheduled(
    forms: Mapping[str, Form],
    events: Sequence[ScheduledEvent],
    arm: str,
    randomised: dt.date,
    records: Records,
    on: dt.date,
) -> list[Expected]:
    # Dates kept per visit: the dates of its form's records (a form without a date item counts
    # its records, in order, as the visit's first occurrences).
    kept = {e.id: _dates(forms[e.form], records.get(e.form, ())) for e in events if e.form}
    windows = visit_windows(events, arm, randomised, kept, until=on)
    by_id = {e.id: e for e in events}
    out: list[Expected] = []
    for window in windows:
        event = by_id[window.visit]
        form = forms[event.form or ""]
        count = len(records.get(form.id, ()))
        if window.actual is not None or window.target is None or window.earliest is None:
            continue
        if form.date_item is None and window.occurrence <= count:
            continue
        if not form.repeating and count:
            continue
        repeats = (event.repeat_count or 1) > 1 and event.repeat_every_days
        what = f"{window.label} {window.occurrence}" if repeats else window.label
        latest = window.latest
        if latest is not None and on > latest:
            status, late = ExpectedStatus.OVERDUE, (on - latest).days
        elif window.earliest <= on:
            status, late = ExpectedStatus.DUE, 0
        else:
            continue
        out.append(Expected(form.id, what, status, window.earliest, latest, late, window.earliest))
    return out


def _followers(forms: Mapping[str, Form], scheduled: set[str], records: Records) -> list[Expected]:
    out: list[Expected] = []
    for form in forms.values():
        if not form.expected or form.id in scheduled or records.get(form.id):
            continue
        if not all(records.get(need) for need in form.requires):
            continue
        dated = [
            day
            for need in form.requires
            if need in forms
            for day in _dates(forms[need], records.get(need, ()))
        ]
        since = max(dated) if dated else None
        out.append(Expected(form.id, form.label, ExpectedStatus.MISSING, None, None, 0, since))
    return out


def expected_forms(
    forms: Sequence[Form],
    events: Sequence[ScheduledEvent],
    arm: str,
    randomised: dt.date,
    records: Records,
    on: dt.date,
) -> list[Expected]:
    """What the participant should have recorded by `on` and has not, most overdue first."""
    by_id = {f.id: f for f in forms}
    if any(records.get(f.id) for f in forms if f.ends):
        return []
    mine = [e for e in events if e.form in by_id]
    found = _scheduled(by_id, mine, arm, randomised, records, on)
    found += _followers(by_id, {e.form for e in mine if e.form}, records)
    order = {ExpectedStatus.OVERDUE: 0, ExpectedStatus.DUE: 1, ExpectedStatus.MISSING: 2}
    return sorted(found, key=lambda e: (order[e.status], -e.days_overdue, e.since or on))
