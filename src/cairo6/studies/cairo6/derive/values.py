"""CAIRO6's derived columns of the wide frame: the PCI at surgery (scored from the 13 regions),
the outcome of surgery and why trial treatment stopped at surgery."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cairo6.analysis.common import WarningLog, as_json, is_missing
from cairo6.analysis.values import cached_map
from cairo6.errors import Cairo6Error
from cairo6.scoring import pci_total

__all__ = ["derived_columns"]


def derived_columns(wide: pd.DataFrame, log: WarningLog) -> pd.DataFrame:
    """The `derived.*` columns: pci_at_surgery, surgery_outcome, surgery_stop_reason."""
    out = pd.DataFrame(index=wide.index)
    out["derived.pci_at_surgery"] = _pci(wide, log)
    out["derived.surgery_outcome"] = _surgery_outcome(wide)
    out["derived.surgery_stop_reason"] = _stop_reason(wide, out["derived.surgery_outcome"])
    return out


def _pci(wide: pd.DataFrame, log: WarningLog) -> pd.Series:
    regions = wide["surgery.pci_regions"]
    present = regions[regions.map(lambda v: not is_missing(v))]

    def total(value: object) -> object:
        try:
            parsed = as_json(value)
            if not isinstance(parsed, dict):
                return "not a table of region scores"
            return pci_total(parsed).total
        except (ValueError, Cairo6Error) as exc:
            return str(exc)

    scored = cached_map(present, total)
    bad = scored.map(lambda v: isinstance(v, str))
    for number, message in scored[bad].items():
        log.add(number, "surgery", "pci_regions", f"PCI not computable: {message}")
    result = pd.Series(np.nan, index=wide.index, dtype=float)
    good = scored[~bad]
    result.loc[good.index] = good.astype(float)
    missing = wide["set.surgery"].astype(bool) & result.isna() & ~wide.index.isin(scored.index)
    log.add_rows(wide.index[missing], "surgery", "pci_regions", "no PCI recorded at surgery")
    return result


def _surgery_outcome(wide: pd.DataFrame) -> pd.Series:
    operated = wide["set.surgery"].astype(bool)
    complete = wide["set.macroscopic_complete"]
    # Not operated is an outcome, not a missing value: it counts against complete CRS-HIPEC.
    outcome = pd.Series("no_surgery", index=wide.index, dtype=object)
    outcome[operated] = None
    outcome[operated & complete.eq(False)] = "incomplete"
    outcome[operated & complete.eq(True)] = "complete_without_hipec"
    outcome[wide["set.crs_hipec"].astype(bool)] = "complete_crs_hipec"
    outcome[operated & wide["surgery.procedure"].eq("open_close")] = "open_close"
    return outcome


def _stop_reason(wide: pd.DataFrame, outcome: pd.Series) -> pd.Series:
    """Why trial treatment stopped at surgery: the open-close reason, else the outcome."""
    stopped = wide["set.surgery"].astype(bool) & ~wide["set.crs_hipec"].astype(bool)
    open_close = outcome.eq("open_close")
    reason = pd.Series(None, index=wide.index, dtype=object)
    reason[stopped] = outcome[stopped]
    given = wide["surgery.open_close_reason"]
    reason[stopped & open_close & given.notna()] = given[stopped & open_close & given.notna()]
    reason[stopped & outcome.isna()] = "completeness_unknown"
    return reason
