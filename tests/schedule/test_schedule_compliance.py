"""Window statuses (met, missed early/late by N days, not yet due, overdue, not applicable)."""

from __future__ import annotations

import datetime as dt

import pytest

from cairo6.protocol import Protocol
from cairo6.schedule import (
    Course,
    CycleGiven,
    EarlyStop,
    Procedure,
    Status,
    Treatment,
    WindowCheck,
    build_calendar,
    check_compliance,
    due_or_overdue,
)

D = dt.date.fromisoformat
RANDOMISED = D("2018-03-01")
CAPOX_DATES = [D("2018-03-12"), D("2018-04-02"), D("2018-04-23"), D("2018-05-14")]


def capox(
    n: int = 4,
    *,
    stop: int | None = None,
    ct: str | None = None,
    surgery: str | None = None,
    complete: bool = True,
    adjuvant: list[str] | None = None,
) -> Course:
    cycles = tuple(CycleGiven(k, day) for k, day in enumerate(CAPOX_DATES[:n], start=1))
    return Course(
        "experimental",
        RANDOMISED,
        Treatment("CAPOX-B", cycles, stop=EarlyStop(stop) if stop is not None else None),
        assessment=D(ct) if ct else None,
        procedure=Procedure(D(surgery), complete) if surgery else None,
        adjuvant=(
            Treatment("CAPOX", tuple(CycleGiven(k, D(d)) for k, d in enumerate(adjuvant, 1)))
            if adjuvant is not None
            else None
        ),
    )


def checks(protocol: Protocol, course: Course, on: str) -> dict[str, WindowCheck]:
    cal = build_calendar(protocol, course)
    return {c.window.id: c for c in check_compliance(cal, D(on))}


def test_every_window_met(protocol: Protocol) -> None:
    course = capox(ct="2018-05-10", surgery="2018-06-15", adjuvant=["2018-08-01"])
    got = checks(protocol, course, "2018-09-01")
    assert {k: c.status for k, c in got.items()} == {
        "neoadjuvant_start": Status.MET,
        "restaging_ct": Status.MET,
        "surgery_after_last_cycle": Status.MET,
        "surgery_after_bevacizumab": Status.MET,
        "adjuvant_start": Status.MET,
    }
    assert all(c.describe() == "met" for c in got.values())


@pytest.mark.parametrize(
    ("ct", "days", "direction"),
    [("2018-04-27", 3, "early"), ("2018-05-24", 3, "late"), ("2018-05-22", 1, "late")],
)
def test_restaging_ct_missed(protocol: Protocol, ct: str, days: int, direction: str) -> None:
    check = checks(protocol, capox(ct=ct), "2018-06-01")["restaging_ct"]
    assert check.status is Status.MISSED
    assert (check.days, check.direction) == (days, direction)
    unit = "day" if days == 1 else "days"
    assert check.describe() == f"missed by {days} {unit} ({direction})"


def test_surgery_late_after_last_cycle(protocol: Protocol) -> None:
    got = checks(protocol, capox(surgery="2018-06-28"), "2018-07-01")
    assert got["surgery_after_last_cycle"].describe() == "missed by 3 days (late)"
    assert got["surgery_after_last_cycle"].latest == D("2018-06-25")
    assert got["surgery_after_bevacizumab"].status is Status.MET


def test_surgery_too_soon_after_bevacizumab(protocol: Protocol) -> None:
    got = checks(protocol, capox(surgery="2018-06-01"), "2018-06-02")
    assert got["surgery_after_bevacizumab"].describe() == "missed by 3 days (early)"
    assert got["surgery_after_bevacizumab"].anchor == D("2018-04-23")
    assert got["surgery_after_last_cycle"].status is Status.MET


def test_first_cycle_late(protocol: Protocol) -> None:
    course = Course(
        "experimental", RANDOMISED, Treatment("CAPOX-B", (CycleGiven(1, D("2018-04-02")),))
    )
    check = checks(protocol, course, "2018-04-03")["neoadjuvant_start"]
    assert check.describe() == "missed by 4 days (late)"


def test_overdue_and_not_yet_due_on_a_date(protocol: Protocol) -> None:
    course = capox(0)
    assert checks(protocol, course, "2018-03-29")["neoadjuvant_start"].status is Status.NOT_YET_DUE
    overdue = checks(protocol, course, "2018-04-05")["neoadjuvant_start"]
    assert overdue.status is Status.OVERDUE
    assert overdue.describe() == "overdue by 7 days"


