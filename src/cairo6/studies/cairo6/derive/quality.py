"""CAIRO6's data-quality checks: problems the analysis reports instead of crashing or dropping
silently.

Each check names participant, form and field. Besides plain errors (a date missing, a discharge
before surgery) they look for the contradictions a trial record can hold and a typed table can
hide: treatment after an off-study date, surgery after systemic progression, HIPEC without
complete cytoreduction, adjuvant therapy after incomplete surgery, an event graded for a phase
that was never given.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cairo6.analysis.common import WarningLog, as_datetime, is_missing
from cairo6.errors import Cairo6Error
from cairo6.protocol import Protocol
from cairo6.scoring import is_macroscopic_complete

__all__ = ["check_frames", "clean_surgery"]

# Postoperative morbidity is counted up to 3 months after surgery (the paper's outcome).
_MORBIDITY_DAYS = 90


def _flag(
    log: WarningLog, frame: pd.DataFrame, rows: pd.Series, form: str, field: str, text: str
) -> None:
    log.add_rows(frame.loc[rows[rows].index, "study_number"], form, field, text)


def _completeness_problem(procedure: object, cc: object, r_class: object) -> str | None:
    if is_missing(cc) and is_missing(r_class):
        return None
    try:
        is_macroscopic_complete(
            cc=None if is_missing(cc) else str(int(float(str(cc)))),
            r_class=None if is_missing(r_class) else str(r_class),
            open_close=procedure == "open_close",
        )
    except (Cairo6Error, TypeError, ValueError) as exc:
        return str(exc)
    return None


def clean_surgery(surgery: pd.DataFrame, log: WarningLog) -> pd.DataFrame:
    """Surgery records whose completeness fields contradict each other lose them (warned).

    The populations are derived with `scoring.is_macroscopic_complete`, which refuses such
    records; the analysis must still run, so completeness becomes unknown instead.
    """
    out = surgery.copy()
    fields = out[["procedure", "cc_score", "r_class"]].astype(object)
    keys = pd.Series(list(map(repr, fields.itertuples(index=False))), index=out.index)
    distinct = fields[~keys.duplicated()]
    problems = {
        key: _completeness_problem(*row)
        for key, row in zip(keys[distinct.index], distinct.itertuples(index=False), strict=True)
    }
    message = keys.map(problems)
    bad = message.notna()
    for number, text in zip(out.loc[bad, "study_number"], message[bad], strict=True):
        log.add(number, "surgery", "cc_score", f"completeness not decidable ({text}): unknown")
    out.loc[bad, ["cc_score", "r_class"]] = None
    return out


def check_frames(protocol: Protocol, frames: Mapping[str, pd.DataFrame], log: WarningLog) -> None:
    """Run every check on the normalised frames."""
    people = frames["participant"]
    known = set(people["study_number"])
    arms = {a.id for a in protocol.arms}
    _flag(log, people, ~people["arm"].isin(arms), "participant", "arm", "arm not in the protocol")
    _baseline(frames, known, log)
    _surgery(frames, log)
    _events(frames, log)
    _cycles(protocol, frames, log)
    _course(frames, log)
    _reviews(frames, log)


def _baseline(frames: Mapping[str, pd.DataFrame], known: set[object], log: WarningLog) -> None:
    have = set(frames["baseline"]["study_number"])
    for number in sorted(str(n) for n in known - have):
        log.add(number, "baseline", "", "no baseline form: excluded from Table 1 rows")
    people = frames["participant"]
    duplicated = people["study_number"].duplicated()
    _flag(log, people, duplicated, "participant", "study_number", "randomised twice: first kept")
    centres = frames["centre"].set_index("centre")["started_recruiting"]
    started = people["centre"].map(centres.to_dict())
    early = as_datetime(people["enrolled_on"]) < as_datetime(started)
    _flag(log, people, early, "participant", "enrolled_on", "enrolled before the centre started")
    screening = frames["screening"]
    odd = screening["refused"].eq(True) & screening["approached"].eq(False)
    log.add_rows(
        screening.loc[odd, "screening_number"], "screening", "refused", "refused but not approached"
    )


def _surgery(frames: Mapping[str, pd.DataFrame], log: WarningLog) -> None:
    surgery = frames["surgery"]
    open_close = surgery["procedure"].eq("open_close")
    no_cc = surgery["cc_score"].isna() & surgery["r_class"].isna() & ~open_close
    _flag(
        log, surgery, no_cc, "surgery", "cc_score", "no CC score or R class: completeness unknown"
    )
    hipec = surgery["hipec_drug"].notna() & surgery["hipec_drug"].ne("none")
    _flag(log, surgery, open_close & hipec, "surgery", "hipec_drug", "HIPEC recorded at open-close")
    for field in ("primary_tumour_resection", "anastomosis", "ostomy"):
        done = open_close & surgery[field].eq(True)
        _flag(log, surgery, done, "surgery", field, "recorded at an open-close procedure")
    incomplete = surgery["cc_score"].ge(1).fillna(False).astype(bool) & hipec
    _flag(log, surgery, incomplete, "surgery", "hipec_drug", "HIPEC after incomplete CRS")
    dates = surgery.set_index("study_number")["surgery_date"]
    dates = dates[~dates.index.duplicated()]
    discharge = frames["discharge"]
    operated = as_datetime(discharge["study_number"].map(dates))
    before = discharge["discharge_date"] < operated
    _flag(log, discharge, before, "discharge", "discharge_date", "discharge before surgery")
    lonely = operated.isna()
    _flag(log, discharge, lonely, "discharge", "discharge_date", "discharge without surgery")
    for form, field in (("readmission", "admitted_on"), ("reoperation", "reoperated_on")):
        frame = frames[form]
        when = as_datetime(frame["study_number"].map(dates))
        _flag(log, frame, when.isna(), form, field, f"{form} without surgery")
        _flag(log, frame, frame[field] < when, form, field, f"{form} before surgery")


def _events(frames: Mapping[str, pd.DataFrame], log: WarningLog) -> None:
    complication = frames["complication"]
    undated = complication["onset_date"].isna() & complication["grade"].notna()
    _flag(log, complication, undated, "complication", "onset_date", "graded without a date")
    surgery = frames["surgery"].drop_duplicates("study_number").set_index("study_number")
    when = as_datetime(complication["study_number"].map(surgery["surgery_date"]))
    early = complication["onset_date"] < when
    _flag(log, complication, early, "complication", "onset_date", "complication before surgery")
    late = (complication["onset_date"] - when).dt.days > _MORBIDITY_DAYS
    _flag(log, complication, late, "complication", "onset_date", "over 3 months after surgery")
    reoperation = frames["reoperation"]
    terms = set(zip(complication["study_number"], complication["term"].str.casefold(), strict=True))
    for row in reoperation.itertuples(index=False):
        if (
            row.complication is True
            and (row.study_number, str(row.indication).casefold()) not in terms
        ):
            log.add(
                row.study_number,
                "reoperation",
                "indication",
                f"reoperation for {row.indication!r} without that complication recorded",
            )
    toxicity = frames["toxicity"]
    undated = toxicity["onset_date"].isna()
    _flag(log, toxicity, undated, "toxicity", "onset_date", "graded without a date")
    cycles = frames["cycle"]
    phases = set(zip(cycles["study_number"], cycles["phase"], strict=True))
    given = pd.Series(
        [
            (n, p) in phases
            for n, p in zip(toxicity["study_number"], toxicity["phase"], strict=True)
        ],
        index=toxicity.index,
        dtype=bool,
    )
    _flag(log, toxicity, ~given, "toxicity", "phase", "toxicity in a phase with no cycle given")


def _cycles(protocol: Protocol, frames: Mapping[str, pd.DataFrame], log: WarningLog) -> None:
    cycles = frames["cycle"]
    known = {r.id.lower() for r in protocol.regimens}
    unknown = ~cycles["regimen"].astype(str).str.lower().isin(known)
    _flag(log, cycles, unknown, "cycle", "regimen", "regimen not in the protocol")
    surgery = frames["surgery"].drop_duplicates("study_number").set_index("study_number")
    when = as_datetime(cycles["study_number"].map(surgery["surgery_date"]))
    neo_late = cycles["phase"].eq("neoadjuvant") & (cycles["given_on"] >= when)
    _flag(log, cycles, neo_late, "cycle", "phase", "neoadjuvant cycle on or after surgery")
    adj_early = cycles["phase"].eq("adjuvant") & ((cycles["given_on"] <= when) | when.isna())
    _flag(log, cycles, adj_early, "cycle", "phase", "adjuvant cycle before (or without) surgery")
    stopped = cycles["stopped_after"].eq(True)
    why = cycles["stop_reason"].map(lambda v: isinstance(v, str) and bool(v.strip()))
    _flag(log, cycles, stopped & ~why, "cycle", "stop_reason", "stopped without a reason")
    order = cycles.sort_values(["study_number", "phase", "cycle_number"])
    groups = order.groupby(["study_number", "phase"])
    expected = groups.cumcount() + 1
    gaps = order["cycle_number"].ne(expected)
    _flag(log, order, gaps, "cycle", "cycle_number", "cycle numbers not 1, 2, 3 ... in order")
    stops = order["stopped_after"].eq(True).astype(int)
    # Stops up to and including this cycle, minus its own: > 0 means an earlier cycle stopped.
    earlier = stops.groupby([order["study_number"], order["phase"]]).cumsum() - stops
    _flag(log, order, earlier > 0, "cycle", "stopped_after", "cycle after a stop")


def _course(frames: Mapping[str, pd.DataFrame], log: WarningLog) -> None:
    off = frames["off_study"].drop_duplicates("study_number").set_index("study_number")
    cycles = frames["cycle"]
    off_date = as_datetime(cycles["study_number"].map(off["off_date"]))
    late = cycles["given_on"] > off_date
    _flag(log, cycles, late, "cycle", "given_on", "cycle given after the off-study date")
    restaging = frames["restaging"]
    surgery = set(frames["surgery"]["study_number"])
    systemic = restaging["outcome"].eq("systemic_progression")
    operated = restaging["study_number"].isin(surgery)
    _flag(
        log,
        restaging,
        systemic & operated,
        "restaging",
        "outcome",
        "surgery after systemic progression",
    )
    complete = frames["surgery"].copy()
    incomplete = complete["cc_score"].ge(1).fillna(False).astype(bool) | complete["procedure"].eq(
        "open_close"
    )
    stopped = set(complete.loc[incomplete, "study_number"])
    adjuvant = cycles["phase"].eq("adjuvant") & cycles["study_number"].isin(stopped)
    _flag(log, cycles, adjuvant, "cycle", "phase", "adjuvant therapy after incomplete surgery")


def _reviews(frames: Mapping[str, pd.DataFrame], log: WarningLog) -> None:
    radiology = frames["radiology"]
    cycles = frames["cycle"]
    treated = set(cycles.loc[cycles["phase"].eq("neoadjuvant"), "study_number"])
    keyed = radiology[radiology["study_number"].notna()]
    # The reviewed participants in study-number order (as a group-by gives them), and who has
    # each review, as sets of the whole column instead of a set per participant.
    reviewed = keyed["study_number"].drop_duplicates().sort_values()
    needs = ("baseline", "restaging")
    has = {n: set(keyed.loc[keyed["timepoint"].eq(n), "study_number"]) for n in needs}
    for number in reviewed:
        for needed in needs:
            if number not in has[needed] and number in treated:
                log.add(number, "radiology", "timepoint", f"no {needed} review")
    for number in sorted(str(n) for n in treated - set(reviewed)):
        log.add(number, "radiology", "timepoint", "no radiology review")
    no_pci = radiology["radiologic_pci"].isna()
    _flag(log, radiology, no_pci, "radiology", "radiologic_pci", "no radiologic PCI")
    pathology = frames["pathology"]
    evaluable = pathology["evaluable"].eq(True)
    graded = pathology["trg"].notna()
    _flag(log, pathology, ~evaluable & graded, "pathology", "trg", "graded but not evaluable")
