"""JSON Schema of a form's record, generated from the study definition (for the API and for
anyone who builds an import against it). Code lists become enums with their labels kept as
`x-labels`; branching and derived items are described, since JSON Schema cannot decide them."""

from __future__ import annotations

from typing import Any

from cairo6.study.models import DataType, Form, Item, Widget
from cairo6.study.study import Study

_TYPES: dict[DataType, dict[str, Any]] = {
    DataType.TEXT: {"type": "string"},
    DataType.INTEGER: {"type": "integer"},
    DataType.DECIMAL: {"type": "number"},
    DataType.DATE: {"type": "string", "format": "date"},
    DataType.DATETIME: {"type": "string", "format": "date-time"},
    DataType.BOOLEAN: {"type": "boolean"},
}


def _item_schema(study: Study, item: Item) -> dict[str, Any]:
    if item.type is DataType.CODED:
        codes = study.codelist(item.codelist or "").codes
        base: dict[str, Any] = {
            "type": "string",
            "enum": [c.value for c in codes],
            "x-labels": {c.value: c.label for c in codes},
        }
    else:
        base = dict(_TYPES[item.type])
        if item.min is not None:
            base["minimum"] = item.min
        if item.max is not None:
            base["maximum"] = item.max
    if item.widget in (Widget.PCI_GRID, Widget.DOSES):
        base = {"type": "object", "additionalProperties": base}
    elif item.widget is Widget.LIST:
        base = {"type": "array", "items": {"type": "object"}}
    elif item.repeated:
        base = {"type": "array", "items": base}
    description = item.help
    if item.unit:
        description = f"{description} Unit: {item.unit}.".strip()
    if item.visible_when is not None:
        description = f"{description} Asked only when {item.visible_when.describe()}.".strip()
    if item.derived is not None:
        base["readOnly"] = True
        description = f"{description} Computed by {item.derived.function}.".strip()
    out = {"title": item.label, **base}
    if description:
        out["description"] = description
    return out


def form_json_schema(study: Study, form: Form) -> dict[str, Any]:
    """The JSON Schema of one record of the form."""
    items = form.items()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": form.label,
        "description": form.description,
        "type": "object",
        "additionalProperties": False,
        "properties": {item.id: _item_schema(study, item) for item in items},
        "required": [i.id for i in items if i.required and i.visible_when is None],
    }
