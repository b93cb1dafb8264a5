"""Rows built from repeating forms: adverse-event details, patients with a grade at or above a
threshold by phase, and pathology grades by site.

Patients are counted, not events: one patient with the same event twice counts once, at the
worst grade (the convention of the paper's Tables 2-3 footnotes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cairo6.analysis.ard import add_count
from cairo6.analysis.common import as_json, is_missing, mask
from cairo6.analysis.context import Context, members, record_rate
from cairo6.analysis.spec import RowSpec, TableSpec, opt_list, opt_map, opt_str
from cairo6.analysis.values import cached_map, unique_patients
from cairo6.errors import Cairo6Error, InvalidValueError
from cairo6.scoring import (
    parse_mandard,
    prgs_summary,
)

__all__ = ["event_details", "grade_thresholds", "pathology", "site_grades", "whole"]


def _events_of(ctx: Context, row: RowSpec, frame: pd.DataFrame) -> pd.DataFrame:
    form = opt_str(row.options, "form", row.variable)
    if form not in ctx.events:
        raise InvalidValueError("form", form, ", ".join(ctx.events), "declare it under [events]")
    events = ctx.events[form]
    events = events[events["study_number"].isin(frame.index)]
    keep = pd.Series(True, index=events.index)
    for key, compare in (("min_grade", "ge"), ("max_grade", "le")):
        bound = row.options.get(key)
        if isinstance(bound, int):
            keep &= getattr(events["grade"], compare)(bound).fillna(False).astype(bool)
    if row.where:
        keep &= mask(events, row.where)
    return events[keep]


def event_details(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Patients per event term and grade (level `<term>_grade_<k>`), n and pct per group."""
    frame = ctx.population(ctx.population_name(table, row))
    worst = unique_patients(_events_of(ctx, row, frame), ["level"])
    worst = worst[worst["grade"].notna()].copy()
    ctx.label(table.id, row.variable, row.label, row.level_labels)
    if worst.empty:
        return
    worst["group"] = frame.loc[worst["study_number"].to_numpy(), "group"].to_numpy()
    worst["row"] = worst["level"] + "_grade_" + worst["grade"].astype(int).astype(str)
    order = [str(term) for term in opt_list(row.options, "order", row.variable)]
    rank = {term: i for i, term in enumerate(order)}
    totals = worst.groupby(["level", "row"]).size().reset_index(name="n")
    totals["rank"] = totals["level"].map(lambda t: rank.get(t, len(rank)))
    totals["first"] = totals.groupby("level")["n"].transform("sum")
    totals = totals.sort_values(
        ["rank", "first", "level", "row"], ascending=[True, False, True, True]
    )
    # One record per patient and term (the worst grade), so rows count patients.
    per_group = worst.groupby(["row", "group"]).size()
    per_row = worst.groupby("row").size()
    extra = [
        (str(spec["event"]), str(spec["suffix"]), spec.get("among", {}))
        for spec in opt_list(row.options, "of", row.variable)
        if isinstance(spec, dict)
    ]
    groups = {group: frame.loc[members(frame, group)] for group in ctx.columns(table, row)}
    bases = {
        (group, event): int(mask(group_frame, among).sum())
        for group, group_frame in groups.items()
        for event, _, among in extra
        if isinstance(among, dict)
    }
    for level, name in zip(totals["level"], totals["row"], strict=True):
        for group, group_frame in groups.items():
            n = int(per_row.get(name, 0) if group == "total" else per_group.get((name, group), 0))
            add_count(ctx.ard, table.id, row.variable, name, group, n, len(group_frame))
            for event, suffix, _ in extra:
                if event == level and (group, event) in bases:
                    base = bases[(group, event)]
                    _subset_pct(ctx, table.id, row.variable, f"{name}_{suffix}", group, n, base)


def _subset_pct(
    ctx: Context, table: str, variable: str, level: str, group: str, n: int, base: int
) -> None:
    # A second percentage of the same count over a subgroup (e.g. patients with an
    # anastomosis): n and pct only, the subgroup N named in the note.
    note = f"denominator: {base}"
    ctx.ard.add(table, variable, level, group, "n", n, note=note)
    ctx.ard.add(table, variable, level, group, "pct", 100 * n / base if base else None, note=note)


