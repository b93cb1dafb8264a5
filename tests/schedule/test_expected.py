"""Expected forms from a study's schedule and forms, for the bundled studies and the toy one:
windows open (due) and closed (overdue by n days), forms that follow others (missing), arms,
anchors on other visits, and nothing once the participant's time in the trial has ended."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cairo6.schedule.expected import ExpectedStatus, expected_forms
from cairo6.study import read_study
from cairo6.study.loader import bundled_study_folder
from cairo6.study.study import Study

CAIRO6 = read_study(bundled_study_folder())
INDO = read_study(bundled_study_folder("indo_rct"))
TOY = read_study(Path(__file__).parents[1] / "study" / "data" / "toy")
RANDOMISED = dt.date(2018, 1, 1)


def _found(
    study: Study, records: dict[str, list[dict[str, Any]]], on: dt.date, arm: str = "control"
) -> list[tuple[str, str, str, int]]:
    return [
        (e.form, e.what, e.status.value, e.days_overdue)
        for e in expected_forms(study.forms, study.schedule, arm, RANDOMISED, records, on)
    ]


def test_a_window_is_due_while_open_and_overdue_by_its_days_once_closed() -> None:
    assert _found(CAIRO6, {}, dt.date(2018, 1, 10)) == [("baseline", "Baseline", "due", 0)]
    # Baseline: day 0, up to 14 days after; on day 19 it is 5 days overdue.
    assert _found(CAIRO6, {}, dt.date(2018, 1, 20)) == [("baseline", "Baseline", "overdue", 5)]
    assert _found(CAIRO6, {"baseline": [{}]}, dt.date(2018, 1, 20)) == []


def test_visits_follow_their_anchor_and_the_arm() -> None:
    on = dt.date(2018, 3, 10)  # restaging (experimental only): day 63, from day 56 to day 84
    records: dict[str, list[dict[str, Any]]] = {"baseline": [{}]}
    assert _found(CAIRO6, records, on, "control") == [("surgery", "CRS-HIPEC", "due", 0)]
    assert ("restaging", "Restaging CT after neoadjuvant therapy", "due", 0) in _found(
        CAIRO6, records, on, "experimental"
    )
    # Follow-up visits are counted from the operation's recorded date, every 90 days.
    operated = {**records, "surgery": [{"surgery_date": dt.date(2018, 2, 1)}]}
    later = _found(CAIRO6, operated, dt.date(2018, 9, 1))
    follow = [f for f in later if f[0] == "follow_up"]
    # visit 1: target 2 May (window to 16 May); visit 2: 31 Jul (window to 14 Aug).
    assert follow == [
        ("follow_up", "Follow-up visit 1", "overdue", 108),
        ("follow_up", "Follow-up visit 2", "overdue", 18),
    ]
    kept = {**operated, "follow_up": [{"visit_date": dt.date(2018, 5, 3)}]}
    assert [f[1] for f in _found(CAIRO6, kept, dt.date(2018, 9, 1)) if f[0] == "follow_up"] == [
        "Follow-up visit 2"
    ]


def test_a_form_that_follows_another_is_missing_since_that_ones_date() -> None:
    operated = {"baseline": [{}], "surgery": [{"surgery_date": dt.date(2018, 2, 1)}]}
    found = expected_forms(
        CAIRO6.forms, CAIRO6.schedule, "control", RANDOMISED, operated, dt.date(2018, 2, 20)
    )
    missing = {e.form: e.since for e in found if e.status is ExpectedStatus.MISSING}
    # (The central pathology review grades response to neoadjuvant therapy; its worklist, not
    # this list, says when one is wanted.)
    assert missing == {"discharge": dt.date(2018, 2, 1)}
    # Event-driven forms (complications, toxicity, the toy's stroke) are never expected.
    assert {e.form for e in found} <= {"discharge", "follow_up"}


def test_nothing_is_expected_once_the_participant_is_off_study() -> None:
    assert _found(CAIRO6, {"off_study": [{}]}, dt.date(2020, 1, 1)) == []


def test_every_bundled_and_test_study_declares_what_it_expects() -> None:
    # The toy study: the week-12 visit (day 84, 7 days either side), never the stroke form.
    assert _found(TOY, {"baseline": [{}]}, dt.date(2018, 3, 20)) == [
        ("visit", "Week 12 visit", "due", 0)
    ]
    # 1 Jan + 84 days = 26 Mar; the window closes on 2 Apr.
    assert _found(TOY, {"baseline": [{}]}, dt.date(2018, 4, 4)) == [
        ("visit", "Week 12 visit", "overdue", 2)
    ]
    # indo_rct has no visit schedule: its three forms are expected from randomisation on.
    assert {f[0] for f in _found(INDO, {"baseline": [{}]}, RANDOMISED)} == {
        "procedure",
        "outcome",
    }


def test_occurrences_after_the_reference_date_are_not_built() -> None:
    from cairo6.schedule.visits import visit_windows

    kept = {"surgery": [dt.date(2018, 2, 1)], "follow_up": [dt.date(2018, 5, 3)]}
    every = visit_windows(CAIRO6.schedule, "control", RANDOMISED, kept)
    until = visit_windows(CAIRO6.schedule, "control", RANDOMISED, kept, until=dt.date(2018, 9, 1))
    assert len(until) < len(every)
    assert set(until) <= set(every)
    assert all(w.earliest is None or w.earliest <= dt.date(2018, 9, 1) or w.actual for w in until)
