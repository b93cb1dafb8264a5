"""CAIRO6's analysis populations, derived from what happened rather than typed.

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

from cairo6.protocol import Protocol
from cairo6.scoring.derived import macroscopic_complete

Frames = Mapping[str, pd.DataFrame]

GROUPING = dict.fromkeys(("mitt", "surgical", "crs_hipec", "neoadjuvant"), "mitt_group")
"""Every population but intention-to-treat is analysed by the treatment started."""


def analysis_set(protocol: Protocol, frames: Frames, study: object = None) -> pd.DataFrame:
    """One row per randomised participant with their analysis group and population flags.

    Columns: study_number, centre, arm, enrolled_on, neoadjuvant_started, surgery,
    macroscopic_complete (True/False/None when not recorded), hipec_given, mitt_group
    (arm id or None), itt, mitt, surgical, crs_hipec, neoadjuvant.
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
    # Few distinct (procedure, CC, R class) combinations exist however large the trial, so each
    # is scored once rather than row by row.
    keys = [
        (str(p), None if pd.isna(cc) else int(cc), None if pd.isna(r) else str(r))
        for p, cc, r in zip(
            surgery["procedure"], surgery["cc_score"], surgery["r_class"], strict=True
        )
    ]
    scored = {key: macroscopic_complete(*key) for key in set(keys)}
    complete = pd.Series([scored[key] for key in keys], index=surgery.index, dtype=object)
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
    people["itt"] = True
    people["mitt"] = people["mitt_group"].notna()
    people["surgical"] = people["mitt"] & people["surgery"]
    complete_now = people["macroscopic_complete"].map(lambda v: v is True).astype(bool)
    people["crs_hipec"] = people["surgical"] & complete_now & people["hipec_given"]
    people["neoadjuvant"] = people["neoadjuvant_started"].astype(bool)
    return people.reset_index(drop=True)
