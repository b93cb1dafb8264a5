"""`analyse`: the protocol, the extracted frames and a table spec in, an `AnalysisResult` out.

Pure: no database, no files, no clock. The steps:
1. normalise the frames (every form and column present, dates parsed) and check data quality;
2. derive the analysis populations (`populations.analysis_set`) and one wide frame per
   participant with the single forms, the treatment course and scored values;
3. compute the rows of every table in the spec into the ARD;
4. judge the time windows (schedule module), evaluate the stopping rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from cairo6.analysis.common import SINGLE_FORMS, WarningLog, normalise
from cairo6.analysis.compliance import assess_windows, compliance, timing_points
from cairo6.analysis.context import Context
from cairo6.analysis.disposition import accrual, course_columns
from cairo6.analysis.events import HANDLERS as EVENT_ROWS
from cairo6.analysis.monitoring import interim_look
from cairo6.analysis.populations import analysis_set
from cairo6.analysis.quality import check_ard, check_frames, clean_surgery
from cairo6.analysis.result import AnalysisResult
from cairo6.analysis.rows import ROWS
from cairo6.analysis.spec import RowSpec, TableSpec, TablesSpec, default_spec
from cairo6.analysis.stopping import evaluate_stopping
from cairo6.analysis.survival import TABLE as SURVIVAL
from cairo6.analysis.survival import SurvivalCurve, survival_analysis
from cairo6.analysis.values import event_frames, wide_frame
from cairo6.protocol import Protocol

__all__ = ["analyse"]

Handler = Callable[[Context, TableSpec, RowSpec], None]
HANDLERS: Mapping[str, Handler] = {
    **ROWS,
    **EVENT_ROWS,
    "compliance": compliance,
    "accrual": accrual,
}


def _synthetic(frames: Mapping[str, pd.DataFrame], marker: str) -> bool:
    if not marker:
        return False
    names = frames["centre"]["name"].dropna().astype(str)
    return bool(len(names)) and bool(names.str.contains(marker, case=False, regex=False).any())


def _first_per_participant(frame: pd.DataFrame, form: str, log: WarningLog) -> pd.DataFrame:
    duplicated = frame["study_number"].duplicated()
    message = f"more than one {form} record: the first is used"
    log.add_rows(frame.loc[duplicated, "study_number"], form, "", message)
    return frame[~duplicated]


def prepare(protocol: Protocol, frames: Mapping[str, pd.DataFrame], spec: TablesSpec) -> Context:
    """Everything before the rows: clean frames, populations, wide frame and event frames."""
    log = WarningLog()
    clean = normalise(frames, log)
    check_frames(protocol, clean, log)
    clean["surgery"] = clean_surgery(clean["surgery"], log)
    for form in ("participant", *SINGLE_FORMS):
        clean[form] = _first_per_participant(clean[form], form, log)
    people = analysis_set(protocol, clean)
    unassigned = people["neoadjuvant_started"] & people["mitt_group"].isna()
    log.add_rows(
        people.loc[unassigned, "study_number"],
        "cycle",
        "regimen",
        "neoadjuvant regimen of no protocol arm: not in the modified-ITT population",
    )
    wide = wide_frame(clean, people, log)
    wide = pd.concat([wide, course_columns(protocol, spec, clean, wide)], axis=1)
    events = event_frames(clean, spec, wide, log)
    return Context(protocol, spec, clean, people, wide, events, log=log)


def analyse(
    protocol: Protocol, frames: Mapping[str, pd.DataFrame], spec: TablesSpec | None = None
) -> AnalysisResult:
    """Compute every number of the report from the data (the CAIRO6 spec by default)."""
    layout = spec or default_spec()
    ctx = prepare(protocol, frames, layout)
    assess_windows(ctx)
    for table in layout.tables:
        ctx.start_table(table)
        for row in table.rows:
            HANDLERS[row.kind](ctx, table, row)
    curves = _survival(ctx)
    check_ard(ctx.ard, ctx.arms, ctx.log)
    stopping = evaluate_stopping(
        protocol,
        ctx.endpoint_counts,
        ctx.wide["participant.enrolled_on"],
        ctx.frames["centre"]["started_recruiting"],
    )
    look = interim_look(protocol, ctx.ard)
    if look is not None:
        stopping.append(look)
    return AnalysisResult(
        ard=ctx.ard,
        warnings=list(ctx.log.items),
        stopping=stopping,
        timing=timing_points(ctx),
        labels=dict(ctx.labels),
        synthetic=_synthetic(ctx.frames, layout.synthetic_marker),
        survival=curves,
        plan=protocol.analysis,
    )


def _survival(ctx: Context) -> list[SurvivalCurve]:
    """The survival table (only when follow-up rows exist) and the curves for the figure."""
    follow_up = ctx.frames.get("follow_up")
    if follow_up is None or not len(follow_up):
        return []
    control = next((a.id for a in ctx.protocol.arms if a.is_control), ctx.arms[-1])
    records, curves, warnings = survival_analysis(
        ctx.people,
        follow_up,
        ctx.frames["surgery"],
        ctx.arms,
        control,
        ctx.protocol.analysis.methods,
    )
    ctx.ard.extend(records)
    ctx.labels.setdefault((SURVIVAL, ""), "Survival")
    for record in records:
        ctx.labels.setdefault((SURVIVAL, record.variable), record.label)
        if record.variable_level:
            level = f"{record.variable}/{record.variable_level}"
            ctx.labels.setdefault((SURVIVAL, level), record.label)
    for study_number, message in warnings:
        ctx.log.add(study_number, "follow_up", "", message)
    return curves
