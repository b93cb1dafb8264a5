"""Check the SYNTHETIC reference cohort against every number the CAIRO6 phase 2 paper prints.

The builder calls `verify` on the rows it is about to write and refuses to write anything when a
target is missed, listing each one. The analysis groups are derived from the rows as the trial's
analysis does (the treatment started), not from the builder's own bookkeeping, so a wrong row
cannot hide behind a right label. Where the paper contradicts itself the reading chosen (see
`data/README.md` of the study) is what is checked; those values are marked READING below.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from cairo6.studies.cairo6.cohort_checks_outcomes import results, table2, table3, table4
from cairo6.studies.cairo6.cohort_stats import MONTH_DAYS
from cairo6.studies.cairo6.cohort_verify import (
    CTL,
    EXP,
    Checker,
    Tables,
    View,
    both,
    count,
    field_of,
    mean_sd,
    median_range,
    values_of,
    view,
)


def verify(tables: Tables) -> Checker:
    """Compare the rows with the published numbers; raise `BuildError` listing every miss."""
    check = Checker()
    v = view(tables)
    _figure(check, v)
    _table1(check, v)
    table2(check, v)
    table3(check, v)
    table4(check, v)
    results(check, v)
    check.raise_if_failed()
    return check


def _figure(check: Checker, v: View) -> None:
    t = v.tables
    screening = t["screening"]
    check.eq("potentially eligible", len(screening), 233)
    check.eq("not approached", sum(1 for r in screening if not r["approached"]), 82)
    reasons = Counter(r.get("refusal_reason") for r in screening if r.get("refused"))
    check.eq(
        "refusal reasons",
        dict(reasons),
        {
            "feared_adverse_effects": 36,
            "feared_postponing_surgery": 16,
            "feared_prolongation": 15,
            "logistical": 4,
        },
    )
    check.eq("randomised per arm", Counter(v.arm.values()), Counter({EXP: 40, CTL: 40}))
    enrolled = sorted(r["enrolled_on"] for r in t["randomisation"])
    check.eq(
        "first and last enrolment",
        (enrolled[0], enrolled[-1]),
        (dt.date(2017, 6, 15), dt.date(2019, 1, 9)),
    )
    starts = sorted(r["started_recruiting"] for r in t["centre"])
    check.eq("centres", len(starts), 9)
    check.eq("last centre started (year, month)", (starts[-1].year, starts[-1].month), (2018, 3))
    check.eq(
        "80 enrolled within 1 year of the last start",
        enrolled[-1] <= starts[-1] + dt.timedelta(days=365),
        True,
    )
    no_group = [sn for sn, g in v.group.items() if g is None]
    check.eq("randomised but in no analysis group", len(no_group), 1)
    off = {r["study_number"]: r for r in t["off_study"]}
    check.eq(
        "immediately palliative",
        [off[sn]["reason"] for sn in no_group if sn in off],
        ["palliative_care"],
    )
    crossed = [sn for sn in v.members(CTL) if v.arm[sn] == EXP]
    check.eq("experimental arm, upfront surgery", len(crossed), 2)
    check.eq("modified ITT", (len(v.members(EXP)), len(v.members(CTL))), (37, 42))
    neo = [r for r in t["cycle"] if r["phase"] == "neoadjuvant"]
    first = {r["study_number"]: r for r in neo if r["cycle_number"] == 1}
    started = Counter(
        "CAPOX" if r["regimen"] == "CAPOX-B" and not r["bevacizumab_given"] else r["regimen"]
        for r in first.values()
    )
    check.eq(
        "neoadjuvant start",
        dict(started),
        {"CAPOX-B": 25, "FOLFIRI-B": 8, "FOLFOX-B": 3, "CAPOX": 1},
    )
    switches = Counter((r["switched_from"], r["regimen"]) for r in neo if r["switched_from"])
    check.eq(
        "neoadjuvant switches",
        dict(switches),
        {("CAPOX-B", "FOLFIRI-B"): 1, ("CAPOX-B", "FOLFOX-B"): 1},
    )
    stops = Counter(
        (r["regimen"], r["cycle_number"], r["stop_reason"]) for r in neo if r["stopped_after"]
    )
    check.eq(
        "neoadjuvant stops",
        dict(stops),
        {
            ("CAPOX-B", 1, "Severe emetophobia"): 1,
            ("CAPOX-B", 1, "Gastrointestinal toxic effects"): 1,
            ("CAPOX-B", 2, "Gastrointestinal toxic effects"): 1,
            ("CAPOX-B", 2, "Cerebrovascular accident"): 1,
            ("CAPOX-B", 2, "Patient's request"): 1,
            ("CAPOX-B", 3, "Obstructive ileus"): 1,
            ("CAPOX-B", 3, "Progression on restaging CT"): 1,
            ("CAPOX-B", 3, "Gastrointestinal toxic effects"): 1,
            ("FOLFOX-B", 5, "At patient's request"): 1,
        },
    )
    check.eq("completed all neoadjuvant cycles", 37 - sum(stops.values()), 28)
    outcomes = Counter(r["outcome"] for r in t["restaging"])
    check.eq(
        "restaging", dict(outcomes), {"peritoneal_progression_only": 1, "stable_or_response": 36}
    )
    check.eq(
        "restaging only after neoadjuvant",
        {r["study_number"] for r in t["restaging"]},
        set(v.members(EXP)),
    )
    surgery = {r["study_number"]: r for r in t["surgery"]}
    both(check, v, "underwent surgery", lambda sn: sn in surgery, (37, 42))
    reasons_oc = Counter(
        (v.group[sn], r["open_close_reason"])
        for sn, r in surgery.items()
        if r["procedure"] == "open_close"
    )
    check.eq(
        "open-close reasons",
        dict(reasons_oc),
        {
            (EXP, "unresectable_pm"): 4,
            (CTL, "unresectable_pm"): 5,
            (CTL, "unexpected_metastases"): 1,
        },
    )
    adjuvant = [r for r in t["cycle"] if r["phase"] == "adjuvant"]
    adj_first = Counter(r["regimen"] for r in adjuvant if r["cycle_number"] == 1)
    check.eq("adjuvant start", dict(adj_first), {"CAPOX": 16, "FOLFOX": 4, "CAP": 2})
    check.eq(
        "adjuvant switch to capecitabine",
        sum(1 for r in adjuvant if r["switched_from"] == "CAPOX"),
        6,
    )
    adj_stops = Counter(
        (r["regimen"], r["cycle_number"], r["stop_reason"]) for r in adjuvant if r["stopped_after"]
    )
    check.eq(
        "adjuvant stops",
        dict(adj_stops),
        {
            ("FOLFOX", 1, "Hematologic, gastrointestinal, and dermatologic toxic effects"): 1,
            ("CAP", 1, "Hematologic toxic effects"): 1,
            ("CAPOX", 2, "Neurologic toxic effects"): 1,
            ("CAPOX", 2, "Gastrointestinal toxic effects"): 1,
            ("CAPOX", 2, "Patient's request"): 1,
            ("FOLFOX", 3, "Hematologic toxic effects"): 1,
            ("CAPOX", 3, "Neurologic toxic effects"): 2,
            ("CAPOX", 3, "Patient's request"): 2,
        },
    )
    check.eq("completed all adjuvant cycles", 22 - sum(adj_stops.values()), 12)
    stopped = Counter(
        off[sn]["detail"]
        for sn in v.members(EXP)
        if sn in off and surgery[sn]["procedure"] != "open_close"
    )
    check.eq(
        "stopped after surgery",
        dict(stopped),
        {
            "Severe toxic effects of neoadjuvant therapy": 4,
            "Major postoperative morbidity": 3,
            "Poor performance status": 2,
            "Unexpected signet ring cell carcinoma": 1,
            "Patient's request": 1,
        },
    )
    with_adjuvant = {r["study_number"] for r in adjuvant}
    check.eq("complete, no adjuvant = stopped", 33 - len(with_adjuvant), sum(stopped.values()))


_TABLE1: dict[str, dict[object, tuple[int, int]]] = {
    "sex": {"male": (18, 25), "female": (19, 17)},
    "who_performance_status": {0: (27, 35), 1: (9, 7), 2: (1, 0)},
    "primary_location": {
        "proximal_colon": (16, 15), "distal_colon": (19, 26), "rectum": (1, 1), "multiple": (1, 0)
    },
    "histology": {"nonmucinous": (34, 39), "mucinous": (3, 3)},
    "primary_status": {"resected": (27, 25), "in_situ": (10, 17)},
    "n_category": {"N0": (13, 16), "N1": (16, 12), "N2": (8, 14)},
    "previous_chemotherapy": {
        "none": (27, 32), "adjuvant_fp_oxaliplatin": (9, 9), "adjuvant_fp_mono": (1, 1),
        "metastatic": (0, 0),
    },
    "previous_extraperitoneal_resection": {True: (3, 0), False: (34, 42)},
    "onset": {"synchronous": (20, 24), "metachronous": (17, 18)},
    "pci_modality": {"laparoscopy": (22, 36), "laparotomy": (14, 6), "radiology": (1, 0)},
    "pci_centre": {"trial": (18, 25), "referring": (18, 17), "none": (1, 0)},
    "planned_hipec": {"mitomycin_c": (30, 34), "oxaliplatin": (7, 8)},
}  # fmt: skip
# Months: (from, to, onset) -> median (range) for experimental, control, total.
_MONTHS: dict[tuple[str, str, str | None], list[tuple[int, int, int]]] = {
    ("primary_diagnosis_date", "pm_diagnosis_date", "synchronous"): [(1, 0, 2)] * 3,
    ("primary_diagnosis_date", "pm_diagnosis_date", "metachronous"): [
        (14, 4, 44), (21, 7, 48), (19, 4, 48)
    ],
    ("pm_diagnosis_date", "enrolled_on", None): [(1, 0, 4)] * 3,
}  # fmt: skip


def _equals(get: Callable[[str], Any], level: object) -> Callable[[str], bool]:
    return lambda sn: bool(get(sn) == level)


def _months(v: View, frm: str, to: str, onset: str | None) -> Callable[[str], float | None]:
    enrolled = {r["study_number"]: r for r in v.tables["randomisation"]}

    def get(sn: str) -> float | None:
        row = v.one("baseline", sn)
        if row is None or (onset is not None and row["onset"] != onset):
            return None
        end = enrolled[sn][to] if to == "enrolled_on" else row[to]
        return float((end - row[frm]).days / MONTH_DAYS)

    return get


def _table1(check: Checker, v: View) -> None:
    for column, levels in _TABLE1.items():
        get = field_of(v, "baseline", column)
        for level, want in levels.items():
            both(check, v, f"Table 1 {column} = {level}", _equals(get, level), want)
    both(check, v, "Table 1 T4", _equals(field_of(v, "baseline", "t_category"), "T4"), (21, 19))
    check.eq(
        "men, modified ITT",
        sum(count(v, g, _equals(field_of(v, "baseline", "sex"), "male")) for g in (EXP, CTL)),
        43,
    )
    age = field_of(v, "baseline", "age_years")
    for group, want in ((EXP, (59, 11)), (CTL, (64, 10)), (None, (62, 10))):
        xs = values_of(v, group, age)
        check.eq(f"Table 1 age mean (SD) {group or 'total'}", mean_sd(xs), want)
    for (frm, to, onset), wants in _MONTHS.items():
        for group, want_months in zip((EXP, CTL, None), wants, strict=True):
            xs = values_of(v, group, _months(v, frm, to, onset))
            name = f"Table 1 months {frm} to {to} ({onset or 'all'}) {group or 'total'}"
            check.eq(name, median_range(xs), want_months)
    pci = field_of(v, "baseline", "baseline_pci")
    for group, want_pci in ((EXP, (3, 0, 15)), (CTL, (5, 0, 18)), (None, (5, 0, 18))):
        got_pci = median_range(values_of(v, group, pci))
        check.eq(f"Table 1 baseline PCI {group or 'total'}", got_pci, want_pci)
    both(check, v, "Table 1 baseline PCI 0", _equals(pci, 0), (2, 3))
    _agreement(check, v)


def _agreement(check: Checker, v: View) -> None:
    """Eligibility fields agree with the baseline form (and so with the minimisation levels)."""
    by_screening = {r["screening_number"]: r for r in v.tables["eligibility"]}
    problems = []
    for r in v.tables["randomisation"]:
        sn = r["study_number"]
        e, b = by_screening[r["screening_number"]], v.one("baseline", sn)
        assert b is not None
        chemo = b["previous_chemotherapy"] != "none"
        same = (
            e["pci_at_staging"] == b["baseline_pci"]
            and e["onset"] == b["onset"]
            and e["planned_hipec"] == b["planned_hipec"]
            and e["age_years"] == b["age_years"]
            and e["who_performance_status"] == b["who_performance_status"]
            and e["previous_systemic_therapy"] == chemo
            and (not chemo or e["months_since_systemic_therapy"] >= 6)
        )
        if not same:
            problems.append(sn)
    check.eq("eligibility agrees with baseline", problems, [])
    deviations = [r["study_number"] for r in v.tables["randomisation"] if r["deviation"]]
    check.eq("randomised with a recorded deviation", len(deviations), 1)
    unproven = [r["study_number"] for r in v.tables["deviation"] if r["category"] == "eligibility"]
    check.eq(
        "CPM unproven at central review: one other patient", len(set(unproven) - set(deviations)), 1
    )