def grade_thresholds(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Patients with a grade in range, any phase and per phase (phase-specific denominators)."""
    frame = ctx.population(ctx.population_name(table, row))
    events = _events_of(ctx, row, frame)
    any_level = opt_str(row.options, "any_level", "grade_thresholds", "any")
    phases = [p for p in opt_list(row.options, "phases", "grade_thresholds") if isinstance(p, dict)]
    for grade_spec in opt_list(row.options, "grades", "grade_thresholds"):
        if not isinstance(grade_spec, dict) or "variable" not in grade_spec:
            raise InvalidValueError("grades", grade_spec, "{ variable = ..., min = k }")
        variable = str(grade_spec["variable"])
        low, high = int(grade_spec.get("min", 1)), int(grade_spec.get("max", 99))
        hit = events[events["grade"].between(low, high).fillna(False).astype(bool)]
        ctx.label(table.id, variable, str(grade_spec.get("label", "")), row.level_labels)
        for group in ctx.columns(table, row):
            group_frame = frame.loc[members(frame, group)]
            patients = hit[hit["study_number"].isin(group_frame.index)]
            n_any = int(patients["study_number"].nunique())
            add_count(ctx.ard, table.id, variable, any_level, group, n_any, len(group_frame))
            for phase in phases:
                level = str(phase["level"])
                among = group_frame[mask(group_frame, phase.get("among", {}))]
                if phase.get("among"):
                    _phase_population(ctx, table.id, level, group, len(among))
                in_phase = patients[patients["phase"].eq(level)]
                n = int(
                    in_phase.loc[
                        in_phase["study_number"].isin(among.index), "study_number"
                    ].nunique()
                )
                if phase.get("among"):
                    # Denominator of this level only: the phase's population (not the variable's).
                    _subset_pct(ctx, table.id, variable, level, group, n, len(among))
                else:
                    add_count(ctx.ard, table.id, variable, level, group, n, len(among))


def _phase_population(ctx: Context, table: str, level: str, group: str, size: int) -> None:
    if ctx.ard.find(table, "population", level, group, "N") is None:
        ctx.ard.add(table, "population", level, group, "N", size)


def pathology(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Per site and grading system: evaluable N and patients per grade (PRGS: worst biopsy)."""
    frame = ctx.population(ctx.population_name(table, row))
    form = opt_str(row.options, "form", "pathology", "pathology")
    records = ctx.frames[form]
    records = records[records["study_number"].isin(frame.index)]
    sites = opt_map(row.options, "sites", "pathology")
    systems = [s for s in opt_list(row.options, "systems", "pathology") if isinstance(s, dict)]
    for site, site_name in sites.items():
        at_site = records[records["site"] == site].drop_duplicates("study_number")
        for system in systems:
            variable = f"{system['prefix']}_{site_name}"
            grades = site_grades(ctx, at_site, form, str(system["field"]))
            ctx.label(table.id, variable, f"{system.get('label', '')} {site_name}", {})
            for group in ctx.columns(table, row):
                mine = grades[grades.index.isin(members(frame, group))]
                total = int(mine.notna().sum())
                for grade in range(1, int(system["grades"]) + 1):
                    n = int(mine.eq(grade).sum())
                    record_rate(ctx, table.id, variable, f"grade_{grade}", group, n, total)


def site_grades(ctx: Context, records: pd.DataFrame, form: str, field: str) -> pd.Series:
    """The grade per evaluable patient (missing when not evaluable or ungradable, warned)."""

    def grade(value: object) -> object:
        try:
            if field == "prgs":
                biopsies = as_json(value)
                if not isinstance(biopsies, list) or not biopsies:
                    raise InvalidValueError("prgs", value, "at least one biopsy grade")
                return prgs_summary(biopsies).worst.rank
            if is_missing(value):
                raise InvalidValueError(field, value, "a grade for an evaluable site")
            return parse_mandard(whole(value)).rank
        except (ValueError, TypeError, Cairo6Error) as exc:
            return f"evaluable but not gradable: {exc}"

    evaluable = records[records["evaluable"].eq(True)]
    scored = cached_map(evaluable[field], grade)
    bad = scored.map(lambda v: isinstance(v, str))
    for number, message in zip(evaluable["study_number"][bad], scored[bad], strict=True):
        ctx.log.add(number, form, field, str(message))
    out = pd.Series(np.nan, index=records["study_number"].to_numpy(), dtype=float)
    good = scored[~bad]
    out[evaluable.loc[good.index, "study_number"].to_numpy()] = good.astype(float).to_numpy()
    return out


def whole(value: object) -> int:
    """A whole number given as int or float; refused otherwise."""
    if isinstance(value, int | float | np.integer | np.floating) and float(value).is_integer():
        return int(value)
    raise InvalidValueError("value", value, "a whole number")


HANDLERS = {
    "event_details": event_details,
    "grade_thresholds": grade_thresholds,
    "pathology": pathology,
}
