"""The data dictionary of a study, generated from its definition: one row per item."""

from __future__ import annotations

from dataclasses import dataclass

from cairo6.study.models import Item
from cairo6.study.study import Study
from cairo6.study.validate import allowed_text


@dataclass(frozen=True)
class DictionaryRow:
    """One item as a data manager reads it."""

    form: str
    item: str
    label: str
    type: str
    unit: str
    allowed: str
    required: bool
    asked_when: str
    derived_from: str
    help: str


COLUMNS = (
    "form",
    "item",
    "label",
    "type",
    "unit",
    "allowed",
    "required",
    "asked_when",
    "derived_from",
    "help",
)


def dictionary(study: Study) -> list[DictionaryRow]:
    """Every item of every form, in form order."""
    rows = []
    for form in study.forms:
        for item in form.items():
            derived = ""
            if item.derived is not None:
                inputs = ", ".join(item.derived.inputs.values())
                derived = f"{item.derived.function}({inputs})"
            rows.append(
                DictionaryRow(
                    form=form.id,
                    item=item.id,
                    label=item.label,
                    type=item.type.value + (" (list)" if item.repeated else ""),
                    unit=item.unit or "",
                    allowed=allowed_text(study, item) + _retired_codes(study, item),
                    required=item.required,
                    asked_when=item.visible_when.describe() if item.visible_when else "",
                    derived_from=derived,
                    help=_retired_note(form.retired or item.retired) + item.help,
                )
            )
    return rows


def _retired_codes(study: Study, item: Item) -> str:
    """Codes retired by an amendment: no longer entered, still found in earlier records."""
    if not item.codelist:
        return ""
    gone = [c for c in study.codelist(item.codelist).codes if c.retired]
    if not gone:
        return ""
    return "; retired (earlier records only): " + ", ".join(f"{c.value} ({c.label})" for c in gone)


RETIRED = "Retired by a protocol amendment: earlier records only, no longer entered. "


def _retired_note(retired: bool) -> str:
    return RETIRED if retired else ""
