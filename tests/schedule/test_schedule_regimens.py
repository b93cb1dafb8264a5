"""Planned dated calendars of every CAIRO6 neoadjuvant regimen, switches, stops and delays."""

from __future__ import annotations

import datetime as dt

import pytest

from cairo6.protocol import Event, Protocol
from cairo6.schedule import (
    Course,
    CycleGiven,
    EarlyStop,
    Procedure,
    Switch,
    Treatment,
    build_calendar,
)

D = dt.date.fromisoformat
RANDOMISED = D("2018-03-01")


def every(first: str, days: int, n: int) -> list[dt.date]:
    start = D(first)
    return [start + dt.timedelta(days=days * k) for k in range(n)]


def course(
    regimen: str,
    dates: list[dt.date],
    switch: Switch | None = None,
    stop: EarlyStop | None = None,
) -> Course:
    cycles = tuple(CycleGiven(k, day) for k, day in enumerate(dates, start=1))
    return Course("experimental", RANDOMISED, Treatment(regimen, cycles, switch, stop))


@pytest.mark.parametrize(
    ("regimen", "length", "n", "bev", "restage", "marker"),
    [
        ("CAPOX-B", 21, 4, [1, 2, 3], 3, "capecitabine"),
        ("FOLFOX-B", 14, 6, [1, 2, 3, 4], 4, "oxaliplatin"),
        ("FOLFIRI-B", 14, 6, [1, 2, 3, 4], 4, "irinotecan"),
    ],
)
def test_full_course(
    protocol: Protocol,
    regimen: str,
    length: int,
    n: int,
    bev: list[int],
    restage: int,
    marker: str,
) -> None:
    dates = every("2018-03-12", length, n)
    cal = build_calendar(protocol, course(regimen, dates))
    assert [c.number for c in cal.neoadjuvant] == list(range(1, n + 1))
    assert [c.planned for c in cal.neoadjuvant] == dates
    assert [c.number for c in cal.neoadjuvant if c.antiangiogenic] == bev
    assert all(marker in [d.name for d in c.drugs] for c in cal.neoadjuvant)
    assert cal.assessment_after_cycle == restage
    ct = cal.assessment_window
    assert ct is not None
    assert ct.earliest == dates[restage - 1] + dt.timedelta(days=7)
    assert ct.latest == dates[restage - 1] + dt.timedelta(days=28)
    surgery = cal.procedure_window
    assert surgery is not None
    assert surgery.conflict is None
    assert surgery.earliest == dates[bev[-1] - 1] + dt.timedelta(days=42)
    assert surgery.latest == dates[-1] + dt.timedelta(days=42)
    assert surgery.settled


def test_capox_b_dates_by_hand(protocol: Protocol) -> None:
    dates = [D("2018-03-12"), D("2018-04-02"), D("2018-04-23"), D("2018-05-14")]
    cal = build_calendar(protocol, course("CAPOX-B", dates))
    surgery = cal.procedure_window
    assert surgery is not None
    assert (surgery.earliest, surgery.latest) == (D("2018-06-04"), D("2018-06-25"))
    assert cal.adjuvant_deadline is None  # no surgery yet: nothing to count from


def test_plan_before_any_cycle_starts_at_randomisation(protocol: Protocol) -> None:
    cal = build_calendar(protocol, course("CAPOX-B", []))
    assert [c.planned for c in cal.neoadjuvant] == every("2018-03-01", 21, 4)
    assert not any(c.given for c in cal.neoadjuvant)
    start = cal.range_for(Event.FIRST_NEOADJUVANT_CYCLE)
    assert start is not None
    assert start.latest == D("2018-03-29")


def test_delayed_cycle_shifts_later_plans(protocol: Protocol) -> None:
    cal = build_calendar(protocol, course("CAPOX-B", [D("2018-03-12"), D("2018-04-09")]))
    planned = [c.planned for c in cal.neoadjuvant]
    assert planned == [D("2018-03-12"), D("2018-04-02"), D("2018-04-30"), D("2018-05-21")]
    assert cal.neoadjuvant[1].actual == D("2018-04-09")


