"""The CAIRO6 forms and columns the analysis reads, the date columns among them, and the forms
with at most one record per participant (they become columns of the participant frame)."""

from __future__ import annotations

from collections.abc import Mapping

FORM_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "participant": ("study_number", "centre", "enrolled_on", "arm"),
    "centre": ("centre", "name", "started_recruiting"),
    "screening": (
        "screening_number", "centre", "screened_on", "approached", "not_approached_reason",
        "refused", "refusal_reason", "refusal_other", "study_number",
    ),
    "baseline": (
        "study_number", "sex", "age_years", "who_performance_status", "primary_location",
        "histology", "primary_status", "t_category", "n_category", "previous_chemotherapy",
        "previous_extraperitoneal_resection", "onset", "primary_diagnosis_date",
        "pm_diagnosis_date", "baseline_pci", "pci_modality", "pci_centre", "planned_hipec",
    ),
    "cycle": (
        "study_number", "phase", "regimen", "cycle_number", "given_on", "bevacizumab_given",
        "switched_from", "switch_reason", "stopped_after", "stop_reason",
    ),
    "restaging": ("study_number", "ct_date", "outcome"),
    "surgery": (
        "study_number", "surgery_date", "procedure", "open_close_reason", "pci_regions",
        "cc_score", "r_class", "primary_tumour_resection", "anastomosis", "ostomy",
        "operating_time_min", "hipec_drug",
    ),
    "discharge": ("study_number", "discharge_date"),
    "readmission": ("study_number", "admitted_on", "reason"),
    "reoperation": ("study_number", "reoperated_on", "indication", "complication"),
    "complication": ("study_number", "term", "grade", "onset_date"),
    "toxicity": ("study_number", "term", "grade", "phase", "onset_date"),
    "radiology": (
        "study_number", "timepoint", "scan_date", "radiologic_pci", "new_lesions",
        "non_target_progression", "lesions",
    ),
    "pathology": ("study_number", "site", "evaluable", "trg", "prgs"),
    "off_study": ("study_number", "off_date", "reason", "detail"),
    "deviation": ("study_number", "noted_on", "category", "description"),
}  # fmt: skip
DATE_COLUMNS = frozenset(
    {
        "enrolled_on", "started_recruiting", "screened_on", "primary_diagnosis_date",
        "pm_diagnosis_date", "given_on", "ct_date", "surgery_date", "discharge_date",
        "admitted_on", "reoperated_on", "onset_date", "scan_date", "off_date", "noted_on",
    }
)  # fmt: skip
SINGLE_FORMS = ("baseline", "surgery", "discharge", "restaging", "off_study")
