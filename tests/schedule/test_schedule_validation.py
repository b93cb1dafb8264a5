"""Invalid courses raise ScheduleError naming the field, the value and what is allowed."""

from __future__ import annotations

import datetime as dt

import pytest

from cairo6.errors import ScheduleError
from cairo6.protocol import Protocol
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
C1, C2, C3 = D("2018-03-12"), D("2018-04-02"), D("2018-04-23")


def neo(
    *cycles: CycleGiven,
    regimen: str = "CAPOX-B",
    switch: Switch | None = None,
    stop: EarlyStop | None = None,
) -> Course:
    return Course("experimental", RANDOMISED, Treatment(regimen, cycles, switch, stop))


def error_for(protocol: Protocol, course: Course) -> ScheduleError:
    with pytest.raises(ScheduleError) as caught:
        build_calendar(protocol, course)
    return caught.value


def test_cycle_before_randomisation(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, D("2018-02-27"))))
    assert err.field == "neoadjuvant.cycles[1].day1"
    assert err.value == "2018-02-27"
    assert "randomisation (2018-03-01)" in err.allowed


def test_cycle_dates_not_increasing(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, C2), CycleGiven(2, C1)))
    assert err.field == "neoadjuvant.cycles[2].day1"
    assert "after cycle 1 (2018-04-02)" in err.allowed


def test_same_day_twice_is_not_increasing(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, C1), CycleGiven(2, C1)))
    assert err.field == "neoadjuvant.cycles[2].day1"


def test_duplicate_cycle_number(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, C1), CycleGiven(1, C2)))
    assert err.field == "neoadjuvant.cycles[1].number"
    assert err.allowed == "each cycle number once"


def test_gap_in_cycle_numbers(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, C1), CycleGiven(3, C2)))
    assert err.field == "neoadjuvant.cycles[3].number"
    assert "cycle 2 next" in err.allowed


def test_more_cycles_than_planned(protocol: Protocol) -> None:
    dates = [C1 + dt.timedelta(days=21 * k) for k in range(5)]
    err = error_for(protocol, neo(*(CycleGiven(k + 1, d) for k, d in enumerate(dates))))
    assert err.field == "neoadjuvant.cycles[5].number"
    assert "at most 4 cycles" in err.allowed


def test_regimen_not_allowed_for_phase(protocol: Protocol) -> None:
    err = error_for(protocol, neo(regimen="CAPOX"))
    assert err.field == "neoadjuvant.regimen"
    assert err.value == "CAPOX"
    assert "CAPOX-B" in err.allowed
    assert "FOLFIRI-B" in err.allowed


def test_regimen_not_allowed_for_control_arm(protocol: Protocol) -> None:
    course = Course("control", RANDOMISED, Treatment("CAPOX-B"))
    err = error_for(protocol, course)
    assert err.field == "neoadjuvant.regimen"
    assert "arm 'control' has no neoadjuvant regimen" in err.allowed


def test_unknown_arm(protocol: Protocol) -> None:
    err = error_for(protocol, Course("placebo", RANDOMISED))
    assert err.field == "arm"
    assert "experimental" in err.allowed


def test_switch_to_regimen_not_in_switch_to(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, C1), switch=Switch(2, "FOLFOX-B")))
    assert err.field == "neoadjuvant.switch.regimen"
    assert err.allowed == "one of FOLFIRI-B"


def test_implied_switch_not_in_switch_to(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, C1), CycleGiven(2, C2, regimen="FOLFOX-B")))
    assert err.field == "neoadjuvant.cycles[2].regimen"


def test_second_change_of_regimen(protocol: Protocol) -> None:
    course = neo(
        CycleGiven(1, C1),
        CycleGiven(2, C2, regimen="FOLFIRI-B"),
        CycleGiven(3, D("2018-04-16"), regimen="CAPOX-B"),
    )
    err = error_for(protocol, course)
    assert err.field == "neoadjuvant.cycles[3].regimen"
    assert "FOLFIRI-B" in err.allowed


@pytest.mark.parametrize("at", [1, 4])
def test_switch_at_impossible_cycle(protocol: Protocol, at: int) -> None:
    err = error_for(
        protocol, neo(CycleGiven(1, C1), CycleGiven(2, C2), switch=Switch(at, "FOLFIRI-B"))
    )
    assert err.field == "neoadjuvant.switch.at_cycle"
    assert err.value == at
    assert "from 2 to 3" in err.allowed


def test_stop_must_follow_last_cycle(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, C1), stop=EarlyStop(after_cycle=2)))
    assert err.field == "neoadjuvant.stop.after_cycle"
    assert err.allowed.startswith("1,")


def test_stop_date_before_last_cycle(protocol: Protocol) -> None:
    stop = EarlyStop(after_cycle=2, date=D("2018-03-20"))
    err = error_for(protocol, neo(CycleGiven(1, C1), CycleGiven(2, C2), stop=stop))
    assert err.field == "neoadjuvant.stop.date"


def test_surgery_before_randomisation(protocol: Protocol) -> None:
    course = Course("control", RANDOMISED, procedure=Procedure(D("2018-02-01"), True))
    err = error_for(protocol, course)
    assert err.field == "surgery.date"
    assert err.value == "2018-02-01"


def test_neoadjuvant_cycle_after_surgery(protocol: Protocol) -> None:
    course = Course(
        "experimental",
        RANDOMISED,
        Treatment("CAPOX-B", (CycleGiven(1, C1), CycleGiven(2, C2))),
        procedure=Procedure(D("2018-03-20"), True),
    )
    err = error_for(protocol, course)
    assert err.field == "neoadjuvant.cycles[2].day1"
    assert "before surgery (2018-03-20)" in err.allowed


def test_adjuvant_cycle_before_surgery(protocol: Protocol) -> None:
    course = Course(
        "experimental",
        RANDOMISED,
        Treatment("CAPOX-B", (CycleGiven(1, C1),), stop=EarlyStop(1)),
        procedure=Procedure(D("2018-05-01"), True),
        adjuvant=Treatment("CAPOX", (CycleGiven(1, D("2018-04-30")),)),
    )
    err = error_for(protocol, course)
    assert err.field == "adjuvant.cycles[1].day1"
    assert "2018-05-02" in err.allowed


def test_adjuvant_without_surgery(protocol: Protocol) -> None:
    course = Course("experimental", RANDOMISED, adjuvant=Treatment("CAPOX"))
    assert error_for(protocol, course).field == "adjuvant"


def test_adjuvant_regimen_follows_the_neoadjuvant_options(protocol: Protocol) -> None:
    # After FOLFIRI-B only capecitabine or 5-FU/LV may follow, not CAPOX.
    course = Course(
        "experimental",
        RANDOMISED,
        Treatment("FOLFIRI-B", (CycleGiven(1, C1),), stop=EarlyStop(1)),
        procedure=Procedure(D("2018-05-01"), True),
        adjuvant=Treatment("CAPOX"),
    )
    err = error_for(protocol, course)
    assert err.field == "adjuvant.regimen"
    assert err.allowed == "one of CAP, 5FU-LV"


def test_datetime_is_not_a_date(protocol: Protocol) -> None:
    course = Course("control", dt.datetime(2018, 3, 1, 9, 30))
    assert error_for(protocol, course).field == "randomised"


def test_message_reads_for_a_nurse(protocol: Protocol) -> None:
    err = error_for(protocol, neo(CycleGiven(1, D("2018-02-27"))))
    assert str(err).startswith("neoadjuvant.cycles[1].day1: '2018-02-27' is not allowed")
    assert "What to do" in str(err)
