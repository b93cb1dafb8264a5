"""A made-up (SYNTHETIC) CAIRO6 eligibility checklist in which every criterion is met.

Tests, benchmarks and documentation start from it and change the fields they are about, so that
what a test varies is visible and the rest stays valid.
"""

from __future__ import annotations

from typing import Any

ELIGIBLE_CHECKLIST: dict[str, Any] = {
    "age_years": 62,
    "who_performance_status": 0,
    "pathology_proven": True,
    "primary_site": "colon",
    "histology": "adenocarcinoma",
    "signet_ring_cell_pct": 0,
    "pci_at_staging": 8,
    "pci_documented": True,
    "staging_ct_done": True,
    "resectable": True,
    "systemic_metastases_3_months": False,
    "previous_systemic_therapy": False,
    "previous_crs_hipec": False,
    "fit_for_crs_hipec": True,
    "fit_for_systemic_therapy": True,
    "informed_consent": True,
    "hemoglobin_mmol_l": 8.1,
    "neutrophils_10e9_l": 4.0,
    "platelets_10e9_l": 250,
    "creatinine_x_uln": 0.8,
    "creatinine_clearance_ml_min": 90,
    "bilirubin_x_uln": 0.5,
    "alat_x_uln": 0.7,
    "asat_x_uln": 0.6,
    "dpd_deficiency": False,
    "fluoropyrimidine_intolerance": False,
    "oxaliplatin_and_irinotecan_intolerance": False,
    "active_infection": False,
    "interfering_malignancy": False,
    "bevacizumab_contraindication": False,
}
"""Every inclusion criterion met and no exclusion applies (randomisation fields not included)."""
