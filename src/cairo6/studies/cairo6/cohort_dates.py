"""Dates of the SYNTHETIC reference cohort: centres, screening, enrolment and every event.

Accrual runs from 2017-06-15 (first enrolment) to 2019-01-09 (last), with the nine centres
opening one after another up to March 2018, each enrolment drawn in proportion to the centres
open that day. Clinical dates follow the protocol's calendar (cycle lengths, restaging after
cycle 3 or 4 or at an early stop, surgery within 6 weeks after the last neoadjuvant cycle and at
least 6 weeks after the last bevacizumab, adjuvant start within 12 weeks), with the published
exceptions: 2 of 37 start neoadjuvant therapy after 4 weeks, 12 of 37 have surgery more than
6 weeks after day 1 of the last neoadjuvant cycle (the 8 who stopped CAPOX-B early, whose last
cycle carried bevacizumab, and 4 others), 1 of 22 starts adjuvant therapy after 12 weeks, and
3 of the 42 upfront operations fall later than 6 weeks after randomisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cairo6.studies.cairo6.cohort_people import (
    LAST_PATIENT,
    NO_BEVACIZUMAB,
    Patient,
    groups,
)
from cairo6.studies.cairo6.cohort_solve import BuildError

FIRST_ENROLMENT = dt.date(2017, 6, 15)
LAST_ENROLMENT = dt.date(2019, 1, 9)
LAST_TREATMENT = dt.date(2019, 10, 1)
"""The last patient completed trial treatment (end of the last adjuvant cycle) on this day."""

# Code, name, date started recruiting, relative size. Names are pseudonymous on purpose.
CENTRES: tuple[tuple[str, str, dt.date, float], ...] = (
    ("C01", "Centre 1 (synthetic)", dt.date(2017, 6, 1), 5.0),
    ("C02", "Centre 2 (synthetic)", dt.date(2017, 7, 3), 4.0),
    ("C03", "Centre 3 (synthetic)", dt.date(2017, 9, 4), 3.0),
    ("C04", "Centre 4 (synthetic)", dt.date(2017, 10, 2), 2.5),
    ("C05", "Centre 5 (synthetic)", dt.date(2017, 11, 6), 2.0),
    ("C06", "Centre 6 (synthetic)", dt.date(2017, 12, 4), 2.0),
    ("C07", "Centre 7 (synthetic)", dt.date(2018, 1, 8), 1.5),
    ("C08", "Centre 8 (synthetic)", dt.date(2018, 2, 5), 1.5),
    ("C09", "Centre 9 (synthetic)", dt.date(2018, 3, 12), 1.5),
)
R_CLASS_CENTRE = "C06"
"""The centre that reports completeness as an R class (R0/R1) instead of a CC score."""

CYCLE_DAYS = {"CAPOX-B": 21, "FOLFOX-B": 14, "FOLFIRI-B": 14, "CAPOX": 21, "FOLFOX": 14, "CAP": 21}
RESTAGING_CYCLE = {"CAPOX-B": 3, "FOLFOX-B": 4, "FOLFIRI-B": 4}
REFUSALS = {
    "feared_adverse_effects": 36,
    "feared_postponing_surgery": 16,
    "feared_prolongation": 15,
    "logistical": 4,
}
NOT_APPROACHED = 82


@dataclass
class Dates:
    """Every date of one randomised patient."""

    centre: str
    enrolled_on: dt.date
    allocated_at: str = ""
    study_number: str = ""
    screening_number: str = ""
    screened_on: dt.date = FIRST_ENROLMENT
    assessed_on: dt.date = FIRST_ENROLMENT
    baseline_scan: dt.date | None = None
    neo: list[dt.date] = field(default_factory=list)
    adjuvant: list[dt.date] = field(default_factory=list)
    restaging: dt.date | None = None
    surgery: dt.date | None = None
    discharge: dt.date | None = None
    complications: list[dt.date] = field(default_factory=list)
    reoperations: list[tuple[dt.date, str, bool]] = field(default_factory=list)
    readmission: dt.date | None = None
    toxicities: list[dt.date] = field(default_factory=list)
    off_study: dt.date | None = None
    deviations: list[dt.date] = field(default_factory=list)
    review: dt.date | None = None


@dataclass(frozen=True)
class ScreeningEntry:
    """A screened patient who was not randomised."""

    centre: str
    screened_on: dt.date
    approached: bool
    refusal_reason: str | None


def _day(start: dt.date, days: int | np.integer) -> dt.date:
    return start + dt.timedelta(days=int(days))


def _weights_on(day: dt.date) -> np.ndarray:
    return np.array([w if start <= day else 0.0 for _, _, start, w in CENTRES])


def _accrual_days(rng: np.random.Generator, n: int) -> list[dt.date]:
    """`n` dates over the accrual period, denser as more centres are open."""
    span = (LAST_ENROLMENT - FIRST_ENROLMENT).days
    days = [_day(FIRST_ENROLMENT, i) for i in range(span + 1)]
    weight = np.array([_weights_on(d).sum() for d in days])
    picks = rng.choice(len(days), size=n, replace=True, p=weight / weight.sum())
    return sorted(days[int(i)] for i in picks)


def _centre_on(rng: np.random.Generator, day: dt.date) -> str:
    weights = _weights_on(day)
    return CENTRES[int(rng.choice(len(CENTRES), p=weights / weights.sum()))][0]


def enrolment(rng: np.random.Generator, people: Sequence[Patient]) -> dict[str, Dates]:
    """Enrolment order, dates, centres, study and allocation times."""
    last = next(p for p in people if p.key == LAST_PATIENT)
    others = [p for p in people if p is not last]
    order = [others[int(i)] for i in rng.permutation(len(others))] + [last]
    days = [FIRST_ENROLMENT, *_accrual_days(rng, len(order) - 2), LAST_ENROLMENT]
    dates: dict[str, Dates] = {}
    per_centre: dict[str, int] = {}
    minute_of_day: dict[dt.date, int] = {}
    for p, day in zip(order, days, strict=True):
        centre = _centre_on(rng, day)
        per_centre[centre] = per_centre.get(centre, 0) + 1
        # Allocations on the same day follow each other, so the sequence order is the time order.
        minute = max(minute_of_day.get(day, 8 * 60), 8 * 60) + int(rng.integers(20, 150))
        minute_of_day[day] = minute
        d = Dates(centre, day)
        d.allocated_at = f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00+00:00"
        d.study_number = f"CAIRO6-{centre}-{per_centre[centre]:03d}"
        start = max(FIRST_ENROLMENT, _start(centre))
        d.screened_on = max(start, _day(day, -int(rng.integers(0, 15))))
        d.assessed_on = _day(d.screened_on, rng.integers(0, (day - d.screened_on).days + 1))
        dates[p.key] = d
        p.r_classification = centre == R_CLASS_CENTRE
    return dates


def _start(centre: str) -> dt.date:
    return next(start for code, _, start, _ in CENTRES if code == centre)


def screening(
    rng: np.random.Generator, dates: dict[str, Dates]
) -> list[tuple[str, ScreeningEntry | str]]:
    """All 233 screening entries as (screening number, entry or patient key), numbered per
    centre in date order."""
    reasons = [r for r, n in REFUSALS.items() for _ in range(n)]
    kinds: list[str | None] = [*reasons, *([None] * NOT_APPROACHED)]
    kinds = [kinds[int(i)] for i in rng.permutation(len(kinds))]
    entries: list[tuple[str, dt.date, int, ScreeningEntry | str]] = []
    for i, (kind, day) in enumerate(zip(kinds, _accrual_days(rng, len(kinds)), strict=True)):
        centre = _centre_on(rng, day)
        entry = ScreeningEntry(centre, day, kind is not None, kind)
        entries.append((centre, day, i, entry))
    for i, (key, d) in enumerate(dates.items(), start=len(entries)):
        entries.append((d.centre, d.screened_on, i, key))
    out: list[tuple[str, ScreeningEntry | str]] = []
    counter: dict[str, int] = {}
    for centre, _, _, item in sorted(entries, key=lambda e: (e[1], e[0], e[2])):
        counter[centre] = counter.get(centre, 0) + 1
        number = f"{centre}-S{counter[centre]:04d}"
        if isinstance(item, str):
            dates[item].screening_number = number
        out.append((number, item))
    return out


def clinical(rng: np.random.Generator, people: Sequence[Patient], dates: dict[str, Dates]) -> None:
    """Treatment, surgery and follow-on dates for every patient."""
    exp, ctl = groups(people)
    late_start = [p for p in exp if p.key == NO_BEVACIZUMAB] + _choose(
        rng, [p for p in exp if p.key not in (NO_BEVACIZUMAB, LAST_PATIENT)], 1
    )
    completers = [
        p
        for p in exp
        if p.neo[-1].stop_reason is None and p.key not in (NO_BEVACIZUMAB, LAST_PATIENT)
    ]
    late_surgery = _choose(rng, completers, 4)
    with_adjuvant = [p for p in exp if p.adjuvant and p.key != LAST_PATIENT]
    late_adjuvant = _choose(rng, with_adjuvant, 1)
    late_upfront = _choose(rng, ctl, 3)
    for p in people:
        d = dates[p.key]
        p.late_neo_start, p.late_surgery = p in late_start, p in late_surgery or p in late_upfront
        p.late_adjuvant = p in late_adjuvant
        if p.neo:
            _neoadjuvant(rng, p, d)
        elif p.surgery:
            gap = rng.integers(44, 59) if p.late_surgery else rng.integers(12, 43)
            d.surgery = _day(d.enrolled_on, gap)
        if p.surgery:
            _postoperative(rng, p, d)
        if p.adjuvant:
            _adjuvant(rng, p, d)
        _toxicity(rng, p, d)
        _end_and_deviations(rng, p, d)
    _check_last_treatment(people, dates)


def _choose(rng: np.random.Generator, pool: Sequence[Patient], k: int) -> list[Patient]:
    return [pool[int(i)] for i in rng.choice(len(pool), k, replace=False)]


def _schedule(rng: np.random.Generator, first: dt.date, regimens: Sequence[str]) -> list[dt.date]:
    """Day 1 of each cycle; now and then a cycle is postponed by a week."""
    out = [first]
    for previous in regimens[:-1]:
        delay = 7 if rng.random() < 0.1 else 0
        out.append(_day(out[-1], CYCLE_DAYS[previous] + delay))
    return out


def _neoadjuvant(rng: np.random.Generator, p: Patient, d: Dates) -> None:
    gap = rng.integers(29, 36) if p.late_neo_start else rng.integers(5, 27)
    d.neo = _schedule(rng, _day(d.enrolled_on, gap), [c.regimen for c in p.neo])
    # Restaging after cycle 3 (CAPOX-B) or 4 (FOLFOX-B, FOLFIRI-B), or at an early stop; a
    # patient who switched from CAPOX-B is restaged after cycle 3, as planned for CAPOX-B.
    restage = min(RESTAGING_CYCLE[p.neo[0].regimen], len(p.neo))
    d.restaging = _day(d.neo[restage - 1], rng.integers(10, 14))
    last = d.neo[-1]
    bev = [day for day, c in zip(d.neo, p.neo, strict=True) if c.bevacizumab]
    earliest = max(_day(last, 14), _day(bev[-1], 42) if bev else _day(last, 14))
    early_stop = p.neo[-1].stop_reason is not None and p.neo[-1].bevacizumab
    if early_stop or p.late_surgery:
        # After an early stop the last cycle carried bevacizumab, so surgery waits > 6 weeks.
        d.surgery = _day(max(earliest, _day(last, 43)), rng.integers(0, 15))
    else:
        d.surgery = _day(earliest, rng.integers(0, (_day(last, 42) - earliest).days + 1))
    if d.restaging >= d.surgery:
        raise BuildError(f"{p.key}: restaging CT not before surgery")
    d.baseline_scan = _day(d.enrolled_on, -int(rng.integers(7, 29)))


def _postoperative(rng: np.random.Generator, p: Patient, d: Dates) -> None:
    assert d.surgery is not None
    d.discharge = _day(d.surgery, p.length_of_stay)
    day = 0
    for i, event in enumerate(p.complications):
        # Events follow one another during the initial stay, leaving room for the later ones.
        latest = max(day + 1, p.length_of_stay - (len(p.complications) - i))
        day = int(rng.integers(day + 1, latest + 1))
        d.complications.append(_day(d.surgery, day))
        if event.reoperation:
            d.reoperations.append((_day(d.surgery, day), event.term, True))
    if p.other_reoperation:
        when = _day(d.surgery, int(rng.integers(3, max(4, p.length_of_stay - 2))))
        d.reoperations.append((when, p.other_reoperation, False))
    if any(when > d.discharge for when, _, _ in d.reoperations) or any(
        c > d.discharge for c in d.complications
    ):
        raise BuildError(f"{p.key}: postoperative events after discharge")
    if p.readmission:
        d.readmission = _day(d.discharge, rng.integers(3, 41))


def _adjuvant(rng: np.random.Generator, p: Patient, d: Dates) -> None:
    assert d.surgery is not None
    assert d.discharge is not None
    regimens = [c.regimen for c in p.adjuvant]
    earliest = max(35, p.length_of_stay + 14)
    if p.key == LAST_PATIENT:
        # Work back from the end of the last cycle (2019-10-01), postponing cycles a week at a
        # time until the first cycle falls within 12 weeks after surgery.
        end = _day(LAST_TREATMENT, -(CYCLE_DAYS[regimens[-1]] - 1))
        for delays in range(len(regimens)):
            span = sum(CYCLE_DAYS[r] for r in regimens[:-1]) + 7 * delays
            start = _day(end, -span)
            if (start - d.surgery).days <= 80:
                break
        if not earliest <= (start - d.surgery).days <= 84:
            raise BuildError(f"{p.key}: the last treatment date cannot be met")
        d.adjuvant = [start]
        for i, regimen in enumerate(regimens[:-1]):
            d.adjuvant.append(_day(d.adjuvant[-1], CYCLE_DAYS[regimen] + (7 if i < delays else 0)))
        return
    low, high = (86, 96) if p.late_adjuvant else (min(earliest, 80), 80)
    gap = int(rng.integers(low, high + 1))
    d.adjuvant = _schedule(rng, _day(d.surgery, gap), regimens)


def _toxicity(rng: np.random.Generator, p: Patient, d: Dates) -> None:
    for tox in p.toxicities:
        days = d.neo if tox.phase == "neoadjuvant" else d.adjuvant
        d.toxicities.append(_day(days[tox.cycle - 1], rng.integers(3, 13)))


def _end_and_deviations(rng: np.random.Generator, p: Patient, d: Dates) -> None:
    if p.off_study is not None:
        if not p.surgery:
            d.off_study = _day(d.enrolled_on, rng.integers(2, 9))
        elif not p.complete:
            d.off_study = d.surgery
        else:
            assert d.discharge is not None
            d.off_study = _day(d.discharge, rng.integers(7, 29))
    if d.surgery is not None and p.pathology:
        d.review = _day(d.surgery, rng.integers(30, 61))
    for category, _ in p.deviations:
        if category == "crossover":
            d.deviations.append(_day(d.enrolled_on, rng.integers(1, 7)))
        elif category == "treatment":
            d.deviations.append(d.neo[0])
        else:
            assert d.review is not None
            d.deviations.append(d.review)


def treatment_end(p: Patient, d: Dates) -> dt.date | None:
    """Last day of the last cycle of systemic therapy (day 1 + cycle length - 1)."""
    cycles = [
        (day, c.regimen) for day, c in zip(d.neo + d.adjuvant, p.neo + p.adjuvant, strict=True)
    ]
    if not cycles:
        return None
    day, regimen = max(cycles)
    return _day(day, CYCLE_DAYS[regimen] - 1)


def _check_last_treatment(people: Sequence[Patient], dates: dict[str, Dates]) -> None:
    ends = [end for p in people if (end := treatment_end(p, dates[p.key])) is not None]
    if max(ends) != LAST_TREATMENT:
        raise BuildError(f"last treatment ends {max(ends)}, not {LAST_TREATMENT}")
