"""A form record's document from values given whole (a row of an older table, a bulk cohort).

The service builds documents one save at a time (`service.records`). Two other writers build
them in bulk, from values that were checked when they were first entered: migration 0006, which
moves rows of the first release's per-form tables into `form_record`, and the large SYNTHETIC
cohorts of the benchmarks. Both need what a save adds to the entered values, the derived items
and the record key, computed the same way; this module is that small, stable piece. Values are
kept as given (an entered value is history, never re-judged), only made JSON-safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cairo6.study.models import Form
from cairo6.study.study import Study
from cairo6.study.validate import stored, typed_record, validate_record


def entered(form: Form, values: Mapping[str, Any]) -> dict[str, Any]:
    """The form's entered (not derived) items that have a value, as the document keeps them."""
    return {
        item.id: stored(values[item.id])
        for item in form.items()
        if item.derived is None and values.get(item.id) is not None
    }


def context_of(study: Study, documents: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What derivations read from a participant's once-per-participant records (`form.item`),
    typed as a save reads them; `documents` maps form id to its one document."""
    context: dict[str, Any] = {}
    for form_id, document in documents.items():
        if study.has_form(form_id):
            for key, value in typed_record(study, study.form(form_id), document).items():
                context[f"{form_id}.{key}"] = value
    return context


def with_derived(
    study: Study, form: Form, document: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, Any]:
    """The document with its derived items, computed from its own items and `context`."""
    derived = [item.id for item in form.items() if item.derived is not None]
    if not derived:
        return dict(document)
    typed = typed_record(study, form, document)
    values = validate_record(study, form, typed, context).values
    return {**document, **{k: stored(values[k]) for k in derived if values.get(k) is not None}}


def record_keys(form: Form, documents: Iterable[Mapping[str, Any]]) -> list[str]:
    """Record keys of one participant's records of a form, in entry order, as saves give them:
    empty for a once-per-participant form, the key items' values joined by '/', else 1, 2, ..."""
    if not form.repeating:
        return ["" for _ in documents]
    if form.key_items:
        return ["/".join(str(d.get(k, "")) for k in form.key_items) for d in documents]
    return [str(number) for number, _ in enumerate(documents, start=1)]
