"""Build the SYNTHETIC CAIRO6 phase 2 reference cohort: pseudonymous, patient-level CSV files.

Nothing here is real patient data. The cohort is made up so that an analysis of it reproduces
every number the CAIRO6 phase 2 paper (Rovers et al., JAMA Surg 2021;156:710-720) prints: the
233 screened and 80 randomised patients with their baseline, treatment, surgery, morbidity,
toxicity and central review, written in the project's CSV import format (the trial's own files,
then one file per form of the study definition, see `cairo6.service.exchange`). The
construction is deterministic (one seeded numpy Generator):

1. constructive counts: each patient's story and categories are dealt out so that every printed
   count is exact and the joint constraints hold (`cohort_people`, `cohort_review`);
2. continuous values: integer vectors per group solved by a seeded hill climb until every printed
   mean, SD, median, quartile, range and P value rounds as printed (`cohort_solve`);
3. dates along the protocol's calendar with the published window misses (`cohort_dates`);
4. SYNTHETIC follow-up visits for survival (`cohort_followup`, a generator of its own; not in
   the paper);
5. the rows (`cohort_forms`), checked against the paper (`cohort_checks`) before anything is
   written; a missed target stops the build with the list of misses.

    python -m cairo6.studies.cairo6.builder --out src/cairo6/studies/cairo6/data

regenerates the committed files byte for byte. The method and every choice are documented in
src/cairo6/studies/cairo6/data/README.md, which this module writes as well.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cairo6.protocol import Protocol, default_protocol
from cairo6.service.dictionary import DictionaryEntry, exchange_variables, file_order
from cairo6.service.exchange_tables import cell_text
from cairo6.studies.cairo6 import (
    cohort_assign,
    cohort_dates,
    cohort_followup,
    cohort_people,
    cohort_review,
)
from cairo6.studies.cairo6.cohort_checks import verify
from cairo6.studies.cairo6.cohort_forms import Tables, build_tables
from cairo6.studies.cairo6.cohort_solve import BuildError
from cairo6.studies.cairo6.cohort_verify import Checker
from cairo6.study.loader import read_study

__all__ = ["FILE_ORDER", "SEED", "BuildError", "build", "file_variables", "main", "write"]

SEED = 20210519
"""The generator seed: the paper's online publication date (2021-05-19)."""

HEADER = "SYNTHETIC"

STUDY = read_study(Path(__file__).resolve().parent)
"""The CAIRO6 study definition, whose forms give the files' columns."""

FILE_ORDER = file_order(STUDY)
"""The exchange files of the cohort, in import order."""


def file_variables(protocol: Protocol) -> dict[str, list[DictionaryEntry]]:
    """The columns of each exchange file: the trial's own files, then CAIRO6's forms."""
    return exchange_variables(protocol, STUDY)


def build(seed: int = SEED, protocol: Protocol | None = None) -> Tables:
    """The cohort's rows per exchange file, checked against the paper (raises `BuildError`)."""
    protocol = protocol or default_protocol()
    rng = np.random.default_rng(seed)
    people = cohort_people.make_patients()
    cohort_assign.assign_surgery_categories(rng, people)
    cohort_assign.assign_morbidity_counts(rng, people)
    cohort_assign.assign_continuous(rng, people)
    cohort_assign.assign_baseline(rng, people)
    cohort_assign.add_grade1_toxicity(rng, people)
    cohort_review.assign_radiology(rng, people)
    cohort_review.assign_pathology(rng, people)
    dates = cohort_dates.enrolment(rng, people)
    screened = cohort_dates.screening(rng, dates)
    cohort_dates.clinical(rng, people, dates)
    tables = build_tables(rng, protocol, people, dates, screened)
    # SYNTHETIC follow-up from its own generator: the other files do not depend on it.
    tables["follow_up"] = cohort_followup.follow_up(seed, tables)
    verify(tables)
    return tables


def csv_text(tables: Tables, protocol: Protocol) -> dict[str, str]:
    """Each exchange file's text: the dictionary's columns in order, cells as the export writes."""
    variables = file_variables(protocol)
    out: dict[str, str] = {}
    for form in FILE_ORDER:
        entries = variables[form]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([e.variable for e in entries])
        for row in tables.get(form, []):
            unknown = set(row) - {e.variable for e in entries}
            if unknown:
                raise BuildError(f"{form}: columns {sorted(unknown)} are not in the import format")
            writer.writerow([cell_text(e, row.get(e.variable)) for e in entries])
        out[form] = buffer.getvalue()
    return out


