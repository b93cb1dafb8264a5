"""Who the SYNTHETIC reference patients are and what happened to them (everything but dates).

The 80 randomised patients are built constructively so that every count the CAIRO6 phase 2 paper
prints comes out exactly. The experimental patients who started neoadjuvant therapy have an
explicit story each (regimen, stops, surgery, adjuvant therapy, the toxicity and morbidity the
tables list), because those facts are few and tightly linked; the characteristics that are only
counted (sex, tumour location, T/N category, ...) are dealt out at random, with the seeded
generator, in exactly the printed numbers and respecting the links between them (a primary
tumour in situ means synchronous onset; previous adjuvant chemotherapy means metachronous
onset; only a primary in situ can be resected at CRS; an anastomotic leak needs an anastomosis).
Patient keys are internal: E01-E37 started neoadjuvant therapy, U1-U2 were allocated to the
experimental arm but preferred upfront surgery, P1 went straight to palliative care, K01-K40
are the control arm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from cairo6.studies.cairo6.cohort_solve import BuildError

EXPERIMENTAL = "experimental"
CONTROL = "control"


@dataclass
class Cycle:
    """One planned cycle of systemic therapy (dates come later)."""

    phase: str
    regimen: str
    number: int
    bevacizumab: bool
    switched_from: str | None = None
    switch_reason: str | None = None
    stop_reason: str | None = None
    reduced: bool = False


@dataclass(frozen=True)
class Event:
    """A postoperative complication; `reoperation` when a relaparotomy treated it."""

    term: str
    grade: str
    reoperation: bool = False


@dataclass(frozen=True)
class Toxicity:
    """A systemic-therapy adverse event: CTCAE term and grade, phase, cycle (1-based) of onset."""

    term: str
    grade: int
    phase: str
    cycle: int


@dataclass(frozen=True)
class Site:
    """Central pathology of one site."""

    site: str
    evaluable: bool
    reason: str | None = None
    trg: int | None = None
    prgs: tuple[int, ...] = ()


@dataclass(eq=False)
class Patient:
    """One randomised patient; None means "not applicable" or "not yet decided"."""

    key: str
    arm: str
    group: str | None
    # Baseline (Table 1) and the eligibility checklist.
    sex: str = ""
    age: int = 0
    who: int = 0
    location: str = ""
    histology: str = ""
    primary_status: str = ""
    t_category: str = ""
    n_category: str = ""
    previous_chemo: str = "none"
    previous_extraperitoneal: bool = False
    onset: str = ""
    baseline_pci: int = 0
    modality: str = ""
    pci_centre: str = ""
    planned_hipec: str = ""
    primary_to_pm_days: int = 0
    pm_to_enrolment_days: int = 0
    chemo_end_days: int | None = None
    height_cm: float = 0.0
    weight_kg: float = 0.0
    # Systemic therapy.
    neo: list[Cycle] = field(default_factory=list)
    adjuvant: list[Cycle] = field(default_factory=list)
    restaging: str | None = None
    toxicities: list[Toxicity] = field(default_factory=list)
    # Surgery and the postoperative course.
    surgery: bool = False
    open_close: str | None = None
    surgery_pci: int = 0
    pci_regions: dict[str, int] = field(default_factory=dict)
    primary_resection: bool = False
    anastomosis: bool = False
    ostomy: bool = False
    operating_time: int = 0
    hipec: str = "none"
    r_classification: bool = False
    length_of_stay: int = 0
    complications: list[Event] = field(default_factory=list)
    other_reoperation: str | None = None
    readmission: str | None = None
    # Central review (experimental patients who started neoadjuvant therapy).
    rpci: tuple[int, int] | None = None
    lesions: tuple[list[dict[str, object]], list[dict[str, object]]] | None = None
    pathology: list[Site] = field(default_factory=list)
    # End of trial treatment and deviations.
    off_study: tuple[str, str] | None = None
    randomisation_deviation: str | None = None
    deviations: list[tuple[str, str]] = field(default_factory=list)
    # Timeline choices (days), filled by cohort_dates.
    late_neo_start: bool = False
    late_surgery: bool = False
    late_adjuvant: bool = False

    @property
    def neo_started(self) -> bool:
        """Started neoadjuvant therapy (the experimental modified-ITT group)."""
        return bool(self.neo)

    @property
    def complete(self) -> bool:
        """Macroscopically complete CRS-HIPEC."""
        return self.surgery and self.open_close is None

    @property
    def worst_grade(self) -> str | None:
        """Highest Clavien-Dindo grade of the complications."""
        order = ("I", "II", "IIIa", "IIIb", "IVa", "IVb", "V")
        grades = [e.grade for e in self.complications]
        return max(grades, key=order.index) if grades else None


# --- systemic therapy: the stories of the 37 who started neoadjuvant therapy ---------------

GI = "Gastrointestinal toxic effects"
NEURO = "Neurologic toxic effects"
HEMAT = "Hematologic toxic effects"
REQUEST = "Patient's request"
OXALIPLATIN_SWITCH = "unacceptable oxaliplatin-related toxicity"

# Neoadjuvant course: (regimen, cycles) parts, the stop reason after the last cycle (None when
# all cycles were completed), the restaging outcome and what followed surgery.
_NEO: dict[str, tuple[list[tuple[str, int]], str | None]] = {
    "E01": ([("CAPOX-B", 1)], "Severe emetophobia"),
    "E02": ([("CAPOX-B", 1)], GI),
    "E03": ([("CAPOX-B", 2)], GI),
    "E04": ([("CAPOX-B", 2)], "Cerebrovascular accident"),
    "E05": ([("CAPOX-B", 2)], REQUEST),
    "E06": ([("CAPOX-B", 3)], "Obstructive ileus"),
    "E07": ([("CAPOX-B", 3)], "Progression on restaging CT"),
    "E08": ([("CAPOX-B", 3)], GI),
    **{f"E{i:02d}": ([("CAPOX-B", 4)], None) for i in range(9, 25)},
    "E25": ([("CAPOX-B", 2), ("FOLFIRI-B", 3)], None),
    "E26": ([("CAPOX-B", 2), ("FOLFOX-B", 3)], None),
    "E27": ([("FOLFOX-B", 5)], "At patient's request"),
    "E28": ([("FOLFOX-B", 6)], None),
    "E29": ([("FOLFOX-B", 6)], None),
    **{f"E{i:02d}": ([("FOLFIRI-B", 6)], None) for i in range(30, 38)},
}
_SWITCH_REASON = {
    "E25": "unacceptable oxaliplatin-related toxicity (peripheral sensory neuropathy)",
    "E26": "capecitabine-related diarrhoea; continued with infusional fluorouracil",
}
NO_BEVACIZUMAB = "E24"
"""Started CAPOX without bevacizumab (wound dehiscence after enrolment): recorded as CAPOX-B
with bevacizumab_given false on every cycle, because CAPOX alone is not a neoadjuvant regimen of
the protocol."""

OPEN_CLOSE_EXPERIMENTAL = ("E01", "E07", "E30", "E31")
PROGRESSION = "E07"
# Stopped trial treatment after surgery (Figure): reason code and the Figure's words.
_TOXIC = ("toxicity", "Severe toxic effects of neoadjuvant therapy")
_OFF_AFTER_SURGERY = {
    **dict.fromkeys(("E02", "E03", "E04", "E08"), _TOXIC),
    **dict.fromkeys(("E32", "E33", "E34"), ("morbidity", "Major postoperative morbidity")),
    **dict.fromkeys(("E06", "E35"), ("performance_status", "Poor performance status")),
    "E36": ("other", "Unexpected signet ring cell carcinoma"),
    "E05": ("patient_request", REQUEST),
}  # fmt: skip
# Adjuvant course: (regimen, cycles) parts and the stop reason (None = completed).
_ADJUVANT: dict[str, tuple[list[tuple[str, int]], str | None]] = {
    "E09": ([("CAPOX", 2), ("CAP", 2)], None),
    "E10": ([("CAPOX", 3), ("CAP", 1)], None),
    "E11": ([("CAPOX", 1), ("CAP", 3)], None),
    "E12": ([("CAPOX", 2), ("CAP", 2)], None),
    "E13": ([("CAPOX", 3), ("CAP", 1)], None),
    "E14": ([("CAPOX", 2), ("CAP", 2)], None),
    "E15": ([("CAPOX", 2)], NEURO),
    "E16": ([("CAPOX", 2)], GI),
    "E17": ([("CAPOX", 2)], REQUEST),
    "E18": ([("CAPOX", 3)], NEURO),
    "E19": ([("CAPOX", 3)], NEURO),
    "E20": ([("CAPOX", 3)], REQUEST),
    "E21": ([("CAPOX", 3)], REQUEST),
    "E22": ([("CAPOX", 4)], None),
    "E23": ([("CAPOX", 4)], None),
    "E24": ([("CAPOX", 4)], None),
    "E25": ([("CAP", 4)], None),
    "E26": ([("FOLFOX", 6)], None),
    "E27": ([("FOLFOX", 1)], "Hematologic, gastrointestinal, and dermatologic toxic effects"),
    "E28": ([("FOLFOX", 6)], None),
    "E29": ([("FOLFOX", 3)], HEMAT),
    "E37": ([("CAP", 1)], HEMAT),
}
LAST_PATIENT = "E28"
"""Enrolled last (2019-01-09); completes trial treatment on 2019-10-01, as the paper reports."""

PSN = "Peripheral sensory neuropathy"
GGT = "γ-Glutamyl transferase level increased"
NEUTROPHILS = "Neutrophil count decreased"
# Toxicity of grade 2 or higher: (term, grade, cycle of onset). The grade >= 3 events are the
# detail rows of Table 3; the grade 2 events make the "grade >= 2" rows come out.
_NEO_TOXICITY: dict[str, list[tuple[str, int, int]]] = {
    "E02": [("Diarrhea", 3, 1), ("Hypokalemia", 3, 1)],
    "E03": [("Nausea/vomiting", 3, 2), ("Mucositis", 3, 2)],
    "E04": [("Stroke", 2, 2)],
    "E05": [("Fatigue", 2, 2)],
    "E06": [("Ileus", 4, 3)],
    "E08": [("Diarrhea", 3, 3), ("Infectious enterocolitis", 3, 3)],
    "E09": [(PSN, 2, 4)],
    "E12": [(PSN, 2, 3)],
    "E15": [(PSN, 2, 4)],
    "E20": [("Hypertension", 3, 2), (GGT, 3, 3)],
    "E22": [("Hypertension", 3, 1), ("Visceral arterial ischemia (due to intestinal stent)", 3, 3)],
    "E25": [(PSN, 3, 2), (GGT, 3, 4), ("Diarrhea", 3, 5)],
    "E26": [("Diarrhea", 2, 2)],
    "E27": [("Fatigue", 2, 5)],
    "E29": [(NEUTROPHILS, 4, 2), ("Mucositis", 3, 4)],
    "E30": [("Diarrhea", 2, 3)],
    "E31": [(NEUTROPHILS, 3, 3), ("Catheter-related infection", 3, 5)],
    "E32": [("Ileus", 3, 2), ("Abdominal infection (abscess)", 3, 4), ("Nausea/vomiting", 3, 5)],
    "E33": [("Ileus", 4, 6)],
    "E34": [(NEUTROPHILS, 2, 3)],
    "E35": [(NEUTROPHILS, 3, 2), ("Anemia", 3, 4), ("Platelet count decreased", 3, 5)],
    "E36": [("Fatigue", 2, 4)],
}
_ADJUVANT_TOXICITY: dict[str, list[tuple[str, int, int]]] = {
    "E09": [(PSN, 2, 2)],
    "E10": [(PSN, 2, 3)],
    "E11": [(PSN, 2, 1)],
    "E12": [(PSN, 2, 2)],
    "E13": [(PSN, 2, 3)],
    "E14": [(PSN, 2, 2)],
    "E15": [(PSN, 2, 2)],
    "E16": [("Diarrhea", 2, 2)],
    "E18": [(PSN, 2, 3)],
    "E19": [(PSN, 2, 3)],
    "E27": [("Leukemia", 4, 1), ("Diarrhea", 2, 1), ("Rash maculo-papular", 2, 1)],
    "E29": [(NEUTROPHILS, 4, 3)],
    "E37": [(NEUTROPHILS, 2, 1)],
}

# --- surgery and postoperative morbidity ---------------------------------------------------

AL, ABSCESS, FASCIA = "Anastomotic leakage", "Intra-abdominal abscess", "Fascia dehiscence"
ILEUS, GASTROPARESIS = "Ileus", "Gastroparesis"
TUMOUR_OBSTRUCTION = "Tumor obstruction"
# Clavien-Dindo >= III (Table 2 detail rows): grade 3 is IIIb when a reoperation under general
# anaesthesia treated it (the reoperation rows), else IIIa; grade 4 is IVa.
_MORBIDITY_EXPERIMENTAL: dict[str, list[Event]] = {
    "E10": [Event(AL, "IIIb", True)],
    "E32": [Event(AL, "IVa", True)],
    "E33": [Event(ABSCESS, "IVa", True)],
    "E34": [Event(ABSCESS, "IVa", True)],
    "E19": [Event(FASCIA, "IIIb", True), Event(GASTROPARESIS, "IIIa")],
    "E03": [Event(ILEUS, "IIIb", True)],
    "E26": [Event(ILEUS, "IIIa")],
    "E36": [Event("Luxation double J catheter", "IIIa")],
}


def deal(rng: np.random.Generator, people: Sequence[Patient], counts: dict[str, int]) -> list[str]:
    """Exactly `counts` of each value, in random order, one per person."""
    values = [value for value, n in counts.items() for _ in range(n)]
    if len(values) != len(people):
        raise BuildError(f"{counts} do not add up to {len(people)} patients")
    return [str(v) for v in rng.permutation(np.array(values, dtype=object))]


def pick(
    rng: np.random.Generator,
    pool: Sequence[Patient],
    k: int,
    must: Iterable[Patient] = (),
) -> list[Patient]:
    """`k` patients from `pool`, always including `must`."""
    chosen = list(must)
    rest = [p for p in pool if p not in chosen]
    if len(chosen) > k or len(rest) < k - len(chosen):
        raise BuildError(f"cannot pick {k} from {len(pool)} with {len(chosen)} required")
    order = rng.permutation(len(rest))
    return chosen + [rest[int(i)] for i in order[: k - len(chosen)]]


def assign_sorted(
    rng: np.random.Generator,
    people: Sequence[Patient],
    values: Iterable[int],
    score: Sequence[float],
) -> list[int]:
    """Sorted values dealt out by score (lowest score gets the lowest value); ties at random."""
    noise = rng.random(len(people)) * 1e-3
    order = np.argsort(np.asarray(score, dtype=float) + noise, kind="stable")
    out = [0] * len(people)
    for rank, value in zip(order, sorted(values), strict=True):
        out[int(rank)] = int(value)
    return out


# --- building -----------------------------------------------------------------------------


def _cycles(phase: str, parts: list[tuple[str, int]], stop: str | None, key: str) -> list[Cycle]:
    """The cycles of one phase, numbered through a switch, with bevacizumab as given."""
    bev_cycles = {"CAPOX-B": 3, "FOLFOX-B": 4, "FOLFIRI-B": 4}
    out: list[Cycle] = []
    for part, (regimen, n) in enumerate(parts):
        for i in range(1, n + 1):
            if phase != "neoadjuvant" or key == NO_BEVACIZUMAB:
                bev = False
            elif part == 0:
                bev = i <= bev_cycles[regimen]
            else:
                # After a switch bevacizumab continues, except on the last cycle, so that surgery
                # can be both 6 weeks after the last cycle and 6 weeks after the last bevacizumab.
                bev = i < n
            cycle = Cycle(phase, regimen, len(out) + 1, bev)
            if part > 0 and i == 1:
                cycle.switched_from = parts[part - 1][0]
                cycle.switch_reason = _SWITCH_REASON.get(key, OXALIPLATIN_SWITCH)
            out.append(cycle)
    if stop is not None:
        out[-1].stop_reason = stop
    return out


def make_patients() -> list[Patient]:
    """The 80 randomised patients with their fixed stories (no random choices yet)."""
    people: list[Patient] = []
    for key, (parts, stop) in _NEO.items():
        p = Patient(key, EXPERIMENTAL, EXPERIMENTAL)
        p.neo = _cycles("neoadjuvant", parts, stop, key)
        p.restaging = "peritoneal_progression_only" if key == PROGRESSION else "stable_or_response"
        p.surgery = True
        if key in OPEN_CLOSE_EXPERIMENTAL:
            p.open_close = "unresectable_pm"
            p.off_study = ("unresectable", "Unresectable peritoneal metastases (open-close)")
        elif key in _OFF_AFTER_SURGERY:
            p.off_study = _OFF_AFTER_SURGERY[key]
        if key in _ADJUVANT:
            adj_parts, adj_stop = _ADJUVANT[key]
            p.adjuvant = _cycles("adjuvant", adj_parts, adj_stop, key)
        for phase, table in (("neoadjuvant", _NEO_TOXICITY), ("adjuvant", _ADJUVANT_TOXICITY)):
            p.toxicities += [Toxicity(t, g, phase, c) for t, g, c in table.get(key, [])]
        p.complications = list(_MORBIDITY_EXPERIMENTAL.get(key, []))
        if key == PROGRESSION:
            p.other_reoperation = TUMOUR_OBSTRUCTION
        if key == NO_BEVACIZUMAB:
            p.deviations.append(
                ("treatment", "Bevacizumab omitted from every neoadjuvant cycle because of a "
                 "wound dehiscence after enrolment (CAPOX given; recorded as CAPOX-B without "
                 "bevacizumab)")
            )  # fmt: skip
        people.append(p)
    for key in ("U1", "U2"):
        p = Patient(key, EXPERIMENTAL, CONTROL, surgery=True)
        p.deviations.append(
            ("crossover", "Allocated to perioperative systemic therapy; the patient preferred "
             "upfront CRS-HIPEC and had no neoadjuvant therapy")
        )  # fmt: skip
        people.append(p)
    palliative = Patient("P1", EXPERIMENTAL, None)
    palliative.off_study = ("palliative_care", "Rapidly progressive systemic disease")
    people.append(palliative)
    people += [Patient(f"K{i:02d}", CONTROL, CONTROL, surgery=True) for i in range(1, 41)]
    return people


def groups(people: Sequence[Patient]) -> tuple[list[Patient], list[Patient]]:
    """The modified-ITT groups: started neoadjuvant therapy, and upfront surgery."""
    return (
        [p for p in people if p.group == EXPERIMENTAL],
        [p for p in people if p.group == CONTROL],
    )


def by_key(people: Sequence[Patient]) -> dict[str, Patient]:
    """Patients by internal key."""
    return {p.key: p for p in people}
