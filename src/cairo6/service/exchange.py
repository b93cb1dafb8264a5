"""Data exchange: the trial record as CSV files (import and export), Parquet and CDISC ODM 1.3.

The exchange format (also in docs/data-format.md; `cairo6 dictionary` lists every variable):

* A directory with one CSV file per form, UTF-8 (a byte-order mark is accepted), comma
  separated, with a header row naming the columns. Columns may come in any order; optional
  columns may be left out; unknown or repeated columns are refused.
* Cells: dates YYYY-MM-DD; booleans true/false; whole numbers without decimals; codes (not
  labels) for coded items; items holding a list or a mapping (a PCI grid, doses, lesions) as
  JSON text; an empty cell means "not entered".
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
  - ``<form>.csv`` for each form of the study definition (`forms.toml`), in its order:
    study_number and the form's input items. Each row is saved as a form entered at a site,
    with every check of the definition; a row refused because a record of a later file is not
    there yet (a post-operative cycle before the operation) is tried again after every file.

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

from cairo6.service.dictionary import ENROLMENT_FILES, file_order
from cairo6.service.exchange_csv import ImportProblem
from cairo6.service.exchange_export import export_csv, export_parquet
from cairo6.service.exchange_import import (
    ImportRejectedError,
    ImportSummary,
    Progress,
    import_directory,
)

__all__ = [
    "ENROLMENT_FILES",
    "ImportProblem",
    "ImportRejectedError",
    "ImportSummary",
    "Progress",
    "export_csv",
    "export_parquet",
    "file_order",
    "import_directory",
]
