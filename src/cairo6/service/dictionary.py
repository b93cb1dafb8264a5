"""The data dictionary: every variable of the exchange files, generated from the definition.

The trial's own files (centres, screening log, eligibility checklist, randomisation) come from
the tables' column metadata (`schema.field`) and the protocol's case-report fields; the study's
forms come from its definition (`forms.toml`), one file per form. Derived variables are listed
with what they are computed from, because they are never typed in and never imported. The CSV
import, the exports and `cairo6 dictionary` all read this one list, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, Date, Integer
from sqlalchemy.sql.schema import Column

from cairo6.protocol import CrfField, FieldType, Protocol
from cairo6.service.validation import allowed_text, input_columns
from cairo6.store.schema import (
    Base,
    Centre,
    EligibilityAssessment,
    Participant,
    Randomisation,
    Screening,
)
from cairo6.study.models import DataType, Form, Item, Widget
from cairo6.study.study import Study
from cairo6.study.validate import allowed_text as item_allowed

VariableType = Literal["text", "integer", "float", "date", "boolean", "json"]

ENROLMENT_FILES: tuple[str, ...] = ("centre", "screening", "eligibility", "randomisation")
"""The trial's own exchange files, imported before the study's forms, in this order."""


def file_order(study: Study | None) -> tuple[str, ...]:
    """Every exchange file of a trial, in import order: its own files, then the study's forms."""
    return ENROLMENT_FILES + tuple(f.id for f in study.forms) if study else ENROLMENT_FILES


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
        )
    ]


_ITEM_TYPES: dict[DataType, VariableType] = {
    DataType.TEXT: "text",
    DataType.CODED: "text",
    DataType.INTEGER: "integer",
    DataType.DECIMAL: "float",
    DataType.DATE: "date",
    DataType.DATETIME: "text",
    DataType.BOOLEAN: "boolean",
}


def _from_item(study: Study, form: Form, item: Item) -> DictionaryEntry:
    json_cell = item.repeated or item.widget in (Widget.PCI_GRID, Widget.DOSES, Widget.LIST)
    derived = None
    if item.derived is not None:
        derived = f"{item.derived.function}({', '.join(item.derived.inputs.values())})"
    return DictionaryEntry(
        form=form.id,
        variable=item.id,
        label=item.label,
        type="json" if json_cell else _ITEM_TYPES[item.type],
        unit=item.unit,
        allowed=item_allowed(study, item) + (" (as JSON)" if json_cell else ""),
        codes=study.codelist(item.codelist).values() if item.codelist else (),
        minimum=item.min,
        maximum=item.max,
        required=item.required and item.visible_when is None,
        derived_from=derived,
    )


def form_entries(study: Study, form: Form) -> list[DictionaryEntry]:
    """The variables of a study form's file: the study number, then its items in order."""
    key = _key(form.id, "study_number", "Study number", "randomisation.csv")
    return [key, *(_from_item(study, form, item) for item in form.items())]


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
    raise ValueError(f"{form} is not one of the trial's own files")


def dictionary(protocol: Protocol, study: Study | None = None) -> list[DictionaryEntry]:
    """Every variable of every exchange file, in file and column order, then derived ones."""
    entries = [entry for form in ENROLMENT_FILES for entry in _form_entries(protocol, form)]
    forms = [entry for form in study.forms for entry in form_entries(study, form)] if study else []
    return entries + forms + _derived(protocol)


def file_variables(protocol: Protocol) -> dict[str, list[DictionaryEntry]]:
    """The entered variables of each of the trial's own files (its columns), keyed by file."""
    return {form: _form_entries(protocol, form) for form in ENROLMENT_FILES}


def exchange_variables(protocol: Protocol, study: Study | None) -> dict[str, list[DictionaryEntry]]:
    """The columns of every exchange file, in import order: the trial's own files, then each
    study form's input items (derived items are computed, never exchanged)."""
    variables = file_variables(protocol)
    if study is not None:
        for form in study.forms:
            variables[form.id] = [e for e in form_entries(study, form) if not e.derived]
    return variables
