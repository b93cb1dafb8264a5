"""Checks of the SYNTHETIC reference cohort's outcomes: Tables 2-4 and the Results text.

Where the paper contradicts itself the reading documented in the study's data/README.md is what
is checked; those targets are marked READING.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from cairo6.studies.cairo6.cohort_stats import (
    chi2_p,
    fisher_p,
    mann_whitney_p,
    median,
    quantile2,
    sd,
    t_test_p,
)
from cairo6.studies.cairo6.cohort_verify import (
    CTL,
    EXP,
    Checker,
    Row,
    View,
    both,
    count,
    field_of,
    median_range,
    p_text,
    values_of,
    whole,
)


def _surgery_flag(v: View, name: str) -> Callable[[str], bool]:
    get = field_of(v, "surgery", name)
    return lambda sn: bool(get(sn))


def _yes_no_p(v: View, test: Callable[[str], bool]) -> float:
    e, c = count(v, EXP, test), count(v, CTL, test)
    return chi2_p([[e, 37 - e], [c, 42 - c]])


def table2(check: Checker, v: View) -> None:
    complete = lambda sn: field_of(v, "surgery", "procedure")(sn) == "crs_hipec"  # noqa: E731
    both(check, v, "Table 2 macroscopic complete", complete, (33, 36))
    check.eq("Table 2 complete P (Fisher)", p_text(fisher_p([[33, 4], [36, 6]])), ".74")
    rows = [
        ("primary tumour resection", _surgery_flag(v, "primary_tumour_resection"), (8, 14), ".25"),
        ("anastomosis", _surgery_flag(v, "anastomosis"), (17, 25), ".23"),
        ("ostomy", _surgery_flag(v, "ostomy"), (7, 18), ".02"),
        ("readmission", lambda sn: bool(v.rows("readmission", sn)), (8, 16), ".11"),
        ("reoperation", lambda sn: bool(v.rows("reoperation", sn)), (7, 8), ".99"),
    ]
    order = ["I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"]

    def worst(sn: str) -> int:
        return max((order.index(r["grade"]) for r in v.rows("complication", sn)), default=-1)

    rows += [
        ("Clavien-Dindo >= 2", lambda sn: worst(sn) >= 1, (19, 30), ".07"),
        ("Clavien-Dindo >= 3", lambda sn: worst(sn) >= 2, (8, 14), ".25"),
        ("Clavien-Dindo 4", lambda sn: worst(sn) in (4, 5), (3, 2), ".54"),
    ]
    for name, test, want, p in rows:
        both(check, v, f"Table 2 {name}", test, want)
        check.eq(f"Table 2 {name} P", p_text(_yes_no_p(v, test)), p)
    hipec = field_of(v, "surgery", "hipec_drug")
    both(check, v, "Table 2 HIPEC mitomycin C", lambda sn: hipec(sn) == "mitomycin_c", (28, 29))
    both(check, v, "Table 2 HIPEC oxaliplatin", lambda sn: hipec(sn) == "oxaliplatin", (5, 7))
    check.eq("Table 2 HIPEC P", p_text(chi2_p([[28, 5], [29, 7]])), ".64")
    pci = [
        values_of(v, g, lambda sn: sum(field_of(v, "surgery", "pci_regions")(sn).values()))
        for g in (EXP, CTL)
    ]
    check.eq(
        "Table 2 PCI",
        [median_range(x) for x in (*pci, pci[0] + pci[1])],
        [(5, 0, 34), (12, 0, 28), (9, 0, 34)],
    )
    check.eq("Table 2 PCI P", p_text(mann_whitney_p(*pci)), ".01")
    time = [values_of(v, g, field_of(v, "surgery", "operating_time_min")) for g in (EXP, CTL)]
    got = [(whole(sum(x) / len(x)), whole(sd(x))) for x in (*time, time[0] + time[1])]
    check.eq("Table 2 operating time", got, [(317, 122), (334, 155), (326, 140)])
    check.eq("Table 2 operating time P", p_text(t_test_p(*time)), ".58")

    def stay(sn: str) -> int | None:
        s, d = v.one("surgery", sn), v.one("discharge", sn)
        return (
            None if s is None or d is None else int((d["discharge_date"] - s["surgery_date"]).days)
        )

    los = [values_of(v, g, stay) for g in (EXP, CTL)]
    got_los = [
        (whole(median(x)), whole(quantile2(x, 0.25)), whole(quantile2(x, 0.75)))
        for x in (*los, los[0] + los[1])
    ]
    check.eq("Table 2 length of stay", got_los, [(8, 6, 16), (11, 8, 16), (10, 7, 16)])
    check.eq("Table 2 length of stay P", p_text(mann_whitney_p(*los)), ".04")
    _table2_details(check, v)


def _table2_details(check: Checker, v: View) -> None:
    detail: Counter[tuple[str | None, str, int]] = Counter()
    for sn in v.members():
        worst: dict[str, int] = {}
        for r in v.rows("complication", sn):
            grade = {"IIIa": 3, "IIIb": 3, "IVa": 4, "IVb": 4, "V": 5}.get(r["grade"])
            if grade:
                worst[r["term"]] = max(worst.get(r["term"], 0), grade)
        for term, grade in worst.items():
            detail[(v.group[sn], term, grade)] += 1
    want = {
        (EXP, "Anastomotic leakage", 3): 1, (EXP, "Anastomotic leakage", 4): 1,
        (EXP, "Intra-abdominal abscess", 4): 2, (EXP, "Fascia dehiscence", 3): 1,
        (EXP, "Ileus", 3): 2, (EXP, "Gastroparesis", 3): 1,
        (EXP, "Luxation double J catheter", 3): 1,
        (CTL, "Anastomotic leakage", 3): 3, (CTL, "Intra-abdominal abscess", 3): 2,
        (CTL, "Intra-abdominal abscess", 4): 1, (CTL, "Asystole", 4): 1,
        (CTL, "Fascia dehiscence", 3): 2,
        (CTL, "Ileus", 3): 1, (CTL, "Gastroparesis", 3): 2, (CTL, "Pneumothorax", 3): 1,
        (CTL, "Postoperative hemorrhage", 3): 1, (CTL, "Colonic fistula", 3): 1,
        (CTL, "Bowel perforation", 3): 1, (CTL, "Hydronephrosis", 3): 1,
    }  # fmt: skip
    check.eq(
        "Table 2 Clavien-Dindo >= 3 detail rows (READING: abscess grade 4 total 3)",
        dict(detail),
        want,
    )
    reops: Counter[tuple[str | None, str, str]] = Counter()
    for r in v.tables["reoperation"]:
        sn = r["study_number"]
        grades = [c["grade"] for c in v.rows("complication", sn) if c["term"] == r["indication"]]
        reops[(v.group[sn], r["indication"], grades[0] if grades else "not a complication")] += 1
    want_reops = {
        (EXP, "Anastomotic leakage", "IIIb"): 1, (EXP, "Anastomotic leakage", "IVa"): 1,
        (EXP, "Intra-abdominal abscess", "IVa"): 2, (EXP, "Fascia dehiscence", "IIIb"): 1,
        (EXP, "Ileus", "IIIb"): 1, (EXP, "Tumor obstruction", "not a complication"): 1,
        (CTL, "Anastomotic leakage", "IIIb"): 3, (CTL, "Intra-abdominal abscess", "IIIb"): 1,
        (CTL, "Intra-abdominal abscess", "IVa"): 1, (CTL, "Fascia dehiscence", "IIIb"): 2,
        (CTL, "Postoperative hemorrhage", "IIIb"): 1, (CTL, "Bowel perforation", "IIIb"): 1,
    }  # fmt: skip
    check.eq("Table 2 reoperation detail rows", dict(reops), want_reops)
    not_complication = [r["study_number"] for r in v.tables["reoperation"] if not r["complication"]]
    check.eq("tumour obstruction reoperation is not a complication", len(not_complication), 1)


def table3(check: Checker, v: View) -> None:
    tox = v.tables["toxicity"]
    adjuvant = {r["study_number"] for r in v.tables["cycle"] if r["phase"] == "adjuvant"}
    check.eq("Table 3 received adjuvant", len(adjuvant), 22)

    def patients(phase: str | None, test: Callable[[int], bool]) -> int:
        return len(
            {
                r["study_number"]
                for r in tox
                if (phase is None or r["phase"] == phase) and test(r["grade"])
            }
        )

    got = [
        patients(phase, test)
        for test in (lambda g: g >= 2, lambda g: g >= 3, lambda g: g == 4)
        for phase in (None, "neoadjuvant", "adjuvant")
    ]
    # READING: "Any grade 4" is printed 5, but the detail rows hold 4 grade-4 events; the
    # cohort keeps the detail rows and the per-phase rows, so any grade 4 = 4 patients.
    check.eq("Table 3 any/neo/adjuvant >= 2, >= 3, 4", got, [30, 22, 13, 13, 12, 2, 4, 3, 2])
    worst: dict[tuple[str, str], int] = {}
    for r in tox:
        if r["grade"] >= 3:
            key = (r["study_number"], r["term"])
            worst[key] = max(worst.get(key, 0), r["grade"])
    detail = Counter((term, grade) for (_, term), grade in worst.items())
    want = {
        ("Ileus", 3): 1, ("Ileus", 4): 2, ("Diarrhea", 3): 3, ("Nausea/vomiting", 3): 2,
        ("Mucositis", 3): 2, ("Infectious enterocolitis", 3): 1,
        ("Abdominal infection (abscess)", 3): 1,
        ("Visceral arterial ischemia (due to intestinal stent)", 3): 1, ("Hypertension", 3): 2,
        ("Catheter-related infection", 3): 1, ("Peripheral sensory neuropathy", 3): 1,
        ("Anemia", 3): 1, ("Platelet count decreased", 3): 1, ("Neutrophil count decreased", 3): 2,
        ("Neutrophil count decreased", 4): 1, ("γ-Glutamyl transferase level increased", 3): 2,
        ("Hypokalemia", 3): 1, ("Leukemia", 4): 1,
    }  # fmt: skip
    check.eq("Table 3 grade >= 3 detail rows", dict(detail), want)


def table4(check: Checker, v: View) -> None:
    want = {
        "peritoneal": (34, {1: 8, 2: 5, 3: 11, 4: 5, 5: 5}, {1: 8, 2: 16, 3: 5, 4: 5}),
        "primary_tumour": (8, {1: 1, 2: 1, 3: 4, 4: 2}, {1: 1, 2: 5, 3: 2}),
        "lymph_nodes": (8, {1: 1, 3: 4, 4: 3}, {1: 1, 2: 4, 3: 3}),
        "overall": (35, {1: 9, 2: 4, 3: 12, 4: 6, 5: 4}, {1: 9, 2: 16, 3: 6, 4: 4}),
    }
    for site, (n, trg, prgs) in want.items():
        rows = [r for r in v.tables["pathology"] if r["site"] == site and r["evaluable"]]
        got = (
            len(rows),
            dict(Counter(r["trg"] for r in rows)),
            dict(Counter(max(r["prgs"]) for r in rows)),
        )
        check.eq(f"Table 4 {site} (evaluable, TRG, worst PRGS)", got, (n, trg, prgs))


def results(check: Checker, v: View) -> None:
    rad: dict[str, dict[str, Row]] = {}
    for r in v.tables["radiology"]:
        rad.setdefault(r["study_number"], {})[r["timepoint"]] = r
    rpci: Counter[str] = Counter()
    recist: Counter[str] = Counter()
    for pair in rad.values():
        rpci[
            _rpci_category(pair["baseline"]["radiologic_pci"], pair["restaging"]["radiologic_pci"])
        ] += 1
        recist[_recist_category(pair["baseline"]["lesions"], pair["restaging"]["lesions"])] += 1
    # READING: 32 evaluable = 1 CR + 8 PR + 21 SD + 2 PD (the paper prints 23 SD, adding to 34).
    check.eq("radiologic PCI response", dict(rpci), {"NE": 5, "CR": 1, "PR": 8, "SD": 21, "PD": 2})
    check.eq("RECIST response", dict(recist), {"NE": 24, "CR": 1, "PR": 1, "SD": 11})
    peritoneal = [r for r in v.tables["pathology"] if r["site"] == "peritoneal" and r["evaluable"]]
    major = sum(1 for r in peritoneal if r["trg"] <= 2)
    check.eq("major pathologic response", (major, len(peritoneal)), (13, 34))
    check.eq("complete pathologic response", sum(1 for r in peritoneal if r["trg"] == 1), 8)
    _windows(check, v)


def _rpci_category(before: int | None, after: int | None) -> str:
    if not before or after is None:
        return "NE"
    if after == 0:
        return "CR"
    change = (after - before) / before
    return "PD" if change >= 0.2 else "PR" if change <= -0.3 else "SD"


def _recist_category(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    def measurable(lesion: dict[str, Any]) -> bool:
        size = lesion["diameter_mm"]
        return size is not None and size >= (15 if lesion["lymph_node"] else 10)

    targets = [lesion["id"] for lesion in before if measurable(lesion)]
    if not targets:
        return "NE"
    size_before = {lesion["id"]: lesion["diameter_mm"] for lesion in before}
    size_after = {lesion["id"]: lesion["diameter_mm"] for lesion in after}
    nodes = {lesion["id"] for lesion in before if lesion["lymph_node"]}
    if all(t in nodes and size_after[t] < 10 for t in targets):
        return "CR"
    base = sum(size_before[t] for t in targets)
    now = sum(size_after[t] for t in targets)
    if now - base >= max(0.2 * base, 5):
        return "PD"
    return "PR" if now <= 0.7 * base else "SD"


def _windows(check: Checker, v: View) -> None:
    enrolled = {r["study_number"]: r["enrolled_on"] for r in v.tables["randomisation"]}
    surgery = {r["study_number"]: r["surgery_date"] for r in v.tables["surgery"]}
    neo: dict[str, list[Row]] = {}
    adj: dict[str, list[Row]] = {}
    for r in v.tables["cycle"]:
        (neo if r["phase"] == "neoadjuvant" else adj).setdefault(r["study_number"], []).append(r)
    control = [(surgery[sn] - enrolled[sn]).days <= 42 for sn in v.members(CTL)]
    check.eq("control surgery within 6 weeks of randomisation", sum(control), 39)
    start = [
        (min(r["given_on"] for r in neo[sn]) - enrolled[sn]).days <= 28 for sn in v.members(EXP)
    ]
    check.eq("neoadjuvant start within 4 weeks", sum(start), 35)
    after = [
        (surgery[sn] - max(r["given_on"] for r in neo[sn])).days <= 42 for sn in v.members(EXP)
    ]
    check.eq("surgery within 6 weeks after the last neoadjuvant cycle", sum(after), 25)
    bev = [
        (surgery[sn] - max(r["given_on"] for r in neo[sn] if r["bevacizumab_given"])).days >= 42
        for sn in v.members(EXP)
        if any(r["bevacizumab_given"] for r in neo[sn])
    ]
    check.eq("surgery >= 6 weeks after the last bevacizumab (not published; all)", all(bev), True)
    adjuvant = [(min(r["given_on"] for r in adj[sn]) - surgery[sn]).days <= 84 for sn in adj]
    check.eq("adjuvant start within 12 weeks (of 22)", (sum(adjuvant), len(adjuvant)), (21, 22))
