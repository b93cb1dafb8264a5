"""The trial record: SQLAlchemy tables, one per case report form.

Only what a person observes is stored; derived values (PCI total, length of stay, highest
Clavien-Dindo grade, macroscopic completeness) are computed when read. Each column's `info`
carries its label, unit and allowed values, from which the data dictionary, the CSV import
checks and the web forms are all generated, so the three cannot drift apart.
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

from cairo6.scoring.pci import Region

ROLES = (
    "administrator",
    "data_manager",
    "investigator",
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
PHASES = ("neoadjuvant", "adjuvant")
CLAVIEN_DINDO = ("I", "II", "IIIa", "IIIb", "IVa", "IVb", "V")
PATHOLOGY_SITES = ("peritoneal", "primary_tumour", "lymph_nodes", "overall")


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


class Baseline(Base):
    """Baseline characteristics (the paper's Table 1)."""

    __tablename__ = "baseline"
    __form__ = "baseline"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), unique=True)
    sex: Mapped[str] = mapped_column(String(8), info=field("Sex", allowed=("male", "female")))
    age_years: Mapped[int] = mapped_column(
        Integer, info=field("Age at enrolment", unit="years", minimum=18, maximum=100)
    )
    who_performance_status: Mapped[int] = mapped_column(
        Integer, info=field("WHO performance status", minimum=0, maximum=4)
    )
    primary_location: Mapped[str] = mapped_column(
        String(16),
        info=field(
            "Primary tumour location",
            allowed=("proximal_colon", "distal_colon", "rectum", "multiple"),
        ),
    )
    histology: Mapped[str] = mapped_column(
        String(16),
        info=field("Histology", allowed=("nonmucinous", "mucinous", "signet_ring")),
    )
    primary_status: Mapped[str] = mapped_column(
        String(16), info=field("Primary tumour status", allowed=("resected", "in_situ"))
    )
    t_category: Mapped[str] = mapped_column(
        String(4), info=field("T category", allowed=("T0", "T1", "T2", "T3", "T4"))
    )
    n_category: Mapped[str] = mapped_column(
        String(4), info=field("N category", allowed=("N0", "N1", "N2"))
    )
    previous_chemotherapy: Mapped[str] = mapped_column(
        String(24),
        info=field(
            "Previous systemic chemotherapy for colorectal cancer",
            allowed=("none", "adjuvant_fp_oxaliplatin", "adjuvant_fp_mono", "metastatic"),
        ),
    )
    previous_extraperitoneal_resection: Mapped[bool] = mapped_column(
        Boolean, info=field("Previous resection of extraperitoneal metastases")
    )
    onset: Mapped[str] = mapped_column(
        String(16), info=field("Onset of CPM", allowed=("synchronous", "metachronous"))
    )
    primary_diagnosis_date: Mapped[dt.date] = mapped_column(
        Date, info=field("Date of primary diagnosis")
    )
    pm_diagnosis_date: Mapped[dt.date] = mapped_column(
        Date, info=field("Date of diagnosis of peritoneal metastases")
    )
    baseline_pci: Mapped[int] = mapped_column(
        Integer, info=field("Baseline PCI", minimum=0, maximum=39)
    )
    pci_modality: Mapped[str] = mapped_column(
        String(16),
        info=field("Modality of baseline PCI", allowed=("laparoscopy", "laparotomy", "radiology")),
    )
    pci_centre: Mapped[str] = mapped_column(
        String(16),
        info=field("Centre of baseline PCI", allowed=("trial", "referring", "none")),
    )
    planned_hipec: Mapped[str] = mapped_column(
        String(16), info=field("Planned HIPEC", allowed=("mitomycin_c", "oxaliplatin"))
    )


class TreatmentCycle(Base):
    """One cycle of systemic therapy as given."""

    __tablename__ = "treatment_cycle"
    __form__ = "cycle"
    __table_args__ = (UniqueConstraint("participant_id", "phase", "cycle_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    phase: Mapped[str] = mapped_column(String(16), info=field("Phase", allowed=PHASES))
    regimen: Mapped[str] = mapped_column(String(32), info=field("Regimen (protocol id)"))
    cycle_number: Mapped[int] = mapped_column(
        Integer, info=field("Cycle number", minimum=1, maximum=24)
    )
    given_on: Mapped[dt.date] = mapped_column(Date, info=field("Day 1 of the cycle"))
    doses: Mapped[dict[str, Any]] = mapped_column(
        default=dict, info=field("Doses given per drug", unit="mg")
    )
    bevacizumab_given: Mapped[bool] = mapped_column(Boolean, info=field("Bevacizumab given"))
    dose_reduced: Mapped[bool] = mapped_column(Boolean, default=False, info=field("Reduced"))
    switched_from: Mapped[str | None] = mapped_column(
        String(32), info=field("Regimen switched from at this cycle")
    )
    switch_reason: Mapped[str | None] = mapped_column(Text, info=field("Reason for switch"))
    stopped_after: Mapped[bool] = mapped_column(
        Boolean, default=False, info=field("Treatment stopped after this cycle")
    )
    stop_reason: Mapped[str | None] = mapped_column(Text, info=field("Reason for stopping"))


class Restaging(Base):
    """Restaging CT after neoadjuvant therapy."""

    __tablename__ = "restaging"
    __form__ = "restaging"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), unique=True)
    ct_date: Mapped[dt.date] = mapped_column(Date, info=field("Date of restaging CT"))
    outcome: Mapped[str] = mapped_column(
        String(32),
        info=field(
            "Outcome",
            allowed=("systemic_progression", "peritoneal_progression_only", "stable_or_response"),
        ),
    )


