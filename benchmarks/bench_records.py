"""The generic form store against the per-form tables it replaces, measured in one run.

The same CAIRO6 forms (surgery once, then complications, a repeating form) are saved through
the per-form tables' service (`service.forms.record`) and through the generic store
(`service.records.record_form`, the CAIRO6 definition bound as a study), in two fresh SQLite
databases of the same machine, alternating; p50 and p99 per save are compared.
Target (issue: the generic store is not slower): p50 and p99 within 1.2x of the tables'.
Prints a `met` / `NOT met` line per row and exits 1 when one is missed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cairo6.protocol import default_protocol, default_protocol_text
from cairo6.service import admin, forms
from cairo6.service.enrolment import add_screening, assess_eligibility, randomise
from cairo6.service.records import record_form
from cairo6.service.setup import initialise, initialise_study
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.studies.cairo6.examples import ELIGIBLE_CHECKLIST
from cairo6.study import bundled_study_folder
from cairo6.study.loader import read_study_texts, study_from_texts

SAVES = 300
TARGET = 1.2
SURGERY = {
    "surgery_date": "2018-06-01",
    "procedure": "crs_hipec",
    "pci_regions": dict.fromkeys(
        (
            "central", "right_upper", "epigastrium", "left_upper", "left_flank", "left_lower",
            "pelvis", "right_lower", "right_flank", "upper_jejunum", "lower_jejunum",
            "upper_ileum", "lower_ileum",
        ),
        0,
    )
    | {"pelvis": 2},
    "cc_score": 0,
    "primary_tumour_resection": False,
    "anastomosis": True,
    "ostomy": False,
    "operating_time_min": 300,
    "hipec_drug": "mitomycin_c",
}  # fmt: skip


def _site(trial: Trial) -> tuple[Actor, str]:
    admin.bootstrap_admin(trial, "admin")
    with trial.db.read() as session:
        boss = actor_for(session, "admin")
    admin.add_centre(trial, boss, "C01", "Centre", dt.date(2017, 1, 1))
    admin.add_user(trial, boss, "nurse", "investigator", centre_code="C01")
    with trial.db.read() as session:
        nurse = actor_for(session, "nurse")
    number = add_screening(trial, nurse, "C01", {"screened_on": "2018-01-10", "approached": True})
    checklist = {**ELIGIBLE_CHECKLIST, "onset": "synchronous", "planned_hipec": "mitomycin_c"}
    assess_eligibility(trial, nurse, number, checklist, dt.date(2018, 1, 11))
    return nurse, randomise(trial, nurse, number, dt.date(2018, 1, 12)).study_number


def _complication(n: int) -> dict[str, object]:
    day = dt.date(2018, 6, 2) + dt.timedelta(days=n % 60)
    return {"term": f"event {n}", "grade": "II", "onset_date": day.isoformat()}


def measure() -> dict[str, float]:
    """p50 and p99 per save (ms) on each store, and their ratios."""
    times = _saves()
    figures: dict[str, float] = {}
    for name, q in (("p50", 50), ("p99", 99)):
        for store, values in times.items():
            figures[f"{store}_{name}_ms"] = statistics.quantiles(values, n=100)[q - 1] * 1000
        figures[f"{name}_ratio"] = figures[f"store_{name}_ms"] / figures[f"tables_{name}_ms"]
    return figures


def _saves() -> dict[str, list[float]]:
    work = Path(tempfile.mkdtemp(prefix="bench-records-"))
    try:
        tables = initialise(
            Database(work / "tables.db"), default_protocol(), default_protocol_text()
        )
        folder = work / "cairo6-study"
        shutil.copytree(bundled_study_folder("cairo6"), folder)
        manifest = folder / "study.toml"
        manifest.write_text(
            manifest.read_text(encoding="utf-8").replace(
                "per_form_tables = true", "per_form_tables = false"
            ),
            encoding="utf-8",
        )
        files = read_study_texts(folder)
        store = initialise_study(Database(work / "store.db"), study_from_texts(files, "c"), files)
        nurse_t, number_t = _site(tables)
        nurse_s, number_s = _site(store)
        forms.record(tables, nurse_t, "surgery", number_t, SURGERY)
        record_form(store, nurse_s, number_s, "surgery", SURGERY)
        times: dict[str, list[float]] = {"tables": [], "store": []}
        for n in range(SAVES):
            start = time.perf_counter()
            forms.record(tables, nurse_t, "complication", number_t, _complication(n))
            times["tables"].append(time.perf_counter() - start)
            start = time.perf_counter()
            record_form(store, nurse_s, number_s, "complication", _complication(n))
            times["store"].append(time.perf_counter() - start)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return times


def main() -> int:
    figures = measure()
    missed = 0
    print(f"form saves: {SAVES} complications each, SQLite, alternating (ms)")
    for name in ("p50", "p99"):
        ratio = figures[f"{name}_ratio"]
        verdict = "met" if ratio <= TARGET else "NOT met"
        missed += verdict != "met"
        print(
            f"  {name}: per-form tables {figures[f'tables_{name}_ms']:.2f} ms, generic store "
            f"{figures[f'store_{name}_ms']:.2f} ms -> {ratio:.2f}x (target <= {TARGET}x): {verdict}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
