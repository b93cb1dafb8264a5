"""Data exchange: the trial record as CSV files (import and export), Parquet and CDISC ODM 1.3.

The exchange format (also in docs/data-format.md; `cairo6 dictionary` lists every variable):

* A directory with one CSV file per form, UTF-8 (a byte-order mark is accepted), comma
  separated, with a header row naming the columns. Columns may come in any order; optional
  columns may be left out; unknown or repeated columns are refused.
* Cells: dates YYYY-MM-DD; booleans true/false; whole numbers without decimals; JSON columns
  (surgery.pci_regions, cycle.doses, radiology.lesions, pathology.prgs) as JSON text; an empty
  cell means "not entered" (the column's default applies where it has one).
* Files, imported in this order (each row may refer only to rows of earlier files or to records
  already in the database):

  - ``centre.csv``: code, name, started_recruiting. A centre already in the database is accepted
    when the row agrees with it.
  - ``screening.csv``: screening_number, centre, screened_on, approached,
    not_approached_reason, refused, refusal_reason, refusal_other.
  - ``eligibility.csv``: screening_number, assessed_on, then one column per case-report field
    of the protocol (its ``[[fields]]`` ids). One row per assessment; the latest counts.
  - ``randomisation.csv``: study_number, screening_number, enrolled_on, arm, allocated_at,
    deviation. Imported as trial history (allocations made elsewhere), in file order, which
    becomes the sequence order; a deviation given here is also recorded in the deviations.
  - ``<form>.csv`` for each clinical form, in the order of `forms.CLINICAL_FORMS`: study_number
    and the form's input columns. Adjuvant cycles (cycle.csv rows with phase adjuvant) are
    applied after surgery.csv, because they must follow the surgery.

* Not exchanged: user accounts (local to each installation), data queries (workflow state of
  one database), the audit trail, and derived values (computed, never typed in).

An import checks every row of every file before writing anything, then applies all rows in one
audited transaction through the same services as entry by hand; any refused row rejects the
whole import with `ImportRejectedError`, which lists every problem by file, row (the header is
row 1), field, value and reason. An export writes exactly this format, so exporting and
importing into an empty database gives the same files back; allocations then come back as
trial history, made by the importing user.
"""

from __future__ import annotations

from cairo6.service.dictionary import FILE_ORDER
from cairo6.service.exchange_csv import ImportProblem
from cairo6.service.exchange_export import export_csv, export_parquet
from cairo6.service.exchange_import import (
    ImportRejectedError,
    ImportSummary,
    Progress,
    import_directory,
)
from cairo6.service.exchange_odm import ODM_NS, export_odm

__all__ = [
    "FILE_ORDER",
    "ODM_NS",
    "ImportProblem",
    "ImportRejectedError",
    "ImportSummary",
    "Progress",
    "export_csv",
    "export_odm",
    "export_parquet",
    "import_directory",
]