class Surgery(Base):
    """CRS-HIPEC or open-close. PCI total and completeness are computed from what is here."""

    __tablename__ = "surgery"
    __form__ = "surgery"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), unique=True)
    surgery_date: Mapped[dt.date] = mapped_column(Date, info=field("Date of surgery"))
    procedure: Mapped[str] = mapped_column(
        String(16), info=field("Procedure", allowed=("crs_hipec", "crs_only", "open_close"))
    )
    open_close_reason: Mapped[str | None] = mapped_column(
        String(32),
        info=field(
            "Reason for open-close",
            allowed=("unresectable_pm", "unexpected_metastases", "other"),
        ),
    )
    pci_regions: Mapped[dict[str, Any]] = mapped_column(
        info=field(
            "Lesion-size score per PCI region (0-3)",
            allowed=tuple(r.id for r in Region),
        )
    )
    cc_score: Mapped[int | None] = mapped_column(
        Integer, info=field("Completeness of cytoreduction (CC-0..3)", minimum=0, maximum=3)
    )
    r_class: Mapped[str | None] = mapped_column(
        String(4), info=field("R classification (where used)", allowed=("R0", "R1", "R2"))
    )
    primary_tumour_resection: Mapped[bool] = mapped_column(
        Boolean, info=field("Primary tumour resected")
    )
    anastomosis: Mapped[bool] = mapped_column(Boolean, info=field("Bowel anastomosis"))
    ostomy: Mapped[bool] = mapped_column(Boolean, info=field("Ostomy formed"))
    operating_time_min: Mapped[int | None] = mapped_column(
        Integer, info=field("Operating time", unit="min", minimum=0, maximum=1440)
    )
    hipec_drug: Mapped[str] = mapped_column(
        String(16),
        info=field("HIPEC given", allowed=("mitomycin_c", "oxaliplatin", "none")),
    )


class Discharge(Base):
    """End of the initial hospital stay."""

    __tablename__ = "discharge"
    __form__ = "discharge"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), unique=True)
    discharge_date: Mapped[dt.date] = mapped_column(Date, info=field("Date of discharge"))


class Readmission(Base):
    """A readmission after discharge."""

    __tablename__ = "readmission"
    __form__ = "readmission"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    admitted_on: Mapped[dt.date] = mapped_column(Date, info=field("Date of readmission"))
    reason: Mapped[str] = mapped_column(Text, default="", info=field("Reason"))


class Reoperation(Base):
    """A reoperation after surgery."""

    __tablename__ = "reoperation"
    __form__ = "reoperation"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    reoperated_on: Mapped[dt.date] = mapped_column(Date, info=field("Date of reoperation"))
    indication: Mapped[str] = mapped_column(Text, info=field("Indication (adverse event)"))
    complication: Mapped[bool] = mapped_column(
        Boolean, default=True, info=field("For a postoperative complication")
    )


class Complication(Base):
    """A postoperative complication graded by Clavien-Dindo."""

    __tablename__ = "complication"
    __form__ = "complication"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    term: Mapped[str] = mapped_column(Text, info=field("Adverse event"))
    grade: Mapped[str] = mapped_column(
        String(8), info=field("Clavien-Dindo grade", allowed=CLAVIEN_DINDO)
    )
    onset_date: Mapped[dt.date | None] = mapped_column(Date, info=field("Date of onset"))


class Toxicity(Base):
    """A systemic-therapy-related adverse event graded by CTCAE v4.0."""

    __tablename__ = "toxicity"
    __form__ = "toxicity"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    term: Mapped[str] = mapped_column(Text, info=field("CTCAE term"))
    grade: Mapped[int] = mapped_column(Integer, info=field("CTCAE grade", minimum=1, maximum=5))
    phase: Mapped[str] = mapped_column(String(16), info=field("Phase", allowed=PHASES))
    onset_date: Mapped[dt.date | None] = mapped_column(Date, info=field("Date of onset"))