def test_switch_capox_to_folfiri_after_cycle_1(protocol: Protocol) -> None:
    switch = Switch(at_cycle=2, regimen="FOLFIRI-B", reason="oxaliplatin toxicity")
    cal = build_calendar(protocol, course("CAPOX-B", [D("2018-03-12")], switch=switch))
    cycles = cal.neoadjuvant
    # FOLFIRI-B covers the remaining 3/4 of the course: ceil(0.75 x 6) = 5 cycles.
    assert [c.regimen for c in cycles] == ["CAPOX-B"] + ["FOLFIRI-B"] * 5
    assert [c.planned for c in cycles] == [D("2018-03-12"), *every("2018-04-02", 14, 5)]
    assert "irinotecan" in [d.name for d in cycles[1].drugs]
    assert "oxaliplatin" not in [d.name for d in cycles[1].drugs]
    assert [c.number for c in cycles if c.antiangiogenic] == [1, 2, 3, 4]
    assert cal.assessment_after_cycle == 4
    surgery = cal.procedure_window
    assert surgery is not None
    assert surgery.earliest == D("2018-04-30") + dt.timedelta(days=42)
    assert surgery.latest == D("2018-05-28") + dt.timedelta(days=42)


def test_switch_inferred_from_cycle_regimen(protocol: Protocol) -> None:
    cycles = (
        CycleGiven(1, D("2018-03-12")),
        CycleGiven(2, D("2018-04-02"), regimen="FOLFIRI-B"),
    )
    explicit = course("CAPOX-B", [D("2018-03-12"), D("2018-04-02")], switch=Switch(2, "FOLFIRI-B"))
    inferred = Course("experimental", RANDOMISED, Treatment("CAPOX-B", cycles))
    assert [c.regimen for c in build_calendar(protocol, inferred).neoadjuvant] == [
        c.regimen for c in build_calendar(protocol, explicit).neoadjuvant
    ]


def test_late_switch_keeps_position_in_new_schedule(protocol: Protocol) -> None:
    dates = every("2018-03-12", 21, 2)
    cal = build_calendar(protocol, course("CAPOX-B", dates, switch=Switch(3, "FOLFIRI-B")))
    # Half the course left: 3 FOLFIRI-B cycles, its own cycles 4-6 (bevacizumab only in its 4th).
    assert [(c.regimen, c.position) for c in cal.neoadjuvant[2:]] == [
        ("FOLFIRI-B", 4),
        ("FOLFIRI-B", 5),
        ("FOLFIRI-B", 6),
    ]
    assert [c.number for c in cal.neoadjuvant if c.antiangiogenic] == [1, 2, 3]
    assert cal.assessment_after_cycle == 3


def test_early_stop_after_cycle_2(protocol: Protocol) -> None:
    dates = [D("2018-03-12"), D("2018-04-02")]
    stop = EarlyStop(after_cycle=2, date=D("2018-04-20"), reason="gastrointestinal toxicity")
    cal = build_calendar(protocol, course("CAPOX-B", dates, stop=stop))
    assert [c.number for c in cal.neoadjuvant] == [1, 2]
    assert cal.assessment_after_cycle == 2
    ct = cal.assessment_window
    assert ct is not None
    assert (ct.earliest, ct.latest) == (D("2018-04-09"), D("2018-04-30"))
    surgery = cal.procedure_window
    assert surgery is not None
    # Both anchors are cycle 2: the last cycle and the last bevacizumab.
    assert cal.events[Event.LAST_NEOADJUVANT_CYCLE].actual == D("2018-04-02")
    assert cal.events[Event.LAST_ANTIANGIOGENIC_DOSE].actual == D("2018-04-02")
    assert (surgery.earliest, surgery.latest) == (D("2018-05-14"), D("2018-05-14"))


