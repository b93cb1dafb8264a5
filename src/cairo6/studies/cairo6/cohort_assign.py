"""Dealing out the SYNTHETIC reference cohort's counted characteristics and solved values.

Everything Table 1 and Table 2 only count is dealt out here with the seeded generator, in
exactly the printed numbers per modified-ITT group and respecting the links between them (see
`cohort_people`); the continuous values solved by `cohort_solve` are then given to patients by
rank (open-close procedures get the highest PCI and the shortest operating times and stays,
major morbidity the longest stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cairo6.scoring import Region
from cairo6.studies.cairo6 import cohort_solve as solve
from cairo6.studies.cairo6.cohort_people import (
    ABSCESS,
    AL,
    CONTROL,
    EXPERIMENTAL,
    FASCIA,
    GASTROPARESIS,
    ILEUS,
    PROGRESSION,
    PSN,
    Event,
    Patient,
    Toxicity,
    assign_sorted,
    by_key,
    deal,
    groups,
    pick,
)
from cairo6.studies.cairo6.cohort_solve import BuildError

_MORBIDITY_CONTROL: list[list[Event]] = [
    [Event(AL, "IIIb", True), Event(FASCIA, "IIIb", True)],
    [Event(AL, "IIIb", True), Event(GASTROPARESIS, "IIIa")],
    [Event(AL, "IIIb", True), Event("Colonic fistula", "IIIa")],
    [Event(ABSCESS, "IIIb", True)],
    [Event(ABSCESS, "IVa", True)],
    [Event(FASCIA, "IIIb", True)],
    [Event("Postoperative hemorrhage", "IIIb", True)],
    [Event("Bowel perforation", "IIIb", True)],
    [Event("Asystole", "IVa")],
    [Event(ABSCESS, "IIIa")],
    [Event(ILEUS, "IIIa")],
    [Event(GASTROPARESIS, "IIIa")],
    [Event("Pneumothorax", "IIIa")],
    [Event("Hydronephrosis", "IIIa")],
]
_GRADE2_TERMS = (
    "Pneumonia",
    "Urinary tract infection",
    "Wound infection",
    "Atrial fibrillation",
    "Delirium",
    "Anaemia requiring transfusion",
    "Prolonged postoperative ileus requiring parenteral nutrition",
    "Central venous catheter infection",
    "Pulmonary embolism",
)
_GRADE1_COMPLICATIONS = ("Wound seroma", "Postoperative nausea", "Electrolyte disturbance")
_READMISSION_REASONS = (
    "Dehydration",
    "Abdominal pain",
    "Wound infection",
    "Intra-abdominal abscess",
    "Small bowel obstruction",
    "Fever",
    "High-output stoma",
)
# Regions where peritoneal metastases are found more often weigh more when PCI is dealt out.
_REGION_WEIGHT = {
    "central": 3.0, "right_upper": 1.5, "epigastrium": 1.0, "left_upper": 1.0,
    "left_flank": 1.2, "left_lower": 1.5, "pelvis": 3.0, "right_lower": 2.0,
    "right_flank": 1.2, "upper_jejunum": 0.6, "lower_jejunum": 0.6, "upper_ileum": 0.7,
    "lower_ileum": 1.0,
}  # fmt: skip

_GRADE1_TERMS = ("Fatigue", "Nausea", PSN, "Palmar-plantar erythrodysesthesia syndrome", "Anorexia")


def assign_surgery_categories(rng: np.random.Generator, people: Sequence[Patient]) -> None:
    """Open-close, primary in situ and resected, anastomosis, ostomy, morbidity roles (Table 2)."""
    exp, ctl = groups(people)
    keys = by_key(people)
    # Control: 6 open-close (5 unresectable PM, 1 unexpected liver metastases), among K01-K40.
    open_close = pick(rng, [p for p in ctl if p.key.startswith("K")], 6)
    for p in open_close[:5]:
        p.open_close = "unresectable_pm"
        p.off_study = ("unresectable", "Unresectable peritoneal metastases (open-close)")
    open_close[5].open_close = "unexpected_metastases"
    open_close[5].off_study = ("other", "Unexpected liver metastases (open-close)")
    # Primary tumour in situ at baseline: 10 vs 17. Open-close leaves it in place; every other
    # patient with a primary in situ has it resected at CRS (8 vs 14 resections, Table 2).
    exp_oc_in_situ = [keys["E07"], keys["E30"]]
    # E22 (visceral ischaemia due to an intestinal stent) has a primary tumour in situ.
    exp_complete = [p for p in exp if p.complete and p.key != "E22"]
    exp_in_situ = [*exp_oc_in_situ, keys["E22"], *pick(rng, exp_complete, 7)]
    ctl_in_situ = pick(rng, open_close, 3) + pick(rng, [p for p in ctl if p.complete], 14)
    for p in exp_in_situ + ctl_in_situ:
        p.primary_status = "in_situ"
        p.primary_resection = p.complete
    for p in [*exp, *ctl]:
        if not p.primary_status:
            p.primary_status = "resected"
    # Morbidity roles of the control arm go to complete CRS-HIPEC patients.
    ctl_complete = [p for p in ctl if p.complete]
    for p, events in zip(pick(rng, ctl_complete, 14), _MORBIDITY_CONTROL, strict=True):
        p.complications = list(events)
    for group, n_anast, n_ostomy in ((exp, 17, 7), (ctl, 25, 18)):
        _bowel(rng, [p for p in group if p.complete], n_anast, n_ostomy)


def _bowel(rng: np.random.Generator, complete: list[Patient], n_anast: int, n_ostomy: int) -> None:
    """Anastomoses and ostomies: a leak needs an anastomosis; a resected primary needs one or
    the other (redrawn until both hold)."""
    leaks = [p for p in complete if any(e.term == AL for e in p.complications)]
    for _ in range(1000):
        anast = set(map(id, pick(rng, complete, n_anast, leaks)))
        ostomy = set(map(id, pick(rng, complete, n_ostomy)))
        if all(id(p) in anast | ostomy for p in complete if p.primary_resection):
            for p in complete:
                p.anastomosis, p.ostomy = id(p) in anast, id(p) in ostomy
            return
    raise BuildError("no anastomosis/ostomy assignment fits the resected primaries")


def assign_morbidity_counts(rng: np.random.Generator, people: Sequence[Patient]) -> None:
    """Clavien-Dindo II-only patients (19 - 8 vs 30 - 14), grade I events and readmissions."""
    exp, ctl = groups(people)
    for group, n_grade2, n_readmitted in ((exp, 11, 8), (ctl, 16, 16)):
        without = [p for p in group if p.complete and not p.complications]
        for p in pick(rng, without, n_grade2):
            p.complications.append(Event(str(rng.choice(_GRADE2_TERMS)), "II"))
        for p in group:
            if p.worst_grade in (None, "II") and p.key != PROGRESSION and rng.random() < 0.3:
                p.complications.append(Event(str(rng.choice(_GRADE1_COMPLICATIONS)), "I"))
        for p in pick(rng, [p for p in group if p.complete], n_readmitted):
            p.readmission = str(rng.choice(_READMISSION_REASONS))


@dataclass(frozen=True)
class _Table1:
    """The printed Table 1 counts of one modified-ITT group."""

    sex: dict[str, int]
    who: dict[str, int]
    location: dict[str, int]
    histology: dict[str, int]
    t: dict[str, int]
    n: dict[str, int]
    synchronous: int
    chemo: tuple[int, int]  # adjuvant fluoropyrimidine + oxaliplatin, fluoropyrimidine alone
    extraperitoneal: int
    laparotomy: int
    trial_centre: int
    oxaliplatin: tuple[int, int]  # planned oxaliplatin HIPEC: among open-close, among complete


def assign_baseline(rng: np.random.Generator, people: Sequence[Patient]) -> None:
    """Table 1 counts, exactly, for both modified-ITT groups (and a baseline for P1)."""
    exp, ctl = groups(people)
    keys = by_key(people)
    deviation = keys[str(rng.choice([p.key for p in exp if p.complete and p.key != "E22"]))]
    deviation.who, deviation.modality, deviation.pci_centre = 2, "radiology", "none"
    deviation.randomisation_deviation = (
        "WHO performance status 2 (severe obesity) and resectability determined by radiology "
        "only; randomised as a protocol deviation"
    )
    tables = {
        EXPERIMENTAL: _Table1(
            sex={"male": 18, "female": 19},
            who={"0": 27, "1": 9},
            location={"proximal_colon": 16, "distal_colon": 19, "rectum": 1, "multiple": 1},
            histology={"nonmucinous": 34, "mucinous": 3},
            t={"T0-3": 16, "T4": 21},
            n={"N0": 13, "N1": 16, "N2": 8},
            synchronous=20,
            chemo=(9, 1),
            extraperitoneal=3,
            laparotomy=14,
            trial_centre=18,
            oxaliplatin=(2, 5),
        ),
        CONTROL: _Table1(
            sex={"male": 25, "female": 17},
            who={"0": 35, "1": 7},
            location={"proximal_colon": 15, "distal_colon": 26, "rectum": 1},
            histology={"nonmucinous": 39, "mucinous": 3},
            t={"T0-3": 23, "T4": 19},
            n={"N0": 16, "N1": 12, "N2": 14},
            synchronous=24,
            chemo=(9, 1),
            extraperitoneal=0,
            laparotomy=6,
            trial_centre=25,
            oxaliplatin=(1, 7),
        ),
    }
    ages = dict(zip((EXPERIMENTAL, CONTROL), solve.solve_ages(rng), strict=True))
    sync_days = dict(
        zip((EXPERIMENTAL, CONTROL), solve.solve_synchronous_interval(rng), strict=True)
    )
    meta_days = dict(
        zip((EXPERIMENTAL, CONTROL), solve.solve_metachronous_interval(rng), strict=True)
    )
    enrol_days = dict(
        zip((EXPERIMENTAL, CONTROL), solve.solve_enrolment_interval(rng), strict=True)
    )
    pci = dict(zip((EXPERIMENTAL, CONTROL), solve.solve_baseline_pci(rng), strict=True))
    for name, group in ((EXPERIMENTAL, exp), (CONTROL, ctl)):
        t = tables[name]
        for p, text in zip(group, deal(rng, group, t.sex), strict=True):
            p.sex = text
        free = [p for p in group if p is not deviation]
        for p, text in zip(free, deal(rng, free, t.who), strict=True):
            p.who = int(text)
        for p, text in zip(group, deal(rng, group, t.location), strict=True):
            p.location = text
        for p, text in zip(group, deal(rng, group, t.histology), strict=True):
            p.histology = text
        for p, text in zip(group, deal(rng, group, t.t), strict=True):
            p.t_category = text if text == "T4" else str(rng.choice(["T2", "T3", "T3", "T3"]))
        for p, text in zip(group, deal(rng, group, t.n), strict=True):
            p.n_category = text
        for p, v in zip(group, rng.permutation(ages[name]), strict=True):
            p.age = int(v)
        for p, v in zip(group, rng.permutation(enrol_days[name]), strict=True):
            p.pm_to_enrolment_days = int(v)
        _onset(rng, group, t.synchronous, sync_days[name], meta_days[name])
        n_ox, n_mono = t.chemo
        meta = sorted(
            (p for p in group if p.onset == "metachronous"), key=lambda p: -p.primary_to_pm_days
        )
        for i, p in enumerate(meta[: n_ox + n_mono]):
            p.previous_chemo = "adjuvant_fp_oxaliplatin" if i != 4 else "adjuvant_fp_mono"
            total = p.primary_to_pm_days + p.pm_to_enrolment_days
            # Adjuvant chemotherapy ends 4-7 months after diagnosis, and at least 6 months
            # (plus a margin) before enrolment.
            p.chemo_end_days = min(int(rng.integers(125, 215)), total - 200)
            if p.chemo_end_days < 90:
                raise BuildError(f"{p.key}: no room for adjuvant chemotherapy before enrolment")
        for p in pick(rng, meta, t.extraperitoneal):
            p.previous_extraperitoneal = True
        _modality(rng, [p for p in group if p is not deviation], t)
        _planned_hipec(rng, group, t.oxaliplatin)
        # Baseline PCI follows the PCI found at surgery loosely (rank with noise).
        scores = [p.surgery_pci + float(rng.normal(0, 6)) for p in group]
        for p, v in zip(group, assign_sorted(rng, group, pci[name], scores), strict=True):
            p.baseline_pci = v
    _palliative_baseline(keys["P1"])
    for p in people:
        _body(rng, p, obese=p is deviation)


def _onset(
    rng: np.random.Generator,
    group: list[Patient],
    n_sync: int,
    sync: solve.Ints,
    meta: solve.Ints,
) -> None:
    in_situ = [p for p in group if p.primary_status == "in_situ"]
    resected = [p for p in group if p.primary_status == "resected"]
    sync_resected = pick(rng, resected, n_sync - len(in_situ))
    for p in group:
        p.onset = "synchronous" if p in in_situ or p in sync_resected else "metachronous"
    synchronous = [p for p in group if p.onset == "synchronous"]
    for p, v in zip(synchronous, rng.permutation(sync), strict=True):
        p.primary_to_pm_days = int(v)
    metachronous = [p for p in group if p.onset == "metachronous"]
    for p, v in zip(metachronous, rng.permutation(meta), strict=True):
        p.primary_to_pm_days = int(v)


def _modality(rng: np.random.Generator, group: list[Patient], table: _Table1) -> None:
    """Laparotomy mostly where CPM were found at resection of a synchronous primary."""
    n_laparotomy = table.laparotomy
    candidates = [p for p in group if p.onset == "synchronous" and p.primary_status == "resected"]
    first = pick(rng, candidates, min(n_laparotomy, len(candidates)))
    others = [p for p in group if p not in first]
    laparotomy = first + pick(rng, others, n_laparotomy - len(first))
    trial = pick(rng, group, table.trial_centre)
    for p in group:
        p.modality = "laparotomy" if p in laparotomy else "laparoscopy"
        p.pci_centre = "trial" if p in trial else "referring"


def _planned_hipec(rng: np.random.Generator, group: list[Patient], ox: tuple[int, int]) -> None:
    """Planned oxaliplatin: `ox` = (among open-close, among complete); given as planned."""
    in_oc, in_complete = ox
    oxaliplatin = pick(rng, [p for p in group if not p.complete], in_oc) + pick(
        rng, [p for p in group if p.complete], in_complete
    )
    for p in group:
        p.planned_hipec = "oxaliplatin" if p in oxaliplatin else "mitomycin_c"
        p.hipec = p.planned_hipec if p.complete else "none"


def _palliative_baseline(p: Patient) -> None:
    """P1 is not in Table 1; a plausible fixed baseline (eligible, like the others)."""
    p.sex, p.age, p.who = "male", 67, 1
    p.location, p.histology, p.primary_status = "distal_colon", "nonmucinous", "resected"
    p.t_category, p.n_category, p.onset = "T4", "N2", "metachronous"
    p.previous_chemo, p.chemo_end_days = "adjuvant_fp_oxaliplatin", 170
    p.primary_to_pm_days, p.pm_to_enrolment_days = 402, 24
    p.baseline_pci, p.modality, p.pci_centre, p.planned_hipec = (
        9,
        "laparoscopy",
        "trial",
        "mitomycin_c",
    )


def _body(rng: np.random.Generator, p: Patient, *, obese: bool) -> None:
    """Height and weight for the doses (body-surface area about 1.9 m2 on average)."""
    male = p.sex == "male"
    height = rng.normal(180.0 if male else 167.0, 6.5)
    bmi = 43.0 if obese else float(np.clip(rng.normal(25.5, 3.5), 18.5, 36.0))
    p.height_cm = round(float(height), 0)
    p.weight_kg = round(bmi * (p.height_cm / 100) ** 2, 0)


def assign_continuous(rng: np.random.Generator, people: Sequence[Patient]) -> None:
    """PCI at surgery (with the 13 region scores), operating time and length of stay."""
    exp, ctl = groups(people)
    pci_e, pci_c = solve.solve_surgery_pci(rng)
    time_e, time_c = solve.solve_operating_time(rng)
    los_e, los_c = solve.solve_length_of_stay(rng)
    keys = by_key(people)
    # The highest PCIs are the open-close procedures (E07, who progressed, has the 34); one
    # experimental patient with a resected primary has no peritoneal disease left (PCI 0).
    zero = next(p for p in exp if p.primary_resection and p.key != "E22")
    for group, values, oc_first in ((exp, pci_e, [keys["E07"]]), (ctl, pci_c, [])):
        unresectable = [p for p in group if p.open_close == "unresectable_pm"]
        score = []
        for p in group:
            if p in oc_first:
                score.append(1000.0)
            elif p in unresectable:
                score.append(500.0 + float(rng.random()))
            elif p is zero:
                score.append(-1000.0)
            else:
                score.append(float(rng.random()) * 100)
        for p, v in zip(group, assign_sorted(rng, group, values, score), strict=True):
            p.surgery_pci = v
            p.pci_regions = pci_regions(rng, v)
    for group, times, stays in ((exp, time_e, los_e), (ctl, time_c, los_c)):
        score = [
            -100.0 if not p.complete else p.surgery_pci + float(rng.normal(0, 5)) for p in group
        ]
        for p, v in zip(group, assign_sorted(rng, group, times, score), strict=True):
            p.operating_time = v
        severity = [_severity(p) + float(rng.normal(0, 0.9)) for p in group]
        for p, v in zip(group, assign_sorted(rng, group, stays, severity), strict=True):
            p.length_of_stay = v


def _severity(p: Patient) -> float:
    """How long a stay the postoperative course suggests (for ranking, not for counting)."""
    rank = {None: 0.0, "I": 0.5, "II": 1.5, "IIIa": 3.0, "IIIb": 4.0, "IVa": 5.0}
    score = rank[p.worst_grade]
    if p.other_reoperation:
        score = 4.0
    elif not p.complete:
        score = -10.0
    return score


def pci_regions(rng: np.random.Generator, total: int) -> dict[str, int]:
    """Lesion-size scores 0-3 for the 13 regions, summing to `total`."""
    ids = [r.id for r in Region]
    weights = np.array([_REGION_WEIGHT[i] for i in ids])
    involved = min(
        13, max((total + 2) // 3, int(rng.integers(total // 2, total + 1)) if total else 0)
    )
    chosen = rng.choice(13, size=involved, replace=False, p=weights / weights.sum())
    scores = dict.fromkeys(ids, 0)
    for i in chosen:
        scores[ids[int(i)]] = 1
    extra = total - involved
    while extra > 0:
        open_ = [ids[int(i)] for i in chosen if scores[ids[int(i)]] < 3]
        scores[str(rng.choice(open_))] += 1
        extra -= 1
    return scores


def add_grade1_toxicity(rng: np.random.Generator, people: Sequence[Patient]) -> None:
    """Grade 1 events for some patients whose phase has nothing of grade 2 or higher."""
    for p in people:
        for phase, cycles in (("neoadjuvant", p.neo), ("adjuvant", p.adjuvant)):
            if not cycles or any(t.phase == phase for t in p.toxicities):
                continue
            # E01 stopped for severe emetophobia: nausea, grade 1.
            if p.key == "E01" or rng.random() < 0.6:
                term = "Nausea" if p.key == "E01" else str(rng.choice(_GRADE1_TERMS))
                p.toxicities.append(Toxicity(term, 1, phase, int(rng.integers(1, len(cycles) + 1))))
        for cycle in [*p.neo, *p.adjuvant]:
            # A dose is reduced after an event of grade 3 or higher in an earlier cycle.
            cycle.reduced = any(
                t.grade >= 3 and t.phase == cycle.phase and t.cycle < cycle.number
                for t in p.toxicities
            )