class RadiologyReview(Base):
    """Central radiology review at one time point: radiologic PCI and RECIST context."""

    __tablename__ = "radiology_review"
    __form__ = "radiology"
    __table_args__ = (UniqueConstraint("participant_id", "timepoint"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    timepoint: Mapped[str] = mapped_column(
        String(16), info=field("Time point", allowed=("baseline", "restaging"))
    )
    scan_date: Mapped[dt.date] = mapped_column(Date, info=field("Date of CT"))
    radiologic_pci: Mapped[int | None] = mapped_column(
        Integer, info=field("Radiologic PCI", minimum=0, maximum=39)
    )
    new_lesions: Mapped[bool] = mapped_column(Boolean, default=False, info=field("New lesions"))
    non_target_progression: Mapped[bool] = mapped_column(
        Boolean, default=False, info=field("Unequivocal non-target progression")
    )
    lesions: Mapped[list[Any]] = mapped_column(
        default=list,
        info=field("RECIST lesions: id, organ, lymph_node, diameter_mm", unit="mm"),
    )


class PathologyReview(Base):
    """Central pathology review of one site."""

    __tablename__ = "pathology_review"
    __form__ = "pathology"
    __table_args__ = (UniqueConstraint("participant_id", "site"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    site: Mapped[str] = mapped_column(String(16), info=field("Site", allowed=PATHOLOGY_SITES))
    evaluable: Mapped[bool] = mapped_column(Boolean, info=field("Evaluable"))
    not_evaluable_reason: Mapped[str | None] = mapped_column(
        Text, info=field("Reason not evaluable")
    )
    trg: Mapped[int | None] = mapped_column(
        Integer, info=field("Mandard TRG", minimum=1, maximum=5)
    )
    prgs: Mapped[list[Any]] = mapped_column(
        default=list, info=field("PRGS per biopsy (1-4)", minimum=1, maximum=4)
    )


class OffStudy(Base):
    """End of trial treatment or follow-up, with the reason."""

    __tablename__ = "off_study"
    __form__ = "off_study"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), unique=True)
    off_date: Mapped[dt.date] = mapped_column(Date, info=field("Date off study"))
    reason: Mapped[str] = mapped_column(
        String(32),
        info=field(
            "Reason",
            allowed=(
                "systemic_progression",
                "unresectable",
                "toxicity",
                "morbidity",
                "performance_status",
                "patient_request",
                "physician_decision",
                "palliative_care",
                "death",
                "other",
            ),
        ),
    )
    detail: Mapped[str] = mapped_column(Text, default="", info=field("Detail"))


class Deviation(Base):
    """A protocol deviation."""

    __tablename__ = "deviation"
    __form__ = "deviation"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    noted_on: Mapped[dt.date] = mapped_column(Date, info=field("Date noted"))
    category: Mapped[str] = mapped_column(
        String(32),
        info=field(
            "Category",
            allowed=("eligibility", "treatment", "window", "crossover", "other"),
        ),
    )
    description: Mapped[str] = mapped_column(Text, info=field("Description"))


class FollowUp(Base):
    """A follow-up visit, ready for survival analysis."""

    __tablename__ = "follow_up"
    __form__ = "follow_up"
    __table_args__ = (UniqueConstraint("participant_id", "visit_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date, info=field("Date of visit or contact"))
    vital_status: Mapped[str] = mapped_column(
        String(8), info=field("Vital status", allowed=("alive", "dead", "lost"))
    )
    death_date: Mapped[dt.date | None] = mapped_column(Date, info=field("Date of death"))
    recurrence: Mapped[bool] = mapped_column(
        Boolean, default=False, info=field("Recurrence or progression since the last visit")
    )
    recurrence_date: Mapped[dt.date | None] = mapped_column(
        Date, info=field("Date of recurrence or progression")
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


class Query(Base):
    """A data query raised by the trial office on one field."""

    __tablename__ = "data_query"
    __form__ = "query"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    form: Mapped[str] = mapped_column(String(32), info=field("Form"))
    record_id: Mapped[int | None] = mapped_column(Integer, info=field("Record id"))
    field_name: Mapped[str] = mapped_column(String(64), info=field("Field"))
    question: Mapped[str] = mapped_column(Text, info=field("Question"))
    status: Mapped[str] = mapped_column(
        String(16), info=field("Status", allowed=("open", "answered", "closed"))
    )
    raised_by: Mapped[str] = mapped_column(String(64), info=field("Raised by"))
    answer: Mapped[str | None] = mapped_column(Text, info=field("Answer"))


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


CLINICAL_FORMS = (
    "baseline",
    "cycle",
    "restaging",
    "surgery",
    "discharge",
    "readmission",
    "reoperation",
    "complication",
    "toxicity",
    "radiology",
    "pathology",
    "off_study",
    "deviation",
    "follow_up",
)
"""The case report forms recorded per participant, in the order of a participant's course."""
PARTICIPANT_FORMS = (*CLINICAL_FORMS, "query")
"""Everything kept per participant: the clinical forms and the data queries on them."""

FORM_TABLES: dict[str, type[Base]] = {
    cls.__form__: cls  # type: ignore[attr-defined]
    for cls in (
        Centre,
        User,
        Screening,
        Participant,
        EligibilityAssessment,
        Randomisation,
        Baseline,
        TreatmentCycle,
        Restaging,
        Surgery,
        Discharge,
        Readmission,
        Reoperation,
        Complication,
        Toxicity,
        RadiologyReview,
        PathologyReview,
        OffStudy,
        Deviation,
        FollowUp,
        Query,
    )
}
"""Every audited table by its form name."""


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
