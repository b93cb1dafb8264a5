"""Properties that hold for every regimen, delay, switch and stop."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from cairo6.protocol import Event, Phase, Protocol, default_protocol
from cairo6.schedule import (
    Course,
    CycleGiven,
    EarlyStop,
    Status,
    Switch,
    Treatment,
    build_calendar,
    check_compliance,
    cycle_slots,
    switch_share,
)

PROTOCOL: Protocol = default_protocol()
NEOADJUVANT = [r for r in PROTOCOL.regimens if r.phase is Phase.NEOADJUVANT]
RANDOMISED = dt.date(2018, 3, 1)


@st.composite
def courses(draw: st.DrawFn) -> Course:
    regimen = draw(st.sampled_from(NEOADJUVANT))
    switch = None
    switch_options = [r for r in PROTOCOL.regimens if r.id in regimen.switch_to]
    if switch_options and draw(st.booleans()):
        at = draw(st.integers(2, regimen.cycles))
        switch = (at, draw(st.sampled_from(switch_options)))
    slots = cycle_slots(regimen, switch)
    n_given = draw(st.integers(0, len(slots)))
    if switch is not None:
        n_given = max(n_given, switch[0] - 1)
    day = RANDOMISED + dt.timedelta(days=draw(st.integers(0, 40)))
    cycles = []
    for slot in slots[:n_given]:
        cycles.append(CycleGiven(slot.number, day, antiangiogenic=draw(st.none() | st.booleans())))
        day += dt.timedelta(days=slot.regimen.cycle_length_days + draw(st.integers(0, 14)))
    stop = EarlyStop(n_given) if n_given and draw(st.booleans()) else None
    recorded = Switch(switch[0], switch[1].id) if switch is not None else None
    return Course("experimental", RANDOMISED, Treatment(regimen.id, tuple(cycles), recorded, stop))


@settings(max_examples=200, deadline=None)
@given(courses())
def test_planned_dates_always_increase(course: Course) -> None:
    cycles = build_calendar(PROTOCOL, course).neoadjuvant
    for before, after in itertools.pairwise(cycles):
        assert before.day1 is not None
        assert after.day1 is not None
        assert before.day1 < after.day1
        if not after.given:
            assert after.planned == before.day1 + dt.timedelta(days=before.length_days)


@settings(max_examples=200, deadline=None)
@given(courses(), st.dates(dt.date(2018, 1, 1), dt.date(2019, 12, 31)))
def test_window_bounds_are_anchor_plus_days(course: Course, on: dt.date) -> None:
    cal = build_calendar(PROTOCOL, course)
    for plan, check in zip(cal.windows, check_compliance(cal, on), strict=True):
        anchor = plan.anchor.date
        w = plan.window
        if anchor is None:
            assert (check.earliest, check.latest) == (None, None)
            continue
        if w.min_days is not None:
            assert check.earliest == anchor + dt.timedelta(days=w.min_days)
        if w.max_days is not None:
            assert check.latest == anchor + dt.timedelta(days=w.max_days)
        if check.status is Status.OVERDUE:
            assert check.latest is not None
            assert on > check.latest
            assert check.actual is None
        if check.status is Status.MISSED:
            assert check.days > 0
            assert check.actual is not None


@settings(max_examples=200, deadline=None)
@given(courses())
def test_surgery_range_is_the_intersection(course: Course) -> None:
    cal = build_calendar(PROTOCOL, course)
    span = cal.procedure_window
    if span is None or span.conflict is not None:
        return
    plans = [p for p in cal.windows if p.window.event is Event.INDEX_PROCEDURE and p.applicable]
    for plan in plans:
        if plan.earliest is not None:
            assert span.earliest is not None
            assert span.earliest >= plan.earliest
        if plan.latest is not None:
            assert span.latest is not None
            assert span.latest <= plan.latest


@given(st.integers(1, 24), st.integers(1, 24), st.data())
def test_switch_never_shortens_treatment(old_n: int, new_n: int, data: st.DataObject) -> None:
    base = PROTOCOL.regimen("CAPOX-B")
    old = base.model_copy(update={"cycles": old_n})
    new = base.model_copy(update={"cycles": new_n})
    given_n = data.draw(st.integers(1, old_n))
    share = switch_share(old, new, given_n)
    left = old_n - given_n
    assert 0 <= share <= new_n
    # The share of the new course is at least the share of the old one still owed.
    assert share * old_n >= left * new_n
    assert (share - 1) * old_n < left * new_n or share == 0
