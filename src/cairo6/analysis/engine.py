"""`analyse`: the protocol, the extracted frames and a table spec in, an `AnalysisResult` out.

Pure: no database, no files, no clock. The steps:
1. the study's derivations (named by the layout, `cairo6.analysis.derivations`) clean the
   frames, check data quality, derive the analysis populations and one wide frame per
   participant;
2. compute the rows of every table in the spec into the ARD (generic row kinds and the
   study's own);
3. the study's time-to-event endpoints (its definition's, `time_to_event`), the self-check of
   the numbers, the stopping rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import pandas as pd

from cairo6.analysis.derivations import Handler, derivations_of
from cairo6.analysis.events import HANDLERS as EVENT_ROWS
from cairo6.analysis.monitoring import interim_look
from cairo6.analysis.quality import check_ard
from cairo6.analysis.result import AnalysisResult
from cairo6.analysis.rows import ROWS
from cairo6.analysis.spec import TablesSpec, spec_for
from cairo6.analysis.stopping import evaluate_stopping
from cairo6.analysis.time_to_event import survival_tables
from cairo6.errors import InvalidValueError
from cairo6.protocol import Protocol
from cairo6.study.study import Study

__all__ = ["analyse"]

GENERIC_ROWS: Mapping[str, Handler] = {**ROWS, **EVENT_ROWS}


def _synthetic(frames: Mapping[str, pd.DataFrame], marker: str) -> bool:
    if not marker:
        return False
    names = frames["centre"]["name"].dropna().astype(str)
    return bool(len(names)) and bool(names.str.contains(marker, case=False, regex=False).any())


@cache
def _bundled(trial_id: str) -> Study:
    """The bundled study of this trial id, else the default one (whose layout `spec_for`
    falls back to as well)."""
    from cairo6.study.loader import bundled_study_folder, bundled_study_for, read_study

    return bundled_study_for(trial_id) or read_study(bundled_study_folder())


def analyse(
    protocol: Protocol,
    frames: Mapping[str, pd.DataFrame],
    spec: TablesSpec | None = None,
    study: Study | None = None,
) -> AnalysisResult:
    """Compute every number of the report from the data. The layout and the study definition
    (its endpoints) default to those of the bundled study of the protocol's trial."""
    layout = spec or spec_for(protocol.trial.id)
    definition = study or _bundled(protocol.trial.id)
    derived = derivations_of(layout)
    handlers = {**GENERIC_ROWS, **derived.rows}
    ctx = derived.prepare(protocol, frames, layout, definition)
    derived.before_rows(ctx)
    for table in layout.tables:
        ctx.start_table(table)
        for row in table.rows:
            if row.kind not in handlers:
                raise InvalidValueError(
                    f"tables[{table.id}].kind",
                    row.kind,
                    ", ".join(sorted(handlers)),
                    "use a row kind of the engine or of the study's derivations",
                )
            handlers[row.kind](ctx, table, row)
    curves = survival_tables(ctx, definition.endpoints)
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
        timing=derived.timing(ctx),
        labels=dict(ctx.labels),
        synthetic=_synthetic(ctx.frames, layout.synthetic_marker),
        survival=curves,
        plan=protocol.analysis,
    )
