"""Web inputs generated from a study definition's forms, and what comes back from them.

Each item's type, code list (people choose a label, the code is stored), range, unit, help
and widget come from forms.toml, so a page can only offer what the service will accept; the
service still checks everything, and every problem is shown at its item at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cairo6.errors import FieldProblem
from cairo6.study.models import DataType, Form, Item, Widget
from cairo6.study.study import Study
from cairo6.study.validate import LONG_CODELIST, allowed_text, stored
from cairo6.web import readable
from cairo6.web.fields import YES_NO, FieldSpec, parse_form, raw_values


def _asked_when(study: Study, form: Form, item: Item) -> str:
    """When a branching item is asked, in the words of the form (labels, not codes)."""
    rule = item.visible_when
    if rule is None:
        return ""
    other = form.item(rule.field or "")
    if other is not None and rule.op in ("eq", "ne") and not isinstance(rule.value, list):
        shown = study.label_of(other, rule.value)
        verb = "is" if rule.op == "eq" else "is not"
        return f"Only when {other.label} {verb} {shown}."
    return f"Only when {rule.describe()}."


def _spec(study: Study, form: Form, item: Item) -> FieldSpec:
    spec = _plain_spec(study, item)
    when = _asked_when(study, form, item)
    if not when:
        return spec
    # Required only when asked: no star, and the hint says when.
    hint = f"{when} {spec.hint}".strip()
    return replace(spec, required=False, hint=hint)


def _plain_spec(study: Study, item: Item) -> FieldSpec:
    hint = item.help or allowed_text(study, item)
    if item.widget is Widget.PCI_GRID:
        return FieldSpec(item.id, item.label, "pci", item.required, unit=item.unit, hint=hint)
    if item.widget is Widget.DOSES:
        return FieldSpec(item.id, item.label, "doses", item.required, unit=item.unit, hint=hint)
    if item.widget is Widget.LIST:
        return FieldSpec(item.id, item.label, "lesions", item.required, unit=item.unit, hint=hint)
    if item.repeated:
        return FieldSpec(item.id, item.label, "prgs", item.required, hint=hint)
    # A list or a date picker shows what is allowed; only the definition's help is added.
    if item.type is DataType.CODED:
        # A code retired by an amendment is no longer offered (records that hold it keep it).
        codes = study.codelist(item.codelist or "").current()
        options = tuple((c.value, c.label) for c in codes)
        # A terminology of hundreds of terms is searched by typing: the browser's own list
        # filters as one types, and the service refuses anything not on it with suggestions.
        widget = "search" if len(codes) > LONG_CODELIST else "select"
        hint = item.help or (
            allowed_text(study, item) + "; type to search" if widget == "search" else ""
        )
        return FieldSpec(item.id, item.label, widget, item.required, options, hint=hint)
    if item.type is DataType.BOOLEAN:
        return FieldSpec(item.id, item.label, "select", item.required, YES_NO, hint=item.help)
    if item.type is DataType.DATE:
        return FieldSpec(item.id, item.label, "date", item.required, hint=item.help)
    if item.type is DataType.DATETIME:
        return FieldSpec(item.id, item.label, "datetime", item.required, hint=item.help)
    if item.type in (DataType.INTEGER, DataType.DECIMAL):
        return FieldSpec(
            item.id,
            item.label,
            "number",
            item.required,
            minimum=item.min,
            maximum=item.max,
            step="1" if item.type is DataType.INTEGER else "any",
            unit=item.unit,
            hint=hint,
        )
    return FieldSpec(item.id, item.label, "text", item.required, hint=hint, maxlength=2000)


def record_fields(study: Study, form: Form) -> list[FieldSpec]:
    """The inputs of a form (derived items are computed, and items retired by an amendment no
    longer entered, so they have none; a record's page still shows their values)."""
    return [
        _spec(study, form, item)
        for item in form.items()
        if item.derived is None and not item.retired
    ]


def parse_record(
    study: Study, form: Form, raw: Mapping[str, str]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Entered text to the values the record service checks (empty inputs left out)."""
    data, problems = parse_form(record_fields(study, form), raw)
    return {k: v for k, v in data.items() if v not in ("", None, [], {})}, problems


def shown_values(study: Study, form: Form, values: Mapping[str, Any]) -> dict[str, str]:
    """A saved record as the text its inputs show (a searched term by its words)."""
    fields = record_fields(study, form)
    raw = raw_values(fields, {k: stored(v) for k, v in values.items()})
    for spec in fields:
        if spec.widget == "search" and raw.get(spec.name):
            raw[spec.name] = dict(spec.options).get(raw[spec.name], raw[spec.name])
    return raw


def _one_date(item: Item, value: Any) -> bool:
    return item.type is DataType.DATE and not isinstance(value, list | dict)


def display(study: Study, form: Form, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value people read) for every item with a value: labels, not codes; dates as
    `<time>` elements the browser shows in the reader's locale."""
    kept = {k: stored(v) for k, v in values.items()}
    items = [i for i in form.items() if kept.get(i.id) is not None]
    shown = study.shown(form, kept)
    return [
        (label, readable.day(kept[item.id]) if _one_date(item, kept[item.id]) else text)
        for item, (label, text) in zip(items, shown, strict=True)
    ]