def write(
    tables: Tables, out: Path, protocol: Protocol | None = None, seed: int = SEED
) -> list[Path]:
    """Write the CSV files and README.md into `out`; returns the paths written."""
    protocol = protocol or default_protocol()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for form, text in csv_text(tables, protocol).items():
        path = out / f"{form}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    readme = out / "README.md"
    readme.write_text(readme_text(tables, seed), encoding="utf-8", newline="")
    written.append(readme)
    return written


def readme_text(tables: Tables, seed: int) -> str:
    """The README: what the files are, how they were made, and every choice."""
    counts = "\n".join(f"| {form}.csv | {len(tables.get(form, []))} |" for form in FILE_ORDER)
    return README.format(seed=seed, counts=counts)


README = """\
# SYNTHETIC reference cohort: CAIRO6 phase 2

**Every row in this directory is SYNTHETIC.** No real patient is described here. The cohort was
made up, patient by patient, so that analysing it reproduces the numbers printed in the CAIRO6
phase 2 paper (Rovers KP et al. JAMA Surg 2021;156(8):710-720): the Figure, Tables 1-4 and the
Results text. It is pseudonymous (study numbers `CAIRO6-<centre>-<NNN>`, screening numbers
`<centre>-S<NNNN>`, centres `Centre N (synthetic)`), and it is the project's end-to-end test
data: import it, analyse it, compare with the paper.

Regenerate (byte-identical):
`python -m cairo6.studies.cairo6.builder --out src/cairo6/studies/cairo6/data`
(seed {seed}, the paper's online publication date; one `numpy.random.default_rng(seed)`).
The builder checks its rows against every target listed below and refuses to write when one
is missed; `tests/reference/test_builder.py` recomputes the key numbers from these CSV files.

## Files

The project's CSV import format (`cairo6.service.exchange`; columns from the data dictionary).
Dates YYYY-MM-DD, booleans true/false, JSON columns as JSON text, empty = not entered.
`follow_up.csv` is SYNTHETIC beyond the paper (which reports no survival): see "Follow-up".

| file | rows |
|---|---|
{counts}

Note: `README.md` is not an exchange file; import a copy of the `*.csv` files, or an import
that skips non-CSV files.

## Method

1. **Stories and counts (constructive).** The 37 patients who started neoadjuvant therapy each
   have an explicit course taken from the Figure (regimen, switch, stop and its reason, restaging
   outcome, open-close or complete CRS-HIPEC, stop after surgery and its reason, adjuvant regimen,
   switch and stop) and the toxicity and morbidity events of Tables 2-3. Everything that is only
   counted (sex, location, histology, T/N, WHO status, PCI modality and centre, planned HIPEC,
   grade II complications, readmissions, ...) is dealt out at random in exactly the printed
   numbers per modified-ITT group, respecting the links: a primary in situ means synchronous
   onset and is the only primary that can be resected at CRS (8 of 10 vs 14 of 17; the others
   are open-close); previous adjuvant chemotherapy means metachronous onset and is given to the
   10 longest intervals per group, ending >= 6 months before enrolment; an anastomotic leak
   needs an anastomosis; every resected primary has an anastomosis or an ostomy; open-close
   means no resection, anastomosis, ostomy or HIPEC; Clavien-Dindo >= 3 patients are among the
   >= 2 ones; HIPEC is given as planned.
2. **Continuous values (exact to the printed rounding).** Per variable, one sorted integer vector
   per group with bounds per position (which pin medians, quartiles and range ends) is improved
   by a seeded hill climb until every printed mean, SD, median, type-2 quartile (SAS QNTLDEF=5),
   range and P value rounds as printed, with a small margin inside each printed interval.
   Values are then given to patients by rank: open-close procedures get the highest PCI at
   surgery and the shortest operating times, major morbidity the longest stays, baseline PCI
   follows PCI at surgery loosely.
3. **Dates** follow the protocol calendar (below); months are days / (365.25 / 12).
4. **Checks**: every target below is recomputed from the rows before writing.

## Targets met exactly

- Figure: 233 screened; 82 not approached (reason "unknown"); 71 refused (36 feared adverse
  effects, 16 postponing surgery, 15 prolongation, 4 logistical); 80 randomised 40/40 between
  2017-06-15 and 2019-01-09 in 9 centres, the last of which started in March 2018 (2018-03-12).
  Experimental: 1 immediately palliative (rapidly progressive systemic disease: off study,
  palliative care, no treatment), 2 upfront surgery (a `crossover` deviation each; analysed with
  control), 37 neoadjuvant: 25 CAPOX-B (1 switched to FOLFIRI-B, 1 to FOLFOX-B), 8 FOLFIRI-B,
  3 FOLFOX-B, 1 CAPOX; 28 completed; the 9 stops with the Figure's reasons; restaging CT for all
  37 (1 peritoneal progression only, 36 stable/response); 37 operated, 4 open-close, 33 complete;
  11 stopped after surgery (4 toxicity, 3 morbidity, 2 performance status, 1 signet ring cell
  carcinoma, 1 patient's request); 22 adjuvant (16 CAPOX, 6 of whom switched to CAP; 4 FOLFOX;
  2 CAP); 12 completed; the 10 adjuvant stops with the Figure's reasons. Control group 42
  operated: 6 open-close (5 unresectable PM, 1 unexpected liver metastases), 36 complete.
- Table 1: every count per group; age 59 (11), 64 (10), 62 (10); months to synchronous CPM
  1 (0-2), to metachronous CPM 14 (4-44), 21 (7-48), 19 (4-48), CPM to enrolment 1 (0-4);
  baseline PCI 3 (0-15) with 2 zeros, 5 (0-18) with 3 zeros, 5 (0-18).
- Table 2: every count; PCI at surgery 5 (0-34), 12 (0-28), 9 (0-34), P = .01; operating time
  317 (122), 334 (155), 326 (140), P = .58; length of stay 8 (6-16), 11 (8-16), 10 (7-16),
  P = .04; P = .74 (Fisher), .25, .23, .02, .64, .11, .99, .07, .25, .54 (chi-square without
  continuity correction); every Clavien-Dindo >= 3 detail row and every reoperation row.
- Table 3: every row (with the reading below for "Any grade 4"). Table 4: every row.
- Results: RECIST 13 evaluable (1 CR, 1 PR, 11 SD); radiologic PCI (reading below); major
  pathologic response 13 of 34, TRG1 8; time frames 39/42, 35/37, 25/37, 21/22; 43 men of 79;
  the last patient completes trial treatment on 2019-10-01 (last day of the last cycle).

## Follow-up (SYNTHETIC, not from the paper)

The phase 2 paper reports no survival. `follow_up.csv` is invented so that the survival
sections (overall, progression-free and disease-free survival) have data to show; its numbers
mean nothing. It comes from a generator of its own (`default_rng((seed, 6))`,
`cohort_followup`), so the other files do not depend on it. Visits every 3 months (91-98 days
apart) from randomisation up to the SYNTHETIC data cut-off of 2022-06-30. After complete
CRS-HIPEC, recurrence from surgery is exponential with median 14 (control) or 20
(experimental) months (plus 2 months); after open-close or without surgery, progression from
randomisation has median 4 months. Death follows recurrence after a median of 22 (control) or
26 (experimental) months, with a small risk of death without recurrence (median 300 months).
A recurrence is reported (with its date) at the first visit on or after it; a death by a row
on its date (vital status dead, death date); 3 event-free patients are lost to follow-up
(their last row says lost).

## Readings of the paper's inconsistencies

- **Radiologic PCI response**: printed "32 evaluable: 1 CR, 8 PR, 23 SD, 2 PD" (= 34). Followed:
  32 evaluable = 1 CR + 8 PR + 21 SD + 2 PD, which keeps 9 of 32 (28%) and the progression on
  restaging; the 5 not evaluable have a radiologic PCI of 0 at baseline. Objective response =
  >= 30% decrease, CR = 0 after treatment, PD = >= 20% increase.
- **Table 3 "Any grade 4" = 5 (14%)** but the detail rows hold 4 grade-4 events (ileus 2,
  neutrophil count decreased 1, leukemia 1) and the per-phase rows say 3 neoadjuvant and 2
  adjuvant. Followed: the detail and per-phase rows; one patient had grade 4 neutropenia in both
  phases, so any grade 4 = 4 patients (the printed 5 looks like 3 + 2 summed). With this, any
  grade >= 3 = 12 + 2 - 1 = 13, as printed. "Leukemia" is kept as printed.
- **Table 2 abscess grade 4**: arms 2 and 1, total printed 2 (3%). Followed: 2 + 1 = 3 patients.
- **Table 2 reoperations "1 (1)"** for 1 of 42 (2%): one patient, as printed in the counts.
- **Table 4 "Overall"** cannot be the worst grade over sites (its TRG5 count is lower than the
  peritoneal one). Recorded as the pathologist's overall grade per patient: equal to the
  peritoneal grade except for one patient without peritoneal tissue (overall from the primary
  tumour, TRG1) and two with a resected primary (peritoneal TRG2 -> overall TRG3, TRG5 -> TRG4).

## Other choices

- Regimens: the CAPOX patient without bevacizumab (wound dehiscence after enrolment) is recorded
  as CAPOX-B with `bevacizumab_given` false on every cycle (CAPOX alone is not a neoadjuvant
  regimen of the protocol), plus a `treatment` deviation. The CAPOX-B -> FOLFOX-B switch
  (capecitabine-related diarrhoea) is not among the protocol's switch options; kept as printed.
  Cycle numbers run on through a switch; after a switch bevacizumab is given on every cycle but
  the last. Switched patients completed after 5 neoadjuvant cycles (2 x 3 weeks + 3 x 2 weeks);
  adjuvant switchers after 4 cycles (CAPOX then CAP). "Completed" = no cycle with stopped_after.
- Doses (cycle.doses, mg): protocol dose x BSA (Mosteller; synthetic height and weight, mean BSA
  about 1.9 m2) or x weight; capecitabine per administration (twice daily) in 50 mg steps, IV
  drugs in 5 mg steps; 80% after a grade >= 3 event in an earlier cycle of the same phase.
- Clavien-Dindo grade 3 is IIIb when a reoperation treated it (the reoperation rows), else IIIa;
  grade 4 is IVa. The tumour obstruction reoperation after an open-close (progression) has
  `complication` false and no complication row. Grade II and I events use generic terms.
- Toxicity terms of grade >= 3 are Table 3's words; grade 2 events (needed for the grade >= 2
  rows) and grade 1 events use CTCAE terms; the cerebrovascular accident is "Stroke", grade 2.
- Adverse-event terms are kept as printed (`term`, the verbatim term) and coded to a CTCAE v5.0
  term (`ctcae_term`, its MedDRA code) as a site's coder would (`cohort_forms.CTCAE_CODING`):
  "Nausea/vomiting" to Nausea, an unnamed bowel perforation to the colon, events without a term
  of their own (electrolyte disturbance, a dislocated double-J catheter) to "Other, specify" of
  their organ class. Each grade is one the term defines. No event is serious: the paper reports
  no serious adverse events, so the seriousness items are left empty.
- Deviations: the WHO PS 2 (severe obesity, radiology-only resectability) patient is randomised
  with the deviation text in randomisation.csv (the import records it); the eligibility record
  fails `performance_status` and `resectable_pci` (pci_documented false, PCI from radiology).
  The patient whose CPM central review found unproven has a deviation.csv row (category
  eligibility, noted on the review date); the checklist said proven.
- Centre C06 reports completeness as an R class (R0/R1) instead of a CC score.
- Randomisation: the allocations are trial history (imported as made elsewhere, in enrolment
  order), not re-run through the minimisation; the arms are nevertheless balanced on its four
  factors as a minimisation leaves them (for that, 8 of 37 and 9 of 42 have a baseline PCI above
  10, which the paper does not print). The minimisation levels are derived on import from the
  eligibility checklist, whose PCI, onset, previous systemic therapy and planned HIPEC equal the
  baseline form's.
- Determinism: numpy's `default_rng` (PCG64) stream is stable across numpy releases; the
  committed files were built with the numpy in the project's environment, and the test
  `test_committed_files_are_current` says when they need regenerating.
- Off study: palliative patient; open-close (date of surgery); the 11 who stopped after surgery
  (7-28 days after discharge). Patients who went on to adjuvant therapy or control patients after
  complete CRS-HIPEC have no off-study row; adjuvant stops are on the cycle rows.
- Windows: neoadjuvant start 5-26 days after randomisation (2 patients 29-35 days); surgery
  >= 6 weeks after the last bevacizumab for all, within 6 weeks after day 1 of the last cycle for
  25 (not for the 8 early CAPOX-B stoppers, whose last cycle carried bevacizumab, and 4 others);
  restaging CT 10-13 days after day 1 of cycle 3 (CAPOX-B, also after a switch) or 4, or of the
  last cycle at an early stop; adjuvant start 5-12 weeks after surgery (1 later than 12 weeks);
  control surgery 12-42 days after randomisation (3 at 44-58 days); cycles now and then a week
  late. Screening within 14 days before enrolment; eligibility assessed in between.
- Eligibility laboratory values are synthetic and normal; previous chemotherapy ends 4-7 months
  after diagnosis and at least 6 months (plus a margin) before enrolment.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the cohort and write it to --out."""
    parser = argparse.ArgumentParser(description="Build the SYNTHETIC CAIRO6 reference cohort.")
    parser.add_argument("--out", type=Path, default=Path("src/cairo6/studies/cairo6/data"))
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    tables = build(args.seed)
    for path in write(tables, args.out, seed=args.seed):
        print(path)
    return 0


def report(tables: Tables) -> Checker:
    """The checks of a built cohort (for tests and tools)."""
    return verify(tables)


if __name__ == "__main__":
    raise SystemExit(main())