def test_windows_waiting_for_neoadjuvant_are_not_yet_due(protocol: Protocol) -> None:
    got = checks(protocol, capox(0), "2019-01-01")
    for wid in ("restaging_ct", "surgery_after_last_cycle", "surgery_after_bevacizumab"):
        assert got[wid].status is Status.NOT_YET_DUE
    assert got["adjuvant_start"].status is Status.NOT_YET_DUE


def test_projected_anchor_is_never_overdue(protocol: Protocol) -> None:
    # Cycle 4 was never recorded: the surgery deadline still moves with it.
    got = checks(protocol, capox(3), "2018-12-01")
    assert got["surgery_after_last_cycle"].status is Status.NOT_YET_DUE
    assert got["surgery_after_last_cycle"].anchor_projected
    assert got["restaging_ct"].status is Status.OVERDUE


def test_adjuvant_not_applicable_after_incomplete_surgery(protocol: Protocol) -> None:
    check = checks(protocol, capox(surgery="2018-06-15", complete=False), "2019-01-01")[
        "adjuvant_start"
    ]
    assert check.status is Status.NOT_APPLICABLE
    assert "not macroscopically complete" in check.reason


def test_adjuvant_overdue_after_complete_surgery(protocol: Protocol) -> None:
    check = checks(protocol, capox(surgery="2018-06-15"), "2018-09-10")["adjuvant_start"]
    assert check.latest == D("2018-09-07")
    assert check.describe() == "overdue by 3 days"


def test_stop_before_first_cycle(protocol: Protocol) -> None:
    got = checks(protocol, capox(0, stop=0, surgery="2018-03-20"), "2018-06-01")
    assert got["neoadjuvant_start"].status is Status.NOT_APPLICABLE
    assert "stopped before cycle 1" in got["neoadjuvant_start"].reason
    for wid in ("restaging_ct", "surgery_after_last_cycle", "surgery_after_bevacizumab"):
        assert got[wid].status is Status.NOT_APPLICABLE
        assert got[wid].reason == "no neoadjuvant cycle was given"


def test_control_arm(protocol: Protocol) -> None:
    def status(surgery: str | None, on: str) -> str:
        course = Course(
            "control", RANDOMISED, procedure=Procedure(D(surgery), True) if surgery else None
        )
        return checks(protocol, course, on)["control_surgery"].describe()

    assert status("2018-04-12", "2018-05-01") == "met"
    assert status("2018-04-15", "2018-05-01") == "missed by 3 days (late)"
    assert status(None, "2018-04-12") == "not yet due"
    assert status(None, "2018-04-20") == "overdue by 8 days"
    course = Course("control", RANDOMISED)
    assert set(checks(protocol, course, "2018-04-01")) == {"control_surgery"}


def todo(protocol: Protocol, course: Course, on: str) -> list[tuple[str, str]]:
    return [(i.what, i.status) for i in due_or_overdue(build_calendar(protocol, course), D(on))]


def test_due_first_cycle_then_next_cycle(protocol: Protocol) -> None:
    assert todo(protocol, capox(0), "2018-03-10") == [("first neoadjuvant cycle", "due")]
    assert todo(protocol, capox(0), "2018-04-01") == [("first neoadjuvant cycle", "overdue")]
    assert todo(protocol, capox(2), "2018-04-20") == []
    items = due_or_overdue(build_calendar(protocol, capox(2)), D("2018-04-25"))
    assert [(i.what, i.status) for i in items] == [("neoadjuvant cycle 3 (CAPOX-B)", "due")]
    assert items[0].note == "planned 2018-04-23, 2 days ago"


def test_due_restaging_and_surgery(protocol: Protocol) -> None:
    assert todo(protocol, capox(3), "2018-05-01") == [("restaging CT", "due")]
    done = capox(ct="2018-05-10")
    assert todo(protocol, done, "2018-06-01") == []
    assert todo(protocol, done, "2018-06-10") == [("surgery", "due")]
    items = due_or_overdue(build_calendar(protocol, done), D("2018-06-30"))
    assert [(i.what, i.status, i.days_overdue) for i in items] == [("surgery", "overdue", 5)]


def test_due_adjuvant_after_surgery(protocol: Protocol) -> None:
    course = capox(ct="2018-05-10", surgery="2018-06-15")
    assert todo(protocol, course, "2018-07-01") == [("first adjuvant cycle", "due")]
    assert (
        todo(protocol, capox(ct="2018-05-10", surgery="2018-06-15", complete=False), "2018-07-01")
        == []
    )
