"""The trial record: SQLAlchemy tables of the trial itself and one table for every study's forms.

The trial's own tables (centres, users, screening, participants, eligibility, allocations,
queries) carry each column's label and allowed values in `info`, from which the data
dictionary and the exchange files are generated. The forms a study declares are kept in
`form_record`, one document per record, checked against the study definition; the first
release's per-form tables were moved into it by migration 0006.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = (
    "administrator",
    "data_manager",
    "investigator",
    "research_nurse",
    "radiology_reviewer",
    "pathology_reviewer",
    "statistician",
    "dmc_member",
    "monitor",
)
REFUSAL_REASONS = (
    "feared_adverse_effects",
    "feared_postponing_surgery",
    "feared_prolongation",
    "logistical",
    "other",
)


def field(
    label: str,
    *,
    unit: str | None = None,
    allowed: tuple[str, ...] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    derived_from: str | None = None,
) -> dict[str, Any]:
    """Column metadata for the data dictionary and for validation."""
    info: dict[str, Any] = {"label": label}
    if unit:
        info["unit"] = unit
    if allowed is not None:
        info["allowed"] = allowed
    if minimum is not None:
        info["min"] = minimum
    if maximum is not None:
        info["max"] = maximum
    if derived_from:
        info["derived_from"] = derived_from
    return info


class Base(DeclarativeBase):
    """Declarative base; `__form__` names the case report form a table holds."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Centre(Base):
    """A recruiting centre."""

    __tablename__ = "centre"
    __form__ = "centre"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, info=field("Centre code"))
    name: Mapped[str] = mapped_column(String(200), info=field("Centre name"))
    started_recruiting: Mapped[dt.date | None] = mapped_column(
        Date, info=field("Date the centre started recruiting")
    )


class User(Base):
    """A person who uses the system, with one role and, for site staff, one centre."""

    __tablename__ = "app_user"
    __form__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, info=field("Username"))
    full_name: Mapped[str] = mapped_column(String(200), default="", info=field("Full name"))
    role: Mapped[str] = mapped_column(String(32), info=field("Role", allowed=ROLES))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centre.id"))
    # Never in the trail (hashes are masked) or kept by the login code outside it: the audit
    # replay check skips columns marked `audited: False`.
    password_hash: Mapped[str | None] = mapped_column(String(255), info={"audited": False})
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, info={"audited": False})
    locked_until: Mapped[str | None] = mapped_column(String(40), info={"audited": False})


class Screening(Base):
    """The screening log: every potentially eligible patient, approached or not."""

    __tablename__ = "screening"
    __form__ = "screening"
    id: Mapped[int] = mapped_column(primary_key=True)
    screening_number: Mapped[str] = mapped_column(
        String(32), unique=True, info=field("Screening number")
    )
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    screened_on: Mapped[dt.date] = mapped_column(Date, info=field("Date screened"))
    approached: Mapped[bool] = mapped_column(Boolean, info=field("Approached for the trial"))
    not_approached_reason: Mapped[str | None] = mapped_column(
        Text, info=field("Why not approached (free text; 'unknown' allowed)")
    )
    refused: Mapped[bool | None] = mapped_column(Boolean, info=field("Refused participation"))
    refusal_reason: Mapped[str | None] = mapped_column(
        String(40), info=field("Main reason for refusal", allowed=REFUSAL_REASONS)
    )
    refusal_other: Mapped[str | None] = mapped_column(Text, info=field("Other reason, in words"))


