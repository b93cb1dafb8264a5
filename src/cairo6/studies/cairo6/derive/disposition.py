"""The treatment course of each participant, derived from recorded events (for the CONSORT
flow diagram), and the accrual figures.

Course columns (`course.<x>`, one row per participant) for each systemic phase P:
P_started, P_regimen (level of the first regimen; a regimen planned with an antiangiogenic drug
that never got one is `<id>:no_antiangiogenic` before the level map), P_switched_to, P_stop
(`<regimen level>_<cycle>` of the cycle after which treatment stopped), P_stop_reason,
P_completed (started and never stopped), P_cycles. Plus arm, untreated (in no analysis group),
crossover (treated as another arm than allocated), restaging, off_study_reason,
stopped_after_surgery (complete CRS-HIPEC in an arm with adjuvant therapy, none started) and
treatment_end (the last day of the last cycle, or surgery).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from cairo6.analysis.common import as_datetime, slug
from cairo6.analysis.context import Context
from cairo6.analysis.spec import RowSpec, TableSpec, TablesSpec, opt_map
from cairo6.analysis.stopping import accrual_window
from cairo6.analysis.values import cached_map
from cairo6.protocol import Phase, Protocol

__all__ = ["DATE_NOTE", "accrual", "course_columns", "date_number"]

DATE_NOTE = "date="
_EPOCH = dt.date(1970, 1, 1)


def _regimen_level(spec: TablesSpec, key: object) -> object:
    if not isinstance(key, str):
        return None
    return spec.regimen_levels.get(key) or slug(key, {})


def _phase_columns(
    protocol: Protocol, spec: TablesSpec, cycles: pd.DataFrame, index: pd.Index, phase: str
) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    given = cycles[cycles["phase"] == phase].copy()
    by_person = given.groupby("study_number", sort=False)
    first = by_person["regimen"].first()
    with_antiangiogenic = {r.id.lower() for r in protocol.regimens if r.antiangiogenic_cycles}
    given["antiangiogenic"] = given["bevacizumab_given"].eq(True)
    had = given.groupby("study_number", sort=False)["antiangiogenic"].any()
    planned = first.str.lower().isin(with_antiangiogenic)
    key = first.where(
        ~planned | had.reindex(first.index, fill_value=False), first + ":no_antiangiogenic"
    )
    out[f"course.{phase}_started"] = index.isin(first.index)

    def level(value: object) -> object:
        return _regimen_level(spec, value)

    out[f"course.{phase}_regimen"] = cached_map(key, level).reindex(index)
    given["first"] = given["study_number"].map(first)
    switched = given[given["regimen"].ne(given["first"])]
    to = switched.groupby("study_number", sort=False)["regimen"].first()
    out[f"course.{phase}_switched_to"] = cached_map(to, level).reindex(index)
    stops = given[given["stopped_after"].eq(True)].groupby("study_number", sort=False).first()
    stop_level = stops["regimen"].map(level).astype(str)
    cycle = pd.to_numeric(stops["cycle_number"], errors="coerce").astype("Int64")
    stop_level = stop_level + "_" + cycle.astype(str).where(cycle.notna(), "unknown")
    out[f"course.{phase}_stop"] = stop_level.reindex(index)
    reasons = cached_map(
        stops["stop_reason"],
        lambda r: slug(str(r), spec.text_levels) if isinstance(r, str) and r.strip() else None,
    )
    out[f"course.{phase}_stop_reason"] = reasons.reindex(index)
    out[f"course.{phase}_completed"] = out[f"course.{phase}_started"] & ~index.isin(stops.index)
    out[f"course.{phase}_cycles"] = by_person.size().reindex(index, fill_value=0)
    return out


def course_columns(
    protocol: Protocol,
    spec: TablesSpec,
    frames: Mapping[str, pd.DataFrame],
    wide: pd.DataFrame,
) -> pd.DataFrame:
    """The course columns for every participant of `wide` (same index)."""
    index = wide.index
    cycles = frames["cycle"]
    cycles = cycles[cycles["study_number"].isin(index)].sort_values(
        ["study_number", "phase", "cycle_number"], kind="stable"
    )
    mitt = wide["set.mitt"].astype(bool)
    parts = [
        pd.DataFrame(
            {
                "course.arm": wide["participant.arm"],
                "course.untreated": ~mitt,
                "course.crossover": mitt & wide["set.mitt_group"].ne(wide["participant.arm"]),
                "course.restaging": wide["restaging.outcome"].notna()
                | wide["restaging.ct_date"].notna(),
            },
            index=index,
        )
    ]
    parts += [_phase_columns(protocol, spec, cycles, index, phase.value) for phase in Phase]
    out = pd.concat(parts, axis=1)
    detail = wide["off_study.detail"].where(
        wide["off_study.detail"].map(lambda v: isinstance(v, str) and bool(v.strip())),
        wide["off_study.reason"],
    )
    out["course.off_study_reason"] = cached_map(
        detail, lambda v: slug(str(v), spec.text_levels) if isinstance(v, str) else None
    )
    adjuvant_arms = {r.arm for r in protocol.regimens if r.phase is Phase.ADJUVANT}
    out["course.stopped_after_surgery"] = (
        wide["set.crs_hipec"].astype(bool)
        & wide["set.mitt_group"].isin(adjuvant_arms)
        & ~out["course.adjuvant_started"]
    )
    out["course.treatment_end"] = _treatment_end(protocol, cycles, wide)
    return out


def _treatment_end(protocol: Protocol, cycles: pd.DataFrame, wide: pd.DataFrame) -> pd.Series:
    lengths = {r.id.lower(): r.cycle_length_days for r in protocol.regimens}
    days = cycles["regimen"].astype(str).str.lower().map(lengths).fillna(1).astype(int)
    ends = cycles["given_on"] + pd.to_timedelta(days - 1, unit="D")
    last_cycle = ends.groupby(cycles["study_number"]).max().reindex(wide.index)
    surgery = as_datetime(wide["surgery.surgery_date"])
    return pd.concat([last_cycle, surgery], axis=1).max(axis=1)


# --- accrual ---------------------------------------------------------------------------------


def date_number(day: dt.date) -> int:
    """A date as days since 1970-01-01 (the ARD holds numbers; the ISO date is in the note)."""
    return (day - _EPOCH).days


def _add_date(ctx: Context, table: str, variable: str, stat: str, value: object) -> None:
    if not isinstance(value, pd.Timestamp | dt.date) or pd.isna(value):
        ctx.log.add("", table, variable, "no date to report")
        return
    day = value.date() if isinstance(value, pd.Timestamp) else value
    note = f"{DATE_NOTE}{day.isoformat()}"
    ctx.ard.add(table, variable, "", "total", stat, date_number(day), note=note)


def _within_window(ctx: Context, table: str, variable: str) -> None:
    # n enrolled by the accrual rule's deadline, N the target (no pct: n may exceed N).
    rule = next((r for r in ctx.protocol.stopping_rules if r.kind == "accrual"), None)
    starts = ctx.frames["centre"]["started_recruiting"]
    enrolled = ctx.wide["participant.enrolled_on"]
    window = None if rule is None else accrual_window(rule, enrolled, starts)
    if rule is None or window is None:
        ctx.log.add("", table, variable, "no accrual rule or no anchor date: not computed")
        return
    anchor, deadline, within = window
    note = f"by {deadline.isoformat()}, {rule.within_days} days after {anchor.isoformat()}"
    ctx.ard.add(table, variable, "", "total", "n", within, note=note)
    ctx.ard.add(table, variable, "", "total", "N", rule.target or ctx.protocol.accrual.target)


def accrual(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Enrolment dates, centres enrolling, last centre start and end of trial treatment.

    Dates are recorded as `min`/`max` (days since 1970-01-01, ISO date in the note): the ARD has
    no date statistic.
    """
    names = {k: str(v) for k, v in opt_map(row.options, "variables", "accrual").items()}
    enrolled = as_datetime(ctx.wide["participant.enrolled_on"]).dropna()
    starts = as_datetime(ctx.frames["centre"]["started_recruiting"]).dropna()
    wanted = {
        "first": ("min", enrolled.min() if len(enrolled) else None),
        "last": ("max", enrolled.max() if len(enrolled) else None),
        "last_centre_start": ("max", starts.max() if len(starts) else None),
        "treatment_end": ("max", ctx.wide["course.treatment_end"].max()),
    }
    for key, variable in names.items():
        if key == "within_window":
            _within_window(ctx, table.id, variable)
        elif key == "centres":
            centres = int(ctx.wide["participant.centre"].nunique())
            ctx.ard.add(table.id, variable, "", "total", "n", centres)
        elif key in wanted:
            stat, value = wanted[key]
            _add_date(ctx, table.id, variable, stat, value)
        ctx.label(table.id, variable, key.replace("_", " "), {})
