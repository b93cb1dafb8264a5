"""Checking the dates of the trial's own records (screening, eligibility, enrolment) against
the order of events, on first entry and import.

The rules are the protocol's `[[date_order]]` list; this module gathers the dates they read
for one participant (or one screening entry) from the store, puts the record being written in
place of its stored version, and refuses the record with the first date that breaks a rule,
naming the field, the value and what is allowed. No date of any record may lie in the future.
The order of a study's form records is the definition's edit checks (`checks.toml`), which the
record service runs; `[[date_order]]` rules naming a study's forms find no records here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Date

from cairo6.errors import InvalidValueError, ProtocolIssue
from cairo6.protocol import Protocol
from cairo6.protocol.date_order import (
    Dated,
    DateOrder,
    check_order,
    earlier_forms,
    required_first,
)
from cairo6.service.trial import Trial
from cairo6.store.engine import StoreSession
from cairo6.store.schema import Base, Participant, Screening


def _refuse(form: str, point: str, value: Any, allowed: str, why: str) -> InvalidValueError:
    name = point.split(".", 1)[1] if point.startswith(f"{form}.") else point
    shown = value.isoformat() if isinstance(value, dt.date) else value
    return InvalidValueError(f"{form}.{name}", shown, allowed, why)


_OWN: dict[str, type[Base]] = {"participant": Participant, "screening": Screening}
"""The trial's own records a `[[date_order]]` point may name (a study's forms are checked with
the study definition, `cairo6 study check`)."""


def unknown_points(protocol: Protocol) -> list[ProtocolIssue]:
    """Points of `[[date_order]]` on the trial's own records that name no date column."""
    known = {"accrual.start"} | {
        f"{form}.{column.key}"
        for form, table in _OWN.items()
        for column in table.__table__.columns
        if isinstance(column.type, Date)
    }
    own = {*_OWN, "accrual"}
    return [
        ProtocolIssue(
            f"date_order[{i}]",
            f"'{point}' is not a date of a form; allowed: form.field of a date field, "
            "or accrual.start",
        )
        for i, rule in enumerate(protocol.date_order)
        for point in (*rule.earlier, *rule.later)
        if point.split(".", 1)[0] in own and point not in known
    ]


def check_not_future(form: str, values: Mapping[str, Any], today: dt.date | None = None) -> None:
    """No date of a record may lie after today (a visit in 2099 is a typing error)."""
    today = today or dt.date.today()
    for name, value in values.items():
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and value > today:
            raise _refuse(
                form,
                f"{form}.{name}",
                value,
                f"a date up to today ({today.isoformat()})",
                "a date cannot lie in the future; check it against the source document",
            )


def _dated(point: str, row: Mapping[str, Any], written: bool) -> list[Dated]:
    value = row.get(point.split(".", 1)[1])
    return [Dated(point, value, row, written)] if isinstance(value, dt.date) else []


def _row_values(row: Base) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}  # type: ignore[attr-defined]


def _stored(
    session: StoreSession, form: str, person: Participant | None, screening: Screening | None
) -> list[dict[str, Any]]:
    """The stored record of the participant or screening entry (a study form: none here)."""
    del session  # the trial's own records are the ones passed in
    if form == "participant":
        return [_row_values(person)] if person is not None else []
    if form == "screening":
        return [_row_values(screening)] if screening is not None else []
    return []


def check_dates(
    trial: Trial,
    session: StoreSession,
    form: str,
    values: Mapping[str, Any],
    *,
    person: Participant | None = None,
    screening: Screening | None = None,
    record_id: int | None = None,
) -> None:
    """Refuse a record (new, or `record_id` changed to `values`) that breaks the order of events.

    `person` is the participant the record belongs to; `screening` a screening entry.
    """
    check_not_future(form, values)
    rules: list[DateOrder] = [r for r in trial.protocol.date_order if form in r.forms()]
    if not rules:
        return
    written = {**values, "id": record_id}
    stored: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        for name in rule.forms() - {"accrual"}:
            if name not in stored:
                rows = _stored(session, name, person, screening)
                if name == form:
                    rows = [r for r in rows if record_id is None or r.get("id") != record_id]
                stored[name] = rows
    for rule, point in required_first(rules, form, values):
        if not any(stored.get(name) for name in earlier_forms(rule)):
            raise _refuse(
                form,
                point,
                values.get(point.split(".", 1)[1]),
                f"only once {' or '.join(rule.earlier)} is recorded",
                rule.why,
            )
    dated: list[Dated] = []
    start = trial.protocol.accrual.start
    # In the rules' own order, so that the first problem reported is always the same one.
    points = dict.fromkeys(p for rule in rules for p in (*rule.earlier, *rule.later))
    for point in points:
        name = point.split(".", 1)[0]
        if point == "accrual.start":
            dated += [Dated(point, start)] if start is not None else []
            continue
        for row in stored.get(name, []):
            dated += _dated(point, row, written=False)
        if name == form:
            dated += _dated(point, written, written=True)
    problems = check_order(rules, dated)
    if problems:
        first = problems[0]
        raise _refuse(form, first.point, first.value, first.allowed, first.why)
