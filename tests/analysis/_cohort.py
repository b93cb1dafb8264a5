"""A hand-made cohort of seven participants, in the shape `cairo6.store.extract` returns.

experimental: T-E1 CAPOX-B x4, complete CRS-HIPEC, adjuvant CAPOX x4, Clavien-Dindo IIIa
              T-E2 CAPOX-B stopped after 2 (patient's request), open-close
              T-E3 preferred upfront surgery (analysed with control), abscess IVa + reoperation
              T-E4 no treatment (palliative care)
control:      T-C1 complete, pneumonia II, readmitted; T-C2 complete after 8 weeks, leak IIIb +
              reoperation; T-C3 incomplete CRS (CC-1), no HIPEC
Dates are ISO text, as a CSV import would give them; the analysis parses them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

REGIONS = (
    "central", "right_upper", "epigastrium", "left_upper", "left_flank", "left_lower", "pelvis",
    "right_lower", "right_flank", "upper_jejunum", "lower_jejunum", "upper_ileum", "lower_ileum",
)  # fmt: skip


def regions(total: int) -> dict[str, int]:
    """Lesion-size scores per PCI region adding up to `total` (0-39)."""
    scores = {}
    for region in REGIONS:
        scores[region] = min(3, total)
        total -= scores[region]
    return scores


def _days(start: str, step: int, count: int) -> list[str]:
    first = dt.date.fromisoformat(start)
    return [(first + dt.timedelta(days=step * k)).isoformat() for k in range(count)]


def _cycles() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(sn: str, phase: str, regimen: str, days: list[str], bev: int, stop: str = "") -> None:
        for k, day in enumerate(days, start=1):
            last = k == len(days)
            rows.append(
                {
                    "study_number": sn,
                    "id": len(rows) + 1,
                    "phase": phase,
                    "regimen": regimen,
                    "cycle_number": k,
                    "given_on": day,
                    "doses": {},
                    "bevacizumab_given": k <= bev,
                    "dose_reduced": False,
                    "switched_from": None,
                    "switch_reason": None,
                    "stopped_after": bool(stop) and last,
                    "stop_reason": stop if last else None,
                }
            )

    add("T-E1", "neoadjuvant", "CAPOX-B", _days("2020-01-13", 21, 4), 3)
    add("T-E1", "adjuvant", "CAPOX", _days("2020-06-08", 21, 4), 0)
    add("T-E2", "neoadjuvant", "CAPOX-B", _days("2020-02-10", 21, 2), 2, "Patient's request")
    return rows


def frames() -> dict[str, pd.DataFrame]:
    """The cohort's frames (fresh copies, safe to edit)."""
    people = [
        ("T-E1", "experimental", "2020-01-06"),
        ("T-E2", "experimental", "2020-02-03"),
        ("T-E3", "experimental", "2020-02-10"),
        ("T-E4", "experimental", "2020-03-02"),
        ("T-C1", "control", "2020-01-20"),
        ("T-C2", "control", "2020-02-17"),
        ("T-C3", "control", "2020-03-09"),
    ]
    participant = pd.DataFrame(
        [
            {"study_number": sn, "centre": "X1", "enrolled_on": day, "arm": arm}
            for sn, arm, day in people
        ]
    )
    screening = pd.DataFrame(
        [
            {"screening_number": f"S{i}", "centre": "X1", "screened_on": "2020-01-01",
             "approached": True, "not_approached_reason": None, "refused": False,
             "refusal_reason": None, "refusal_other": None, "study_number": sn}
            for i, (sn, _, _) in enumerate(people)
        ]
        + [
            {"screening_number": "S8", "centre": "X1", "screened_on": "2020-01-02",
             "approached": False, "not_approached_reason": "unknown", "refused": None,
             "refusal_reason": None, "refusal_other": None, "study_number": None},
            {"screening_number": "S9", "centre": "X1", "screened_on": "2020-01-03",
             "approached": True, "not_approached_reason": None, "refused": True,
             "refusal_reason": "logistical", "refusal_other": None, "study_number": None},
        ]
    )  # fmt: skip
    sexes = ["male", "female", "male", "female", "female", "male", "male"]
    ages = [60, 50, 70, 65, 55, 66, 72]
    baseline = pd.DataFrame(
        [
            {
                "study_number": sn,
                "id": i + 1,
                "sex": sexes[i],
                "age_years": ages[i],
                "who_performance_status": 0,
                "primary_location": "distal_colon",
                "histology": "nonmucinous",
                "primary_status": "resected",
                "t_category": "T3",
                "n_category": "N1",
                "previous_chemotherapy": "none",
                "previous_extraperitoneal_resection": False,
                "onset": "metachronous",
                "primary_diagnosis_date": "2019-01-01",
                "pm_diagnosis_date": "2019-12-01",
                "baseline_pci": [4, 0, 6, 9, 3, 10, 15][i],
                "pci_modality": "laparoscopy",
                "pci_centre": "trial",
                "planned_hipec": "mitomycin_c",
            }
            for i, (sn, _, _) in enumerate(people)
        ]
    )
    surgery_rows = [
        ("T-E1", "2020-04-27", "crs_hipec", None, 5, 0, True, False, 300, "mitomycin_c"),
        ("T-E2", "2020-05-04", "open_close", "unresectable_pm", 25, None, False, False, 100,
         "none"),
        ("T-E3", "2020-03-09", "crs_hipec", None, 10, 0, False, True, 250, "oxaliplatin"),
        ("T-C1", "2020-02-10", "crs_hipec", None, 8, 0, False, False, 350, "mitomycin_c"),
        ("T-C2", "2020-04-13", "crs_hipec", None, 12, 0, True, True, 400, "mitomycin_c"),
        ("T-C3", "2020-04-06", "crs_hipec", None, 20, 1, False, False, 320, "none"),
    ]  # fmt: skip
    surgery = pd.DataFrame(
        [
            {
                "study_number": sn,
                "id": i + 1,
                "surgery_date": day,
                "procedure": proc,
                "open_close_reason": why,
                "pci_regions": regions(pci),
                "cc_score": cc,
                "r_class": None,
                "primary_tumour_resection": False,
                "anastomosis": anast,
                "ostomy": ostomy,
                "operating_time_min": minutes,
                "hipec_drug": hipec,
            }
            for i, (sn, day, proc, why, pci, cc, anast, ostomy, minutes, hipec) in enumerate(
                surgery_rows
            )
        ]
    )
    discharge = pd.DataFrame(
        {
            "study_number": ["T-E1", "T-E2", "T-E3", "T-C1", "T-C2", "T-C3"],
            "id": range(1, 7),
            "discharge_date": [
                "2020-05-05", "2020-05-08", "2020-03-20", "2020-02-25", "2020-04-30",
                "2020-04-16",
            ],
        }
    )  # fmt: skip
    complication = pd.DataFrame(
        {
            "study_number": ["T-E1", "T-E3", "T-C1", "T-C2"],
            "id": range(1, 5),
            "term": ["Ileus", "Intra-abdominal abscess", "Pneumonia", "Anastomotic leakage"],
            "grade": ["IIIa", "IVa", "II", "IIIb"],
            "onset_date": ["2020-05-01", "2020-03-15", "2020-02-15", "2020-04-20"],
        }
    )
    reoperation = pd.DataFrame(
        {
            "study_number": ["T-E3", "T-C2"],
            "id": [1, 2],
            "reoperated_on": ["2020-03-16", "2020-04-21"],
            "indication": ["Intra-abdominal abscess", "Anastomotic leakage"],
            "complication": [True, True],
        }
    )
    readmission = pd.DataFrame(
        {"study_number": ["T-C1"], "id": [1], "admitted_on": ["2020-03-01"], "reason": ["Pain"]}
    )
    toxicity = pd.DataFrame(
        {
            "study_number": ["T-E1", "T-E1", "T-E2"],
            "id": [1, 2, 3],
            "term": ["Diarrhea", "Neutrophil count decreased", "Nausea"],
            "grade": [3, 4, 2],
            "phase": ["neoadjuvant", "adjuvant", "neoadjuvant"],
            "onset_date": ["2020-02-01", "2020-07-01", "2020-02-20"],
        }
    )
    lesion = [{"id": "L1", "organ": "peritoneum", "lymph_node": False, "diameter_mm": 30}]
    after = [{"id": "L1", "organ": "peritoneum", "lymph_node": False, "diameter_mm": 18}]
    radiology = pd.DataFrame(
        [
            ("T-E1", 1, "baseline", "2020-01-08", 10, False, False, lesion),
            ("T-E1", 2, "restaging", "2020-03-27", 6, False, False, after),
            ("T-E2", 3, "baseline", "2020-02-05", 8, False, False, []),
            ("T-E2", 4, "restaging", "2020-03-13", 9, False, False, []),
        ],
        columns=[
            "study_number", "id", "timepoint", "scan_date", "radiologic_pci", "new_lesions",
            "non_target_progression", "lesions",
        ],
    )  # fmt: skip
    pathology = pd.DataFrame(
        [
            ("T-E1", 1, "peritoneal", True, None, 2, [2, 1]),
            ("T-E1", 2, "overall", True, None, 2, [2, 1]),
            ("T-E2", 3, "peritoneal", False, "No tissue", None, []),
        ],
        columns=["study_number", "id", "site", "evaluable", "not_evaluable_reason", "trg", "prgs"],
    )
    return {
        "centre": pd.DataFrame(
            {"centre": ["X1"], "name": ["Test centre"], "started_recruiting": ["2020-01-01"]}
        ),
        "screening": screening,
        "participant": participant,
        "baseline": baseline,
        "cycle": pd.DataFrame(_cycles()),
        "restaging": pd.DataFrame(
            {
                "study_number": ["T-E1", "T-E2"],
                "id": [1, 2],
                "ct_date": ["2020-03-27", "2020-03-13"],
                "outcome": ["stable_or_response", "stable_or_response"],
            }
        ),
        "surgery": surgery,
        "discharge": discharge,
        "readmission": readmission,
        "reoperation": reoperation,
        "complication": complication,
        "toxicity": toxicity,
        "radiology": radiology,
        "pathology": pathology,
        "off_study": pd.DataFrame(
            {
                "study_number": ["T-E2", "T-E4"],
                "id": [1, 2],
                "off_date": ["2020-05-04", "2020-03-10"],
                "reason": ["unresectable", "palliative_care"],
                "detail": [None, "Rapidly progressive systemic disease"],
            }
        ),
        "deviation": pd.DataFrame(
            {
                "study_number": ["T-E3"],
                "id": [1],
                "noted_on": ["2020-02-12"],
                "category": ["crossover"],
                "description": ["preferred upfront surgery"],
            }
        ),
    }
