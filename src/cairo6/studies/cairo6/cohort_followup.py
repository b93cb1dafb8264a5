"""SYNTHETIC follow-up visits for the reference cohort (not from the phase 2 paper).

The phase 2 paper reports no survival, so these rows are invented only so that the survival
sections of the analysis and the report have something to show. They use their own generator
(seeded from the cohort seed and `STREAM`), so every other file stays as it was.

Model (months = days / (365.25 / 12)): after macroscopically complete CRS-HIPEC, recurrence
from surgery is exponential with median 14 (control) or 20 (experimental) months; after an
open-close procedure or without surgery, progression from randomisation is exponential with
median 4 months (at least 3 weeks after any surgery). Death follows recurrence after an
exponential time (median 22 control, 26 experimental months), with a small competing risk of
death without recurrence (median 300 months). Visits every 3 months (91-98 days apart) from
randomisation up to the data cut-off; a death is reported on its date; 3 event-free patients
are lost to follow-up (their last row says "lost").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from cairo6.studies.cairo6.cohort_stats import MONTH_DAYS

__all__ = ["CUTOFF", "STREAM", "follow_up"]

CUTOFF = dt.date(2022, 6, 30)
"""The SYNTHETIC data cut-off: no visit on or after this date."""
STREAM = 6
"""Second seed word of the follow-up generator: `default_rng((seed, STREAM))`."""
LOST = 3

Row = dict[str, Any]


def _months(rng: np.random.Generator, median: float) -> float:
    return float(rng.exponential(median / np.log(2)))


def _day(start: dt.date, months: float) -> dt.date:
    return start + dt.timedelta(days=max(1, round(months * MONTH_DAYS)))


def follow_up(seed: int, tables: dict[str, list[Row]]) -> list[Row]:
    """The follow-up rows for every randomised patient, by study number and visit date."""
    rng = np.random.default_rng((seed, STREAM))
    surgery = {row["study_number"]: row for row in tables["surgery"]}
    patients = sorted(tables["randomisation"], key=lambda row: row["study_number"])
    plans = []
    for row in patients:
        sn, start, experimental = row["study_number"], row["enrolled_on"], row["arm"] != "control"
        operation = surgery.get(sn)
        if operation is not None and operation["procedure"] == "crs_hipec":
            median = 20.0 if experimental else 14.0
            recurrence = _day(operation["surgery_date"], 2.0 + _months(rng, median))
        else:
            recurrence = _day(start, _months(rng, 4.0))
            if operation is not None:
                floor = operation["surgery_date"] + dt.timedelta(days=21)
                recurrence = max(recurrence, floor)
        after = _day(recurrence, 0.5 + _months(rng, 26.0 if experimental else 22.0))
        other = _day(start, _months(rng, 300.0))
        death = after if other >= recurrence else other
        plans.append((sn, start, recurrence, death))
    event_free = [i for i, (_, _, rec, _) in enumerate(plans) if rec >= CUTOFF]
    lost = {int(i) for i in rng.choice(event_free, size=min(LOST, len(event_free)), replace=False)}
    lost_visit = {i: int(rng.integers(4, 12)) for i in sorted(lost)}
    out: list[Row] = []
    for i, (sn, start, recurrence, death) in enumerate(plans):
        visit, reported, count, gone = start, False, 0, False
        while True:
            visit = visit + dt.timedelta(days=91 + int(rng.integers(0, 8)))
            count += 1
            if visit >= CUTOFF or visit >= death:
                break
            seen: Row = {"study_number": sn, "visit_date": visit, "vital_status": "alive"}
            if i in lost and count == lost_visit[i]:
                out.append(seen | {"vital_status": "lost", "recurrence": False})
                gone = True
                break
            new = not reported and recurrence <= visit
            reported = reported or new
            out.append(seen | _recurrence(new, recurrence))
        if death < CUTOFF and not gone:
            new = not reported and recurrence <= death
            out.append(
                {
                    "study_number": sn,
                    "visit_date": death,
                    "vital_status": "dead",
                    "death_date": death,
                }
                | _recurrence(new, recurrence)
            )
    return out


def _recurrence(new: bool, when: dt.date) -> Row:
    return {"recurrence": True, "recurrence_date": when} if new else {"recurrence": False}
