"""CAIRO6's derivations: what its report needs that the definition language cannot say yet.

The layout (`tables.toml`, `[spec] derivations`) names this module; the generic engine
(`cairo6.analysis.engine`) imports it by that name. It holds how CAIRO6's populations follow
from its records (modified ITT by the regimen started), its treatment course, the PCI at
surgery and the outcome of surgery, response rates, compliance with the protocol's windows,
and data-quality checks. Survival comes from the endpoints of analysis.toml.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cairo6.analysis.common import WarningLog, first_per_participant, normalise
from cairo6.analysis.context import Context
from cairo6.analysis.derivations import Derivations
from cairo6.analysis.rule_frames import fields_read, with_derived_items
from cairo6.analysis.spec import TablesSpec
from cairo6.analysis.values import event_frames, wide_frame
from cairo6.errors import InvalidValueError
from cairo6.protocol import Protocol
from cairo6.studies.cairo6.derive.compliance import assess_windows, compliance, timing_points
from cairo6.studies.cairo6.derive.disposition import accrual, course_columns
from cairo6.studies.cairo6.derive.forms import DATE_COLUMNS, FORM_COLUMNS, SINGLE_FORMS
from cairo6.studies.cairo6.derive.populations import analysis_set, grouping
from cairo6.studies.cairo6.derive.quality import check_frames, clean_surgery
from cairo6.studies.cairo6.derive.response import response
from cairo6.studies.cairo6.derive.values import derived_columns
from cairo6.study.study import Study

__all__ = ["DERIVATIONS", "prepare"]


def prepare(
    protocol: Protocol, frames: Mapping[str, pd.DataFrame], spec: TablesSpec, study: Study | None
) -> Context:
    """Everything before the rows: clean frames, populations (from the definition), wide frame
    and event frames."""
    if study is None:
        raise InvalidValueError(
            "study", "none", "the CAIRO6 study definition", "analyse with the study given"
        )
    log = WarningLog()
    clean = normalise(frames, log, FORM_COLUMNS, DATE_COLUMNS)
    check_frames(protocol, clean, log)
    clean["surgery"] = clean_surgery(clean["surgery"], log)
    for form in ("participant", *SINGLE_FORMS):
        clean[form] = first_per_participant(clean[form], form, log)
    clean = with_derived_items(study, clean, fields_read(study))
    people = analysis_set(protocol, clean, study)
    unassigned = people["neoadjuvant_started"] & people["mitt_group"].isna()
    log.add_rows(
        people.loc[unassigned, "study_number"],
        "cycle",
        "regimen",
        "neoadjuvant regimen of no protocol arm: not in the modified-ITT population",
    )
    wide = wide_frame(clean, people, SINGLE_FORMS, log)
    wide = pd.concat([wide, derived_columns(wide, log)], axis=1)
    wide = pd.concat([wide, course_columns(protocol, spec, clean, wide)], axis=1)
    events = event_frames(clean, spec, wide, log)
    return Context(protocol, spec, clean, people, wide, events, grouping=grouping(study), log=log)


DERIVATIONS = Derivations(
    prepare=prepare,
    rows={"compliance": compliance, "accrual": accrual, "response": response},
    before_rows=assess_windows,
    timing=timing_points,
)