def test_early_stop_with_bevacizumab_omitted_in_last_cycle(protocol: Protocol) -> None:
    cycles = (
        CycleGiven(1, D("2018-03-12")),
        CycleGiven(2, D("2018-04-02"), antiangiogenic=False),
    )
    treatment = Treatment("CAPOX-B", cycles, stop=EarlyStop(after_cycle=2))
    cal = build_calendar(protocol, Course("experimental", RANDOMISED, treatment))
    surgery = cal.procedure_window
    assert surgery is not None
    assert (surgery.earliest, surgery.latest) == (D("2018-04-23"), D("2018-05-14"))


def test_bevacizumab_omitted_moves_last_dose(protocol: Protocol) -> None:
    dates = every("2018-03-12", 21, 4)
    cycles = tuple(
        CycleGiven(k, day, antiangiogenic=False if k == 3 else None)
        for k, day in enumerate(dates, start=1)
    )
    cal = build_calendar(protocol, Course("experimental", RANDOMISED, Treatment("CAPOX-B", cycles)))
    assert cal.neoadjuvant[2].antiangiogenic_planned
    assert cal.neoadjuvant[2].antiangiogenic_given is False
    assert cal.events[Event.LAST_ANTIANGIOGENIC_DOSE].actual == dates[1]
    surgery = cal.procedure_window
    assert surgery is not None
    assert surgery.earliest == dates[1] + dt.timedelta(days=42)


def test_bevacizumab_omitted_in_every_cycle_drops_that_window(protocol: Protocol) -> None:
    dates = every("2018-03-12", 21, 4)
    cycles = tuple(CycleGiven(k, day, antiangiogenic=False) for k, day in enumerate(dates, start=1))
    cal = build_calendar(protocol, Course("experimental", RANDOMISED, Treatment("CAPOX-B", cycles)))
    surgery = cal.procedure_window
    assert surgery is not None
    assert surgery.earliest is None
    assert surgery.latest == dates[-1] + dt.timedelta(days=42)


def test_surgery_closes_the_neoadjuvant_phase(protocol: Protocol) -> None:
    dates = every("2018-03-12", 21, 3)
    surgery = Procedure(D("2018-06-04"), complete=True)
    cal = build_calendar(
        protocol,
        Course("experimental", RANDOMISED, course("CAPOX-B", dates).neoadjuvant, procedure=surgery),
    )
    assert [c.number for c in cal.neoadjuvant] == [1, 2, 3]
    assert cal.events[Event.LAST_NEOADJUVANT_CYCLE].actual == dates[-1]
    assert cal.adjuvant_deadline == D("2018-06-04") + dt.timedelta(days=84)


def test_adjuvant_cycles_planned_after_surgery(protocol: Protocol) -> None:
    dates = every("2018-03-12", 21, 4)
    surgery = Procedure(D("2018-06-20"), complete=True)
    adjuvant = Treatment("CAPOX", (CycleGiven(1, D("2018-08-01")),))
    base = course("CAPOX-B", dates)
    cal = build_calendar(
        protocol,
        Course("experimental", RANDOMISED, base.neoadjuvant, procedure=surgery, adjuvant=adjuvant),
    )
    assert [c.planned for c in cal.adjuvant] == every("2018-08-01", 21, 4)
    assert not any(c.antiangiogenic for c in cal.adjuvant)
    assert cal.adjuvant_deadline == D("2018-09-12")


def test_control_arm_has_a_surgery_deadline_only(protocol: Protocol) -> None:
    cal = build_calendar(protocol, Course("control", RANDOMISED))
    assert cal.neoadjuvant == ()
    surgery = cal.procedure_window
    assert surgery is not None
    assert (surgery.earliest, surgery.latest) == (None, D("2018-04-12"))
    assert set(cal.ranges) == {Event.INDEX_PROCEDURE}
