"""Treatment within the protocol's time windows, judged by the schedule module.

Each modified-ITT participant's course is rebuilt from the cycle, restaging and surgery records
and handed to `cairo6.schedule.build_calendar`; the windows of the participant's modified-ITT
group apply (so an experimental patient who chose upfront surgery is judged by the control
window). A window counts when it could be judged (met or missed); its denominator is the
patients in whom the event happened. This is one calendar per participant: linear, but the
slowest part of the analysis on large cohorts.

A switch the protocol does not list (the paper's CAPOX-B -> FOLFOX-B) would make the calendar
refuse the course; the windows only depend on dates, so the course is then judged against a
copy of the protocol that admits the recorded switch, and a warning says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from cairo6.analysis.common import as_datetime, is_missing
from cairo6.analysis.context import Context, WindowOutcome, record_rate
from cairo6.analysis.result import TimingPoint
from cairo6.analysis.spec import RowSpec, TableSpec, opt_map
from cairo6.errors import Cairo6Error
from cairo6.protocol import Protocol
from cairo6.schedule import (
    Calendar,
    Course,
    CycleGiven,
    EarlyStop,
    Procedure,
    Status,
    Switch,
    Treatment,
    build_calendar,
    check_window,
)

__all__ = ["assess_windows", "compliance", "timing_points"]


def _day(value: object) -> dt.date | None:
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _as_dates(values: pd.Series) -> pd.Series:
    """A date column as Python dates, converted as a whole column (not a Timestamp per row)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        dates: pd.Series = values.dt.date
        return dates
    return values


class _Cycle(NamedTuple):
    # A named tuple, not a dataclass: one is built per cycle record of the cohort.
    number: int
    day1: dt.date
    regimen: str
    antiangiogenic: bool | None
    switched_from: str | None
    switch_reason: str
    stopped: bool
    stop_reason: str


def _cycle(values: tuple[object, ...]) -> _Cycle | None:
    number, given, regimen, bev, switched, why, stopped, stop_why = values
    day = _day(given)
    if day is None or is_missing(number) or not isinstance(number, int | float | np.integer):
        return None
    return _Cycle(
        number=int(number),
        day1=day,
        regimen=str(regimen),
        antiangiogenic=bool(bev) if isinstance(bev, bool | np.bool_) else None,
        switched_from=switched if isinstance(switched, str) and switched else None,
        switch_reason=why if isinstance(why, str) else "",
        stopped=stopped is True or stopped is np.True_,
        stop_reason=stop_why if isinstance(stop_why, str) else "",
    )


def _treatment(rows: list[_Cycle]) -> Treatment | None:
    """A phase of the schedule's course from its cycle records (as the participant page does)."""
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r.number)
    switch = next(
        (Switch(r.number, r.regimen, r.switch_reason) for r in rows if r.switched_from), None
    )
    stop = next((EarlyStop(r.number, r.day1, r.stop_reason) for r in rows if r.stopped), None)
    cycles = tuple(
        CycleGiven(number=r.number, day1=r.day1, regimen=r.regimen, antiangiogenic=r.antiangiogenic)
        for r in rows
    )
    start = rows[0].switched_from or rows[0].regimen
    return Treatment(regimen=start, cycles=cycles, switch=switch, stop=stop)


def _permissive(protocol: Protocol, course: Course) -> Protocol:
    """The protocol with each recorded switch admitted (windows depend only on dates)."""
    regimens = []
    switches = {
        t.regimen.lower(): s.regimen
        for t in (course.neoadjuvant, course.adjuvant)
        if t is not None and (s := t.effective_switch()) is not None
    }
    for regimen in protocol.regimens:
        extra = switches.get(regimen.id.lower())
        if extra is not None and extra not in regimen.switch_to:
            regimen = regimen.model_copy(update={"switch_to": [*regimen.switch_to, extra]})
        regimens.append(regimen)
    return protocol.model_copy(update={"regimens": regimens})


