"""CAIRO6's analysis populations: the rules of its definition (analysis.toml) and the grouping
by the treatment started, which the definition language cannot say yet.

- ITT: everyone randomised, analysed as allocated.
- Modified ITT: analysed by the treatment actually started. A participant who received any
  systemic therapy belongs to the arm whose regimens they received; one who went to surgery
  without systemic therapy belongs to the control arm (upfront surgery); one who received
  neither (e.g. straight to palliative care) is in no group.
- Surgical: modified-ITT participants who had surgery (CRS-HIPEC or open-close).
- CRS-HIPEC: macroscopically complete CRS with HIPEC given.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cairo6.analysis.common import is_missing
from cairo6.analysis.rule_frames import population_flags
from cairo6.protocol import Protocol
from cairo6.study.study import Study

Frames = Mapping[str, pd.DataFrame]


def grouping(study: Study) -> dict[str, str]:
    """Population -> the column it is grouped by: `mitt_group` for those the definition
    analyses by the treatment started."""
    return {p.id: "mitt_group" for p in study.populations if p.grouping == "treatment_started"}


def analysis_set(protocol: Protocol, frames: Frames, study: Study) -> pd.DataFrame:
    """One row per randomised participant with their analysis group and population flags.

    Columns: study_number, centre, arm, enrolled_on, neoadjuvant_started, surgery,
    macroscopic_complete (True/False/None when not recorded), hipec_given, mitt_group
    (arm id or None), and a flag per population of the definition (its rule holds and, for a
    population analysed by the treatment started, the participant has a group). `frames`
    carry the definition's derived items (`rule_frames.with_derived_items`).
    """
    people = frames["participant"][["study_number", "centre", "arm", "enrolled_on"]].copy()
    regimen_arm = {r.id: r.arm for r in protocol.regimens}
    control = next((a.id for a in protocol.arms if a.is_control), None)
    cycles = frames["cycle"]
    neo = cycles[cycles["phase"] == "neoadjuvant"]
    started_arm = (
        neo.sort_values(["study_number", "cycle_number"])
        .groupby("study_number")["regimen"]
        .first()
        .map(regimen_arm)
    )
    surgery = frames["surgery"].set_index("study_number")
    people["neoadjuvant_started"] = people["study_number"].isin(started_arm.index)
    people["surgery"] = people["study_number"].isin(surgery.index)
    complete = surgery["macroscopic_complete"].map(lambda v: None if is_missing(v) else bool(v))
    people["macroscopic_complete"] = people["study_number"].map(complete).astype(object)
    people.loc[~people["surgery"], "macroscopic_complete"] = None
    hipec = surgery["hipec_drug"] if len(surgery) else pd.Series(dtype=object)
    people["hipec_given"] = people["study_number"].map(hipec).fillna("none") != "none"

    started = people["study_number"].map(started_arm)
    upfront = people["surgery"] & ~people["neoadjuvant_started"]
    people["mitt_group"] = [
        str(arm) if isinstance(arm, str) else (control if up else None)
        for arm, up in zip(started, upfront, strict=True)
    ]
    flags = population_flags(study, people.set_index("study_number", drop=False), frames)
    grouped = grouping(study)
    for name in flags.columns:
        member = flags[name].to_numpy(dtype=bool)
        if name in grouped:
            member &= people[grouped[name]].notna().to_numpy(dtype=bool)
        people[name] = member
    return people.reset_index(drop=True)
