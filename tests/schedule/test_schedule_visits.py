"""The visit schedule (schedule.toml): targets from randomisation or another visit, windows,
repeats, arms, and the status of each occurrence on a reference date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cairo6.schedule import Status
from cairo6.schedule.visits import visit_windows
from cairo6.study import read_study
from cairo6.study.models import ScheduledEvent

D = dt.date.fromisoformat
RANDOMISED = D("2018-03-01")
VISITS = [
    ScheduledEvent(id="week_4", label="Week 4", anchor="randomisation", day=28, after_days=7),
    ScheduledEvent(id="op", label="Operation", anchor="randomisation", day=42, after_days=14),
    ScheduledEvent(
        id="check",
        label="Check-up",
        anchor="op",
        day=30,
        before_days=5,
        after_days=5,
        repeat_every_days=60,
        repeat_count=3,
    ),
    ScheduledEvent(id="scan", label="Scan", day=63, arms=["experimental"]),
]


def test_targets_windows_and_repeats_follow_the_anchor() -> None:
    got = visit_windows(VISITS, "control", RANDOMISED, {"op": [D("2018-04-20")]})
    assert [(v.visit, v.occurrence) for v in got] == [
        ("week_4", 1), ("op", 1), ("check", 1), ("check", 2), ("check", 3),
    ]  # fmt: skip
    week_4, op, *checks = got
    assert (week_4.target, week_4.earliest, week_4.latest) == (
        D("2018-03-29"),
        D("2018-03-29"),
        D("2018-04-05"),
    )
    assert op.actual == D("2018-04-20")
    # Check-ups count from the operation as done, not as planned (2018-04-12).
    assert [c.target for c in checks] == [D("2018-05-20"), D("2018-07-19"), D("2018-09-17")]
    assert (checks[0].earliest, checks[0].latest) == (D("2018-05-15"), D("2018-05-25"))


def test_an_anchor_not_yet_done_is_projected_from_its_own_target() -> None:
    got = visit_windows(VISITS, "control", RANDOMISED, {})
    first_check = next(v for v in got if v.visit == "check")
    assert first_check.target == RANDOMISED + dt.timedelta(days=42 + 30)


def test_an_arm_only_visit() -> None:
    assert "scan" in {v.visit for v in visit_windows(VISITS, "experimental", RANDOMISED, {})}
    assert "scan" not in {v.visit for v in visit_windows(VISITS, "control", RANDOMISED, {})}


def test_status_of_each_occurrence() -> None:
    kept = {"week_4": [D("2018-04-10")], "op": [D("2018-04-12")], "check": [D("2018-05-13")]}
    got = {(v.visit, v.occurrence): v for v in visit_windows(VISITS, "control", RANDOMISED, kept)}
    on = D("2018-07-20")
    assert got[("week_4", 1)].describe(on) == "missed by 5 days (late)"
    assert got[("op", 1)].status(on) is Status.MET
    assert got[("check", 1)].describe(on) == "met"  # 2018-05-12, 5 days either side
    assert got[("check", 2)].describe(on) == "overdue by 4 days"  # 2018-07-11 +- 5
    assert got[("check", 2)].describe(D("2018-07-10")) == "due"
    assert got[("check", 3)].describe(on) == "not yet due"


def test_the_toy_study_plans_its_visit_without_any_regimen() -> None:
    toy = read_study(Path(__file__).resolve().parents[1] / "study" / "data" / "toy")
    assert toy.trial_protocol.regimens == []
    arm = toy.trial_protocol.arms[0].id
    (week_12,) = visit_windows(toy.schedule, arm, RANDOMISED, {})
    assert (week_12.earliest, week_12.latest) == (D("2018-05-17"), D("2018-05-31"))
    assert week_12.status(D("2018-06-01")) is Status.OVERDUE