class Participant(Base):
    """An enrolled patient, known only by a pseudonymous study number."""

    __tablename__ = "participant"
    __form__ = "participant"
    id: Mapped[int] = mapped_column(primary_key=True)
    study_number: Mapped[str] = mapped_column(String(32), unique=True, info=field("Study number"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screening.id"), unique=True)
    enrolled_on: Mapped[dt.date] = mapped_column(Date, info=field("Date of enrolment"))


class EligibilityAssessment(Base):
    """The eligibility checklist as entered, and the protocol's verdict on each criterion."""

    __tablename__ = "eligibility"
    __form__ = "eligibility"
    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screening.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date, info=field("Date assessed"))
    data: Mapped[dict[str, Any]] = mapped_column(info=field("Case-report fields entered"))
    verdicts: Mapped[dict[str, Any]] = mapped_column(
        info=field("Verdict per criterion (met, not_met, unknown) with the reason")
    )
    eligible: Mapped[bool] = mapped_column(Boolean, info=field("All criteria met"))


class Randomisation(Base):
    """An allocation. Written once, never changed."""

    __tablename__ = "randomisation"
    __form__ = "randomisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), unique=True)
    sequence_number: Mapped[int] = mapped_column(Integer, unique=True, info=field("Sequence"))
    arm: Mapped[str] = mapped_column(String(32), info=field("Allocated arm"))
    allocated_at: Mapped[str] = mapped_column(String(40), info=field("Time (UTC, ISO 8601)"))
    allocated_by: Mapped[str] = mapped_column(String(64), info=field("User who randomised"))
    levels: Mapped[dict[str, Any]] = mapped_column(info=field("Minimisation factor levels"))
    diagnostic: Mapped[dict[str, Any]] = mapped_column(info=field("Allocation diagnostic"))
    source: Mapped[str] = mapped_column(
        String(16), info=field("live or imported history", allowed=("live", "history"))
    )
    deviation: Mapped[str | None] = mapped_column(
        Text, info=field("Protocol deviation recorded at randomisation")
    )


class FormRecord(Base):
    """One record of a form declared by the study definition: its items as a typed document.

    The study definition (forms.toml) says which items a form has, their types, code lists and
    checks; the service validates every value against it before it is written, so the document
    holds only declared items with values of their declared type (dates as ISO text). One table
    serves every form of every study; the audit trail records each item's old and new value.
    """

    __tablename__ = "form_record"
    __table_args__ = (UniqueConstraint("participant_id", "form", "record_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    form: Mapped[str] = mapped_column(String(40), index=True)
    record_key: Mapped[str] = mapped_column(String(120), default="")
    """Empty for a once-per-participant form; the key items' values (or a number) otherwise."""
    data: Mapped[dict[str, Any]] = mapped_column()
    study_version: Mapped[int] = mapped_column(Integer, default=1)
    """The version of the study definition the record was entered under."""


QUERY_STATES = ("open", "answered", "closed")


class Query(Base):
    """A data query on one item of one form record of a participant.

    Its current state is kept here; every step (raised, answered, closed, re-opened) with who
    and when is a row of `query_event`, the query's thread. Added by migration 0008: the record
    key, and the time and person of the steps the lists show.
    """

    __tablename__ = "data_query"
    __form__ = "query"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    form: Mapped[str] = mapped_column(String(32), info=field("Form"))
    record_id: Mapped[int | None] = mapped_column(Integer, info=field("Record id"))
    field_name: Mapped[str] = mapped_column(String(64), info=field("Field"))
    question: Mapped[str] = mapped_column(Text, info=field("Question"))
    status: Mapped[str] = mapped_column(String(16), info=field("Status", allowed=QUERY_STATES))
    raised_by: Mapped[str] = mapped_column(String(64), info=field("Raised by"))
    answer: Mapped[str | None] = mapped_column(Text, info=field("Answer"))
    record_key: Mapped[str | None] = mapped_column(String(120), info=field("Record key"))
    raised_at: Mapped[str | None] = mapped_column(String(40), info=field("Raised at (UTC)"))
    answered_by: Mapped[str | None] = mapped_column(String(64), info=field("Answered by"))
    answered_at: Mapped[str | None] = mapped_column(String(40), info=field("Answered at (UTC)"))
    closed_by: Mapped[str | None] = mapped_column(String(64), info=field("Closed by"))
    closed_at: Mapped[str | None] = mapped_column(String(40), info=field("Closed at (UTC)"))
    close_note: Mapped[str | None] = mapped_column(Text, info=field("Closing note"))


class AuditRecord(Base):
    """One append-only, hash-chained audit record. The database refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = {"info": {"audited": False}}  # noqa: RUF012
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(40))
    participant: Mapped[str | None] = mapped_column(String(32), index=True)
    changes: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Meta(Base):
    """Facts about the database itself: the protocol it was created for."""

    __tablename__ = "trial_meta"
    __table_args__ = {"info": {"audited": False}}  # noqa: RUF012
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


SYSTEM_COLUMNS = frozenset({"id", "participant_id", "centre_id", "screening_id"})
"""Columns the system fills in itself; never taken from input."""


def input_columns(table: type[Base]) -> list[Column[Any]]:
    """Columns a user enters for this form, in table order."""
    columns = table.__mapper__.columns
    return [c for c in columns if c.key not in SYSTEM_COLUMNS and "label" in c.info]


FORM_TABLES: dict[str, type[Base]] = {
    cls.__form__: cls  # type: ignore[attr-defined]
    for cls in (
        Centre,
        User,
        Screening,
        Participant,
        EligibilityAssessment,
        Randomisation,
        Query,
    )
}
"""The trial's own audited tables by name (a study's forms live in `form_record`)."""


class WebSession(Base):
    """A signed-in web or API client. Only the SHA-256 of the session token is kept.

    Not trial data: rows are written with Core statements, which the audit hook does not see;
    logins, failures and logouts go into the audit trail as events instead. Times are UTC
    ISO 8601 text, as elsewhere in the store.
    """

    __tablename__ = "web_session"
    __table_args__ = {"info": {"audited": False}}  # noqa: RUF012
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))
    last_seen_at: Mapped[str] = mapped_column(String(40))


class NumberCounter(Base):
    """The next number to issue in one numbering scope (e.g. study numbers of one centre).

    Written with Core statements under the trial's write lock, in the transaction that uses
    the number; not trial data, so not audited (the numbers it issues are, where they are used).
    """

    __tablename__ = "number_counter"
    __table_args__ = {"info": {"audited": False}}  # noqa: RUF012
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer)


class LoginThrottle(Base):
    """Failed sign-ins counted per key: an account from one client, an account, a client.

    Not trial data: rows are written with Core statements (one atomic upsert per attempt, before
    the password is checked), so concurrent attempts can never be counted as fewer than they
    were. `since` starts the counting window; `locked_until` is set when a key's limit is
    reached. Times are UTC ISO 8601 text.
    """

    __tablename__ = "login_throttle"
    __table_args__ = {"info": {"audited": False}}  # noqa: RUF012
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    since: Mapped[str] = mapped_column(String(40))
    locked_until: Mapped[str | None] = mapped_column(String(40))


# --- P1 form lifecycle (migration 0007): steps of each form record, signatures, database lock.
# Append-only: each step is a new row (inserts need no reason, and the trail keeps every one);
# the state of a record is the fold of its steps, checked against the record's current data.


class RecordStep(Base):
    """One lifecycle step of a form record: complete, SDV marks, verify, freeze, lock and back.

    `data_hash` is the SHA-256 of the record as it was at the step, so a later change of the
    record shows that a verification no longer holds. `items` holds a verification's per-item
    marks: the item and the stored value the monitor checked against the source.
    """

    __tablename__ = "record_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("form_record.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    step: Mapped[str] = mapped_column(
        String(16),
        info=field(
            "Lifecycle step",
            allowed=("complete", "sdv", "verify", "freeze", "unfreeze", "lock", "unlock"),
        ),
    )
    data_hash: Mapped[str] = mapped_column(String(64), info=field("SHA-256 of the record"))
    items: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, info=field("Items verified against the source, with the value checked")
    )
    username: Mapped[str] = mapped_column(String(64), info=field("By"))
    role: Mapped[str] = mapped_column(String(32), info=field("Role"))
    at: Mapped[str] = mapped_column(String(40), info=field("When (UTC, ISO 8601)"))
    reason: Mapped[str | None] = mapped_column(Text, info=field("Reason"))


class Signature(Base):
    """An investigator's electronic signature of a visit (one record) or a whole casebook.

    The signed manifest (`records`: each record's id, form, key, SHA-256 and the audit sequence
    number of its latest version) and the printed name, meaning and time are hashed together
    in `manifest_hash` (21 CFR 11.50, 11.70): the signature is valid while every record it names
    still has that content.
    """

    __tablename__ = "signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    scope: Mapped[str] = mapped_column(
        String(16), info=field("What was signed", allowed=("visit", "casebook"))
    )
    record_id: Mapped[int | None] = mapped_column(Integer, info=field("Record (a visit)"))
    username: Mapped[str] = mapped_column(String(64), info=field("Signer's username"))
    printed_name: Mapped[str] = mapped_column(String(200), info=field("Signer's printed name"))
    role: Mapped[str] = mapped_column(String(32), info=field("Signer's role"))
    meaning: Mapped[str] = mapped_column(Text, info=field("Meaning of the signature"))
    signed_at: Mapped[str] = mapped_column(String(40), info=field("Signed at (UTC, ISO 8601)"))
    records: Mapped[list[Any]] = mapped_column(JSON, info=field("Records signed, with hashes"))
    manifest_hash: Mapped[str] = mapped_column(String(64), info=field("SHA-256 of the manifest"))


class DatabaseLock(Base):
    """A lock or unlock of the whole database; the latest row is in force."""

    __tablename__ = "database_lock"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(
        String(8), info=field("Lock or unlock", allowed=("lock", "unlock"))
    )
    username: Mapped[str] = mapped_column(String(64), info=field("By"))
    role: Mapped[str] = mapped_column(String(32), info=field("Role"))
    at: Mapped[str] = mapped_column(String(40), info=field("When (UTC, ISO 8601)"))
    reason: Mapped[str] = mapped_column(Text, info=field("Reason"))


# --- P3 safety: serious-adverse-event reports to the sponsor and their e-mail notices --------


class SaeReport(Base):
    """A report of a serious adverse event sent by the site to the sponsor: the initial report
    (due within the study's hours of awareness) or a follow-up (due every few days until one
    is final). The event itself is its form record; the report says what was reported when."""

    __tablename__ = "sae_report"
    __table_args__ = (UniqueConstraint("record_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("form_record.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, info=field("Report number (1 = initial)"))
    kind: Mapped[str] = mapped_column(
        String(16), info=field("Kind", allowed=("initial", "follow_up"))
    )
    final: Mapped[bool] = mapped_column(Boolean, default=False, info=field("Final report"))
    narrative: Mapped[str] = mapped_column(Text, info=field("Narrative"))
    submitted_by: Mapped[str] = mapped_column(String(64), info=field("Submitted by"))
    submitted_at: Mapped[str] = mapped_column(String(40), info=field("Submitted at (UTC)"))


class SaeNotice(Base):
    """One e-mail notification about a serious adverse event, attempted after the event or
    report was committed: whether it went, and if not, why (the event is never lost when the
    mail server is down; the overdue clock still runs on the dashboard)."""

    __tablename__ = "sae_notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("form_record.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(Integer, info=field("Report id"))
    subject: Mapped[str] = mapped_column(Text, info=field("Subject"))
    recipients: Mapped[str] = mapped_column(Text, info=field("Recipients"))
    status: Mapped[str] = mapped_column(
        String(16), info=field("Status", allowed=("sent", "failed", "not_configured"))
    )
    detail: Mapped[str] = mapped_column(Text, default="", info=field("Detail"))
    attempted_at: Mapped[str] = mapped_column(String(40), info=field("Attempted at (UTC)"))


# --- P2 queries: the thread of a data query -------------------------------------------------


class QueryEvent(Base):
    """One step of a data query: raised, answered, closed or re-opened, by whom and when.

    Rows are only ever added (the thread is the query's history); the audit trail records each
    insert like any other trial data.
    """

    __tablename__ = "query_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("data_query.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    step: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)


# --- P5 amendments: the versions of the study definition -------------------------------------


class StudyVersion(Base):
    """One version of the study definition the trial runs under: version 1 is the definition
    bound at creation, each protocol amendment adds the next. Written once, never changed; the
    audit trail records who added it, when and why.

    The version in force on a day is the highest-numbered one whose `effective_on` is on or
    before it (version 1 before any); records keep the version they were entered under
    (`form_record.study_version`), allocations theirs (`diagnostic.study_version`).
    """

    __tablename__ = "study_version"
    __form__ = "study_version"
    number: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, info=field("Version number")
    )
    files: Mapped[dict[str, Any]] = mapped_column(info=field("Definition files (name -> text)"))
    sha256: Mapped[str] = mapped_column(String(64), info=field("SHA-256 of the definition's files"))
    effective_on: Mapped[dt.date] = mapped_column(Date, info=field("Effective from"))
    reason: Mapped[str] = mapped_column(Text, info=field("Reason for the amendment"))
    created_by: Mapped[str] = mapped_column(String(64), info=field("Recorded by"))
    created_at: Mapped[str] = mapped_column(String(40), info=field("Recorded at (UTC, ISO 8601)"))
