"""A participant's casebook as it is printed: the content, already in the words people read.

Built by `cairo6.service.casebook` from the trial record and printed by
`cairo6.report.casebook_pdf`; nothing here reads a database or computes a clinical value. Every
value is text: labels instead of codes, units attached, dates as the record holds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NOT_ENTERED = "—"
"""What an item without a value shows."""
STAMP = "%Y-%m-%d %H:%M:%S UTC"
"""How a moment is printed (always UTC)."""


@dataclass(frozen=True)
class Step:
    """One step of a record's life (entered, changed, completed, verified, signed, ...)."""

    name: str
    by: str
    at: str
    note: str = ""


@dataclass(frozen=True)
class RecordStatus:
    """Where a record stands in the form lifecycle, who moved it there and when."""

    status: str
    steps: tuple[Step, ...] = ()
    verified_items: frozenset[str] = frozenset()
    """Item ids the monitor marked as verified against the source (per-item SDV)."""


@dataclass(frozen=True)
class Signature:
    """An investigator's electronic signature as 21 CFR 11.50 asks it to be shown."""

    printed_name: str
    username: str
    meaning: str
    signed_at: str
    scope: str
    valid: bool
    voided_why: str = ""


@dataclass(frozen=True)
class ItemLine:
    """One item of a record: its label, what it holds and its queries (its SDV mark is in the
    record's status)."""

    item_id: str
    label: str
    value: str
    queries: tuple[str, ...] = ()
    """The numbers of the queries raised on this item (`Q12 open`)."""


@dataclass(frozen=True)
class ItemGroupLines:
    """Items asked together, under the group's label (empty for an unnamed group)."""

    label: str
    items: tuple[ItemLine, ...]


@dataclass(frozen=True)
class RecordPage:
    """One record of a form, every item of the form shown, with its status."""

    record_id: int
    title: str
    study_version: int
    status: RecordStatus
    groups: tuple[ItemGroupLines, ...]


@dataclass(frozen=True)
class FormSection:
    """A form of the study and the participant's records of it (none: not entered)."""

    form_id: str
    label: str
    description: str
    repeating: bool
    records: tuple[RecordPage, ...]


@dataclass(frozen=True)
class Criterion:
    """An eligibility criterion as assessed, in words a clinician reads."""

    kind: str
    text: str
    verdict: str
    explanation: str


@dataclass(frozen=True)
class Eligibility:
    """The screening entry and the eligibility assessment that led to enrolment."""

    screening_number: str
    screened_on: str
    assessed_on: str
    eligible: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Allocation:
    """The randomisation, for a reader allowed to see the arm."""

    arm: str
    sequence_number: int
    allocated_at: str
    allocated_by: str
    levels: tuple[tuple[str, str], ...]
    deviation: str = ""


@dataclass(frozen=True)
class QueryStep:
    """One step of a query's thread, from the audit trail."""

    at: str
    by: str
    what: str
    text: str


@dataclass(frozen=True)
class QueryThread:
    """A data query: where it points, where it stands, and its whole thread."""

    number: int
    form: str
    record: str
    item: str
    status: str
    question: str
    answer: str
    steps: tuple[QueryStep, ...]


@dataclass(frozen=True)
class Change:
    """One field an audit record changed, named and valued as people read them."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditLine:
    """One audit record: who did what to which record, when and why, and every field it
    changed."""

    seq: int
    at: str
    by: str
    action: str
    record: str
    changes: tuple[Change, ...]
    reason: str


@dataclass(frozen=True)
class Casebook:
    """Everything one participant's printed casebook holds."""

    study_id: str
    study_title: str
    study_number: str
    centre_code: str
    centre_name: str
    enrolled_on: str
    printed_at: str
    printed_by: str
    database_state: str
    """`not locked (interim)`, or the lock with its time, from the form lifecycle."""
    audit_head: str
    """The last audit record the casebook includes, with its hash: ties the print to the chain."""
    allocation: Allocation | None
    eligibility: Eligibility | None
    signatures: tuple[Signature, ...]
    forms: tuple[FormSection, ...]
    queries: tuple[QueryThread, ...]
    audit: tuple[AuditLine, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def records(self) -> int:
        """How many records the casebook prints."""
        return sum(len(f.records) for f in self.forms)

    @property
    def open_queries(self) -> int:
        """Queries not closed."""
        return sum(1 for q in self.queries if q.status != "closed")


@dataclass(frozen=True)
class CentreBooks:
    """A centre's casebooks, one per participant in study-number order, read at one moment."""

    code: str
    name: str
    study_id: str
    printed_at: str
    printed_by: str
    books: tuple[Casebook, ...]