def _courses(ctx: Context) -> Iterable[tuple[str, str, Course]]:
    mitt = ctx.wide[ctx.wide["set.mitt"].astype(bool)]
    cycles = ctx.frames["cycle"]
    cycles = cycles[cycles["study_number"].isin(mitt.index)].copy()
    # Python dates once per column, not a Timestamp conversion per cycle.
    cycles["given_on"] = as_datetime(cycles["given_on"]).dt.date
    columns = [
        "cycle_number", "given_on", "regimen", "bevacizumab_given", "switched_from",
        "switch_reason", "stopped_after", "stop_reason",
    ]  # fmt: skip
    by_phase: dict[tuple[str, str], list[_Cycle]] = {}
    unreadable: set[str] = set()
    # Whole columns as Python values (as a row iterator gives them), without a row object.
    rows = zip(*(cycles[c].tolist() for c in ("study_number", "phase", *columns)), strict=True)
    for number, phase, *values in rows:
        cycle = _cycle(tuple(values))
        if cycle is None:
            unreadable.add(str(number))
        else:
            by_phase.setdefault((str(number), str(phase)), []).append(cycle)
    for number, group, randomised, surgery, complete, ct in zip(
        mitt.index.tolist(),
        mitt["set.mitt_group"].tolist(),
        _as_dates(mitt["participant.enrolled_on"]).tolist(),
        _as_dates(mitt["surgery.surgery_date"]).tolist(),
        mitt["set.macroscopic_complete"].tolist(),
        _as_dates(mitt["restaging.ct_date"]).tolist(),
        strict=True,
    ):
        operated = _day(surgery)
        start = _day(randomised)
        if start is None or str(number) in unreadable:
            ctx.log.add(
                number,
                "cycle",
                "given_on",
                "time windows not assessable: a date or cycle number is missing",
            )
            continue
        yield (
            str(number),
            str(group),
            Course(
                arm=str(group),
                randomised=start,
                neoadjuvant=_treatment(by_phase.get((str(number), "neoadjuvant"), [])),
                assessment=_day(ct),
                procedure=None if operated is None else Procedure(operated, complete is True),
                adjuvant=_treatment(by_phase.get((str(number), "adjuvant"), [])),
            ),
        )


def assess_windows(ctx: Context) -> None:
    """Judge every reported window of every modified-ITT participant (fills ctx.windows)."""
    reported = {w.id for w in ctx.protocol.windows if w.reported}
    if not reported:
        return
    on = dt.date.max
    for number, group, course in _courses(ctx):
        try:
            calendar = build_calendar(ctx.protocol, course)
        except Cairo6Error as first:
            try:
                calendar = build_calendar(_permissive(ctx.protocol, course), course)
            except (Cairo6Error, TypeError) as exc:
                ctx.log.add(number, "cycle", "", f"time windows not assessable: {exc}")
                continue
            ctx.log.add(
                number,
                "cycle",
                "switched_from",
                f"switch not allowed by the protocol ({getattr(first, 'allowed', first)}); "
                "windows judged as given",
            )
        except TypeError as exc:
            ctx.log.add(number, "participant", "", f"time windows not assessable: {exc}")
            continue
        ctx.windows.extend(_judged(calendar, reported, number, group, on))


def _judged(
    calendar: Calendar, reported: set[str], number: str, group: str, on: dt.date
) -> Iterable[WindowOutcome]:
    """The course's reported windows that could be judged (met or missed); the others are
    not checked at all (`check_compliance` would check every window of the arm)."""
    for plan in calendar.windows:
        if plan.window.id not in reported:
            continue
        check = check_window(plan, on)
        if check.status not in (Status.MET, Status.MISSED):
            continue
        if check.anchor is None or check.actual is None:
            continue
        days = (check.actual - check.anchor).days
        yield WindowOutcome(number, group, check.window.id, days, check.status is Status.MET)


def timing_points(ctx: Context) -> list[TimingPoint]:
    """Days from anchor to event per participant and reported window (violin plots)."""
    labels = {w.id: w.label for w in ctx.protocol.windows}
    return [
        TimingPoint(o.study_number, o.group, o.window_id, labels[o.window_id], o.days, o.met)
        for o in ctx.windows
    ]


def compliance(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Per reported window: patients treated within it among those in whom the event happened."""
    names = {str(k): str(v) for k, v in opt_map(row.options, "windows", "compliance").items()}
    for window in ctx.protocol.windows:
        if not window.reported:
            continue
        variable = names.get(window.id, window.id)
        judged = [o for o in ctx.windows if o.window_id == window.id and o.group == window.arm]
        met = sum(o.met for o in judged)
        record_rate(ctx, table.id, variable, "", window.arm, met, len(judged), interval=True)
        ctx.label(table.id, variable, window.label, {})
