"""The data dictionary: every variable of the exchange files, generated from the models.

Entered variables come from the tables' column metadata (`schema.field`) and, for the
eligibility checklist, from the protocol's case-report fields; derived variables are listed
with what they are computed from, because they are never typed in and never imported. The CSV
import, the exports and `cairo6 dictionary` all read this one list, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, Date, Integer
from sqlalchemy.sql.schema import Column

from cairo6.protocol import CrfField, FieldType, Protocol
from cairo6.service.forms import CLINICAL_FORMS
from cairo6.service.validation import allowed_text, input_columns
from cairo6.store.schema import (
    CLAVIEN_DINDO,
    FORM_TABLES,
    Base,
    Centre,
    EligibilityAssessment,
    Participant,
    Randomisation,
    Screening,
)

VariableType = Literal["text", "integer", "float", "date", "boolean", "json"]

FILE_ORDER: tuple[str, ...] = (
    "centre",
    "screening",
    "eligibility",
    "randomisation",
    *CLINICAL_FORMS,
)
"""The forms of the exchange format, one CSV file each, in the order they are imported."""

DERIVED_FORM = "derived"
"""Participant-level values computed from the forms (shown in exports, never imported)."""


@dataclass(frozen=True)
class DictionaryEntry:
    """One variable: where it lives, what it means and what values it takes."""

    form: str
    variable: str
    label: str
    type: VariableType
    unit: str | None = None
    allowed: str = ""
    codes: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    derived_from: str | None = None

    @property
    def derived(self) -> bool:
        """Computed by the system rather than entered."""
        return self.derived_from is not None

    def as_dict(self) -> dict[str, Any]:
        """Plain data (codes as a list) for JSON output."""
        out = asdict(self)
        out["codes"] = list(self.codes)
        return out


def _column_type(column: Column[Any]) -> VariableType:
    kind = column.type
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, JSON):
        return "json"
    return "text"


def _json_allowed(table: type[Base], column: Column[Any]) -> str:
    # The annotation (Mapped[dict[...]] or Mapped[list[...]]) is the only place the shape lives.
    annotation = str(table.__annotations__.get(column.key, ""))
    shape = "JSON list" if "list[" in annotation else "JSON object"
    info = column.info
    text = shape
    if info.get("allowed"):
        text += " with keys " + ", ".join(info["allowed"])
    lo, hi = info.get("min"), info.get("max")
    if lo is not None and hi is not None:
        text += f"; values from {lo:g} to {hi:g}"
    return text


def _from_column(form: str, table: type[Base], column: Column[Any]) -> DictionaryEntry:
    info = column.info
    kind = _column_type(column)
    allowed = info.get("allowed")
    return DictionaryEntry(
        form=form,
        variable=column.key,
        label=str(info.get("label", column.key)),
        type=kind,
        unit=info.get("unit"),
        allowed=_json_allowed(table, column) if kind == "json" else allowed_text(column),
        codes=tuple(allowed) if allowed and kind != "json" else (),
        minimum=info.get("min"),
        maximum=info.get("max"),
        required=not column.nullable and column.default is None,
    )


def _from_field(spec: CrfField) -> DictionaryEntry:
    kinds: dict[FieldType, VariableType] = {
        FieldType.INTEGER: "integer",
        FieldType.NUMBER: "float",
        FieldType.BOOLEAN: "boolean",
        FieldType.CATEGORY: "text",
        FieldType.DATE: "date",
        FieldType.TEXT: "text",
    }
    label = spec.label
    if spec.form != "eligibility":
        # Fields the protocol files under another form are still entered on the checklist,
        # because the minimisation levels are derived from the latest assessment.
        label += f" (used for {spec.form})"
    return DictionaryEntry(
        form="eligibility",
        variable=spec.id,
        label=label,
        type=kinds[spec.type],
        unit=spec.unit,
        allowed=spec.allowed_text(),
        codes=tuple(spec.levels or ()),
        minimum=spec.min,
        maximum=spec.max,
    )


def _column(table: type[Base], key: str) -> Column[Any]:
    return table.__mapper__.columns[key]  # type: ignore[no-any-return]


def _key(form: str, variable: str, label: str, source: str) -> DictionaryEntry:
    return DictionaryEntry(
        form=form,
        variable=variable,
        label=f"{label} (as in {source})",
        type="text",
        allowed=f"a {variable.replace('_', ' ')} listed in {source} or already in the database",
        required=True,
    )


def _derived(protocol: Protocol) -> list[DictionaryEntry]:
    criteria = ", ".join(c.id for c in protocol.eligibility)
    return [
        DictionaryEntry(
            form="eligibility",
            variable="eligible",
            label="All eligibility criteria met",
            type="boolean",
            allowed="true or false",
            derived_from=f"the protocol's eligibility criteria ({criteria})",
        ),
        DictionaryEntry(
            form=DERIVED_FORM,
            variable="pci_total",
            label="Peritoneal cancer index at surgery (total)",
            type="integer",
            allowed="a whole number from 0 to 39",
            minimum=0,
            maximum=39,
            derived_from="surgery.pci_regions (sum of the 13 region scores)",
        ),
        DictionaryEntry(
            form=DERIVED_FORM,
            variable="macroscopic_complete",
            label="Macroscopically complete cytoreduction",
            type="boolean",
            allowed="true or false",
            derived_from="surgery.cc_score, surgery.r_class, surgery.procedure "
            "(CC-0, or R0/R1; never after open-close)",
        ),
        DictionaryEntry(
            form=DERIVED_FORM,
            variable="length_of_stay_days",
            label="Initial length of hospital stay",
            type="integer",
            unit="days",
            allowed="a whole number of days",
            minimum=0,
            derived_from="discharge.discharge_date - surgery.surgery_date",
        ),
        DictionaryEntry(
            form=DERIVED_FORM,
            variable="highest_clavien_dindo",
            label="Highest Clavien-Dindo grade of the postoperative complications",
            type="text",
            allowed="one of " + ", ".join(CLAVIEN_DINDO),
            codes=CLAVIEN_DINDO,
            derived_from="complication.grade (highest over the participant's complications)",
        ),
    ]


def _form_entries(protocol: Protocol, form: str) -> list[DictionaryEntry]:
    if form == "centre":
        return [_from_column(form, Centre, c) for c in input_columns(Centre)]
    if form == "screening":
        columns = [_from_column(form, Screening, c) for c in input_columns(Screening)]
        return [columns[0], _key(form, "centre", "Centre code", "centre.csv"), *columns[1:]]
    if form == "eligibility":
        assessed = _from_column(
            form, EligibilityAssessment, _column(EligibilityAssessment, "assessed_on")
        )
        return [
            _key(form, "screening_number", "Screening number", "screening.csv"),
            assessed,
            *(_from_field(spec) for spec in protocol.fields),
        ]
    if form == "randomisation":
        arms = tuple(a.id for a in protocol.arms)
        return [
            _from_column(form, Participant, _column(Participant, "study_number")),
            _key(form, "screening_number", "Screening number", "screening.csv"),
            _from_column(form, Participant, _column(Participant, "enrolled_on")),
            replace(
                _from_column(form, Randomisation, _column(Randomisation, "arm")),
                allowed="one of " + ", ".join(arms),
                codes=arms,
            ),
            replace(
                _from_column(form, Randomisation, _column(Randomisation, "allocated_at")),
                allowed="a date and time, ISO 8601 (e.g. 2018-01-10T09:30:00+00:00)",
            ),
            _from_column(form, Randomisation, _column(Randomisation, "deviation")),
        ]
    table = FORM_TABLES[form]
    entries = [_from_column(form, table, c) for c in input_columns(table)]
    if form == "cycle":
        # Regimen ids live in the protocol, not the schema, so another trial gets its own.
        regimens = tuple(r.id for r in protocol.regimens)
        allowed = "a regimen id of the protocol: " + ", ".join(regimens)
        entries = [
            replace(e, allowed=allowed, codes=regimens)
            if e.variable in ("regimen", "switched_from")
            else e
            for e in entries
        ]
    return [_key(form, "study_number", "Study number", "randomisation.csv"), *entries]


def dictionary(protocol: Protocol) -> list[DictionaryEntry]:
    """Every variable of every exchange file, in file and column order, then derived ones."""
    entries = [entry for form in FILE_ORDER for entry in _form_entries(protocol, form)]
    return entries + _derived(protocol)


def file_variables(protocol: Protocol) -> dict[str, list[DictionaryEntry]]:
    """The entered variables of each exchange file (its columns, in order), keyed by form."""
    return {form: _form_entries(protocol, form) for form in FILE_ORDER}
