"""What people read on the pages: dates and times in their locale, labels instead of codes.

Dates and times are written as a `<time datetime="...">` element whose text is a readable,
unambiguous fallback made on the server ("3 Dec 2026, 15:02 UTC"); static/time.js rewrites it
with the browser's `Intl.DateTimeFormat`, so each user reads their own locale and time zone,
and a page without scripts still reads well.

The audit trail and the query lists keep codes (form ids, item ids, code-list values); the
functions here turn them into the labels of the study definition for display only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from cairo6.study.models import DataType
from cairo6.study.study import Study

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    # Stored times are UTC; a time without an offset is read as UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def day_text(day: dt.date) -> str:
    """A date people cannot misread whatever their convention: `3 Dec 2026`."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def moment_text(moment: dt.datetime) -> str:
    """A UTC time as `3 Dec 2026, 15:02 UTC`."""
    return f"{day_text(moment.date())}, {moment:%H:%M} UTC"


def when(value: Any) -> Markup:
    """A date and time (a datetime or ISO text) as a `<time>` the browser shows in its locale;
    text that is not a time is shown as it is."""
    if value is None or value == "":
        return Markup("—")
    moment = _as_datetime(value)
    if moment is None:
        return Markup(escape(str(value)))
    stamp = moment.isoformat().replace("+00:00", "Z")
    return Markup(f'<time datetime="{stamp}" data-local="datetime">{moment_text(moment)}</time>')


def day(value: Any) -> Markup:
    """A calendar date as a `<time>` the browser shows in its locale (no time zone shift)."""
    if value is None or value == "":
        return Markup("—")
    found = _as_date(value)
    if found is None:
        return Markup(escape(str(value)))
    return Markup(
        f'<time datetime="{found.isoformat()}" data-local="date">{day_text(found)}</time>'
    )


# --- labels for codes -------------------------------------------------------------------------

_TABLE_WORDS = {
    "participant": "Participant",
    "randomisation": "Allocation",
    "query": "Query",
    "screening": "Screening",
    "eligibility_assessment": "Eligibility assessment",
}


def item_label(study: Study | None, form_id: str, item_id: str) -> str:
    """An item's label ("Completeness of cytoreduction"), or its id when the study lacks it."""
    if study is None or not study.has_form(form_id):
        return item_id
    item = study.form(form_id).item(item_id)
    return item.label if item is not None else item_id


def where(study: Study | None, form_id: str, item_id: str) -> str:
    """Where a query or a problem sits, in labels: `Surgery · Completeness of cytoreduction`."""
    return f"{form_label(study, form_id)} · {item_label(study, form_id, item_id)}"


def form_label(study: Study | None, form_id: str) -> str:
    """A form's label, or its id when the study lacks it."""
    if study is None or not study.has_form(form_id):
        return form_id
    return study.form(form_id).label


def _value(study: Study | None, form_id: str | None, item_id: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')} {v}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return "; ".join(_value(study, form_id, item_id, v) for v in value) or "—"
    if study is not None and form_id and study.has_form(form_id):
        item = study.form(form_id).item(item_id)
        if item is not None and item.type is DataType.DATE:
            return day(value)
        if item is not None:
            return study.label_of(item, value)
    return str(value)


def audit_rows(study: Study | None, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Audit rows with what people read beside the codes: `record` (the form's label and
    record key, or the kind of record), `item` (an item's label) and `old_text`/`new_text`
    (code labels). The codes stay in the row for the data manager who needs them."""
    forms: dict[str, tuple[str, str]] = {}
    for row in rows:
        if row["table_name"] == "form_record" and row["field"] in ("form", "record_key"):
            form, key = forms.get(str(row["record_id"]), ("", ""))
            if row["field"] == "form" and row["new"] is not None:
                form = str(row["new"])
            elif row["field"] == "record_key" and row["new"] is not None:
                key = str(row["new"])
            forms[str(row["record_id"])] = (form, key)
    out = []
    for row in rows:
        form_id, key = forms.get(str(row["record_id"]), (None, ""))
        field = str(row["field"])
        if row["table_name"] == "form_record" and form_id:
            record = form_label(study, form_id)
            if key and study is not None and study.has_form(form_id):
                record += f" ({study.key_label(study.form(form_id), key)})"
            item_id = field.removeprefix("data.")
            item = item_label(study, form_id, item_id) if field.startswith("data.") else field
        else:
            record = _TABLE_WORDS.get(str(row["table_name"]), str(row["table_name"]))
            item_id, item = field, field.replace("_", " ")
        out.append(
            {
                **row,
                "record": record,
                "item": item,
                # The store's own columns of a form record (its id, key, version): kept for
                # the data manager, shown quieter than the items people entered.
                "bookkeeping": row["table_name"] == "form_record" and not field.startswith("data."),
                "old_text": _value(study, form_id, item_id, row["old"]),
                "new_text": _value(study, form_id, item_id, row["new"]),
            }
        )
    return out
