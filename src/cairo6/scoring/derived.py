"""Participant-level values that are computed from recorded fields, never typed.

One definition serves the participant page, the exports and the analysis, so the three
cannot disagree about, say, what counts as a macroscopically complete operation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from cairo6.scoring.cc import is_macroscopic_complete
from cairo6.scoring.clavien_dindo import highest_clavien_dindo, parse_clavien_dindo
from cairo6.scoring.pci import pci_total


def macroscopic_complete(procedure: str, cc_score: int | None, r_class: str | None) -> bool | None:
    """CC-0 (or R0/R1 where a centre uses R classification); None when neither is recorded.

    An open-close procedure is never complete, whatever else was entered.
    """
    open_close = procedure == "open_close"
    if not open_close and cc_score is None and r_class is None:
        return None
    return is_macroscopic_complete(cc=cc_score, r_class=r_class, open_close=open_close)


def participant_values(
    surgery: Mapping[str, Any] | None,
    discharge_date: dt.date | None,
    complication_grades: Iterable[str],
) -> dict[str, Any]:
    """PCI total, completeness, length of stay (days) and highest Clavien-Dindo grade."""
    out: dict[str, Any] = {}
    if surgery is not None:
        out["pci_total"] = pci_total(surgery["pci_regions"]).total
        out["macroscopic_complete"] = macroscopic_complete(
            surgery["procedure"], surgery.get("cc_score"), surgery.get("r_class")
        )
        if discharge_date is not None:
            out["length_of_stay_days"] = (discharge_date - surgery["surgery_date"]).days
    highest = highest_clavien_dindo(parse_clavien_dindo(g) for g in complication_grades)
    out["highest_clavien_dindo"] = highest.label if highest is not None else None
    return out
