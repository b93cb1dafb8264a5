"""The SYNTHETIC reference cohort as rows of the exchange files (typed values, one dict a row).

Rows follow the project's CSV import format (see `cairo6.service.exchange`): centre, screening,
eligibility and randomisation, then one file per clinical form. Values are typed here (dates,
booleans, numbers, dicts and lists for the JSON columns); `builder.write` turns them into text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from cairo6.protocol import DoseUnit, Protocol
from cairo6.scoring import body_surface_area
from cairo6.scoring.ctcae_terms import ctcae_term
from cairo6.studies.cairo6.cohort_dates import CENTRES, Dates, ScreeningEntry
from cairo6.studies.cairo6.cohort_people import Patient
from cairo6.studies.cairo6.cohort_stats import MONTH_DAYS

Row = dict[str, Any]
Tables = dict[str, list[Row]]

# The paper's adverse-event words (kept verbatim, as its tables print them) coded to CTCAE v5.0
# terms, as a site's coder would: the combined "Nausea/vomiting" to the first of the two, an
# unnamed bowel perforation to the colon, and events CTCAE has no own term for to "Other, specify"
# of their organ class (the verbatim term names the event).
CTCAE_CODING = {
    "Abdominal infection (abscess)": "Abdominal infection",
    "Anaemia requiring transfusion": "Anemia",
    "Anastomotic leakage": "Large intestinal anastomotic leak",
    "Asystole": "Cardiac arrest",
    "Bowel perforation": "Colonic perforation",
    "Catheter-related infection": "Catheter related infection",
    "Central venous catheter infection": "Catheter related infection",
    "Electrolyte disturbance": "Metabolism and nutrition disorders - Other, specify",
    "Fascia dehiscence": "Wound dehiscence",
    "Hydronephrosis": "Urinary tract obstruction",
    "Infectious enterocolitis": "Enterocolitis infectious",
    "Intra-abdominal abscess": "Abdominal infection",
    "Leukemia": "Leukemia secondary to oncology chemotherapy",
    "Luxation double J catheter": "Injury, poisoning and procedural complications - Other, specify",
    "Mucositis": "Mucositis oral",
    "Nausea/vomiting": "Nausea",
    "Pneumonia": "Lung infection",
    "Postoperative hemorrhage": "Intra-abdominal hemorrhage",
    "Postoperative nausea": "Nausea",
    "Prolonged postoperative ileus requiring parenteral nutrition": "Ileus",
    "Pulmonary embolism": "Thromboembolic event",
    "Visceral arterial ischemia (due to intestinal stent)": "Visceral arterial ischemia",
    "Wound seroma": "Seroma",
    "γ-Glutamyl transferase level increased": "GGT increased",
}


def ctcae_code(term: str) -> str:
    """The MedDRA code of the CTCAE v5.0 term a verbatim term is coded to."""
    return ctcae_term(CTCAE_CODING.get(term, term)).code


_HISTOLOGY = {"nonmucinous": "adenocarcinoma", "mucinous": "mucinous_adenocarcinoma"}
# Capecitabine is dosed per administration (twice daily, days 1-14), rounded to tablets of 50 mg
# steps; intravenous drugs to 5 mg.
_ORAL_STEP, _IV_STEP = 50, 5
_REDUCTION = 0.8


def _round_to(value: float, step: int) -> int:
    return int(step * round(value / step))


def doses(
    protocol: Protocol, p: Patient, regimen_id: str, bevacizumab: bool, reduced: bool
) -> dict[str, int]:
    """mg per drug for one cycle: mg/m2 x BSA (Mosteller), mg/kg x weight."""
    bsa = body_surface_area(p.height_cm, p.weight_kg)
    out: dict[str, int] = {}
    for drug in protocol.regimen(regimen_id).drugs:
        if drug.antiangiogenic and not bevacizumab:
            continue
        if drug.unit is DoseUnit.MG_M2:
            amount = drug.dose * bsa
        elif drug.unit is DoseUnit.MG_KG:
            amount = drug.dose * p.weight_kg
        else:
            amount = drug.dose
        if reduced and not drug.antiangiogenic:
            amount *= _REDUCTION
        out[drug.name] = _round_to(amount, _ORAL_STEP if drug.route == "oral" else _IV_STEP)
    return out


def _eligibility(rng: np.random.Generator, p: Patient, d: Dates) -> Row:
    chemo = p.previous_chemo != "none"
    months_since = None
    if chemo:
        assert p.chemo_end_days is not None
        since = p.primary_to_pm_days + p.pm_to_enrolment_days - p.chemo_end_days
        months_since = round(since / MONTH_DAYS, 1)
    creatinine = round(float(rng.uniform(0.55, 1.1)), 2)
    # Cockcroft-Gault with a typical serum creatinine (umol/L) for the ratio to the ULN.
    serum = creatinine * (110 if p.sex == "male" else 90)
    clearance = (140 - p.age) * p.weight_kg * (1.23 if p.sex == "male" else 1.04) / serum
    return {
        "screening_number": d.screening_number,
        "assessed_on": d.assessed_on,
        "age_years": p.age,
        "who_performance_status": p.who,
        "pathology_proven": True,
        "primary_site": "rectum" if p.location == "rectum" else "colon",
        "histology": _HISTOLOGY[p.histology],
        "signet_ring_cell_pct": 0.0,
        "pci_at_staging": p.baseline_pci,
        "pci_documented": p.modality != "radiology",
        "staging_ct_done": True,
        "resectable": True,
        "systemic_metastases_3_months": False,
        "previous_systemic_therapy": chemo,
        "months_since_systemic_therapy": months_since,
        "previous_crs_hipec": False,
        "fit_for_crs_hipec": True,
        "fit_for_systemic_therapy": True,
        "hemoglobin_mmol_l": round(float(np.clip(rng.normal(8.1, 0.6), 6.5, 10.0)), 1),
        "neutrophils_10e9_l": round(float(rng.uniform(2.2, 7.5)), 1),
        "platelets_10e9_l": float(int(rng.integers(160, 420))),
        "creatinine_x_uln": creatinine,
        "creatinine_clearance_ml_min": float(round(clearance)),
        "bilirubin_x_uln": round(float(rng.uniform(0.2, 0.9)), 2),
        "alat_x_uln": round(float(rng.uniform(0.3, 1.4)), 2),
        "asat_x_uln": round(float(rng.uniform(0.3, 1.3)), 2),
        "dpd_deficiency": False,
        "fluoropyrimidine_intolerance": False,
        "oxaliplatin_and_irinotecan_intolerance": False,
        "active_infection": False,
        "interfering_malignancy": False,
        "bevacizumab_contraindication": False,
        "informed_consent": True,
        "onset": p.onset,
        "planned_hipec": p.planned_hipec,
    }


def _baseline(p: Patient, d: Dates) -> Row:
    pm = d.enrolled_on - dt.timedelta(days=p.pm_to_enrolment_days)
    return {
        "sex": p.sex,
        "age_years": p.age,
        "who_performance_status": p.who,
        "primary_location": p.location,
        "histology": p.histology,
        "primary_status": p.primary_status,
        "t_category": p.t_category,
        "n_category": p.n_category,
        "previous_chemotherapy": p.previous_chemo,
        "previous_extraperitoneal_resection": p.previous_extraperitoneal,
        "onset": p.onset,
        "primary_diagnosis_date": pm - dt.timedelta(days=p.primary_to_pm_days),
        "pm_diagnosis_date": pm,
        "baseline_pci": p.baseline_pci,
        "pci_modality": p.modality,
        "pci_centre": p.pci_centre,
        "planned_hipec": p.planned_hipec,
    }


def _cycles(protocol: Protocol, p: Patient, d: Dates) -> list[Row]:
    rows = []
    for cycle, day in zip(p.neo + p.adjuvant, d.neo + d.adjuvant, strict=True):
        rows.append(
            {
                "phase": cycle.phase,
                "regimen": cycle.regimen,
                "cycle_number": cycle.number,
                "given_on": day,
                "doses": doses(protocol, p, cycle.regimen, cycle.bevacizumab, cycle.reduced),
                "bevacizumab_given": cycle.bevacizumab,
                "dose_reduced": cycle.reduced,
                "switched_from": cycle.switched_from,
                "switch_reason": cycle.switch_reason,
                "stopped_after": cycle.stop_reason is not None,
                "stop_reason": cycle.stop_reason,
            }
        )
    return rows


def _surgery(rng: np.random.Generator, p: Patient, d: Dates) -> Row:
    cc: int | None = None
    r_class: str | None = None
    if p.complete:
        if p.r_classification:
            r_class = "R1" if rng.random() < 0.6 else "R0"
        else:
            cc = 0
    return {
        "surgery_date": d.surgery,
        "procedure": "crs_hipec" if p.complete else "open_close",
        "open_close_reason": p.open_close,
        "pci_regions": dict(p.pci_regions),
        "cc_score": cc,
        "r_class": r_class,
        "primary_tumour_resection": p.primary_resection,
        "anastomosis": p.anastomosis,
        "ostomy": p.ostomy,
        "operating_time_min": p.operating_time,
        "hipec_drug": p.hipec,
    }


def _radiology(p: Patient, d: Dates) -> list[Row]:
    assert p.rpci is not None
    assert p.lesions is not None
    rows = []
    for timepoint, day, rpci, lesions in (
        ("baseline", d.baseline_scan, p.rpci[0], p.lesions[0]),
        ("restaging", d.restaging, p.rpci[1], p.lesions[1]),
    ):
        rows.append(
            {
                "timepoint": timepoint,
                "scan_date": day,
                "radiologic_pci": rpci,
                "new_lesions": False,
                "non_target_progression": False,
                "lesions": [dict(lesion) for lesion in lesions],
            }
        )
    return rows


def build_tables(
    rng: np.random.Generator,
    protocol: Protocol,
    people: Sequence[Patient],
    dates: dict[str, Dates],
    screened: Sequence[tuple[str, ScreeningEntry | str]],
) -> Tables:
    """Every exchange file's rows, in import order."""
    tables: Tables = {
        "centre": [
            {"code": code, "name": name, "started_recruiting": start}
            for code, name, start, _ in CENTRES
        ],
        "screening": [],
    }
    for number, item in screened:
        if isinstance(item, str):
            d = dates[item]
            row = {
                "centre": d.centre,
                "screened_on": d.screened_on,
                "approached": True,
                "refused": False,
            }
        else:
            row = {
                "centre": item.centre,
                "screened_on": item.screened_on,
                "approached": item.approached,
                "not_approached_reason": None if item.approached else "unknown",
                "refused": True if item.approached else None,
                "refusal_reason": item.refusal_reason,
            }
        tables["screening"].append({"screening_number": number, **row})
    order = sorted(people, key=lambda p: dates[p.key].allocated_at)
    tables["eligibility"] = [_eligibility(rng, p, dates[p.key]) for p in order]
    tables["randomisation"] = [
        {
            "study_number": dates[p.key].study_number,
            "screening_number": dates[p.key].screening_number,
            "enrolled_on": dates[p.key].enrolled_on,
            "arm": p.arm,
            "allocated_at": dates[p.key].allocated_at,
            "deviation": p.randomisation_deviation,
        }
        for p in order
    ]
    forms: dict[str, list[Row]] = {
        name: []
        for name in (
            "baseline", "cycle", "restaging", "surgery", "discharge", "readmission",
            "reoperation", "complication", "toxicity", "radiology", "pathology", "off_study",
            "deviation", "follow_up",
        )
    }  # fmt: skip
    for p in sorted(people, key=lambda p: dates[p.key].study_number):
        d = dates[p.key]
        sn = {"study_number": d.study_number}
        forms["baseline"].append(sn | _baseline(p, d))
        forms["cycle"] += [sn | row for row in _cycles(protocol, p, d)]
        if p.restaging is not None:
            forms["restaging"].append(sn | {"ct_date": d.restaging, "outcome": p.restaging})
        if p.surgery:
            forms["surgery"].append(sn | _surgery(rng, p, d))
            forms["discharge"].append(sn | {"discharge_date": d.discharge})
        if p.readmission is not None:
            forms["readmission"].append(
                sn | {"admitted_on": d.readmission, "reason": p.readmission}
            )
        for when, indication, complication in d.reoperations:
            forms["reoperation"].append(
                sn | {"reoperated_on": when, "indication": indication, "complication": complication}
            )
        for event, when in zip(p.complications, d.complications, strict=True):
            forms["complication"].append(
                sn
                | {
                    "term": event.term,
                    "ctcae_term": ctcae_code(event.term),
                    "grade": event.grade,
                    "onset_date": when,
                }
            )
        for tox, when in zip(p.toxicities, d.toxicities, strict=True):
            forms["toxicity"].append(
                sn
                | {
                    "term": tox.term,
                    "ctcae_term": ctcae_code(tox.term),
                    "grade": tox.grade,
                    "phase": tox.phase,
                    "onset_date": when,
                }
            )
        if p.rpci is not None:
            forms["radiology"] += [sn | row for row in _radiology(p, d)]
        for site in p.pathology:
            forms["pathology"].append(
                sn
                | {
                    "site": site.site,
                    "evaluable": site.evaluable,
                    "not_evaluable_reason": site.reason,
                    "trg": site.trg,
                    "prgs": list(site.prgs),
                }
            )
        if p.off_study is not None:
            reason, detail = p.off_study
            forms["off_study"].append(
                sn | {"off_date": d.off_study, "reason": reason, "detail": detail}
            )
        for (category, text), when in zip(p.deviations, d.deviations, strict=True):
            forms["deviation"].append(
                sn | {"noted_on": when, "category": category, "description": text}
            )
    # Adjuvant cycles last, as the import applies them (after surgery) and the export lists
    # them, so that importing these files and exporting them again gives the same files back.
    forms["cycle"].sort(key=lambda row: row["phase"] == "adjuvant")
    tables.update(forms)
    return tables
