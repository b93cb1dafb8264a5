"""Screening-log rows of an import, checked one by one and written in bulk.

A screening log can hold a hundred thousand rows. Each row gets every check that
`enrolment.add_screening_in` makes, raising the same error for the same row: what the row says
on its own (`prepare`, outside the writer lock), then what depends on the database (`add`:
the centre, the actor's right to screen there, a number already in use). The rows accepted are
written together by `flush` with one executemany and their audit records in bulk; the counters
of imported numbers move as one reservation per row would move them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from cairo6.errors import Cairo6Error, StateError
from cairo6.service.enrolment import SCREENING_NUMBERS, _check_screening
from cairo6.service.event_order import check_dates
from cairo6.service.exchange_csv import CsvRow
from cairo6.service.import_write import insert_audited
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial, centre_by_code
from cairo6.store import numbering
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import Centre, Screening


def prepare(
    trial: Trial,
    session: StoreSession,
    row: CsvRow,
    memo: dict[tuple[Any, ...], Cairo6Error | None] | None = None,
) -> dict[str, Any] | Cairo6Error:
    """The row's values as `add_screening_in` cleans them, or the error it would raise before
    reading the database (the record's own values and dates; a screening entry's order of
    events reads nothing stored).

    The row's values are already the output of `clean_form` on the same table (`_check_row`),
    and cleaning a screening entry's clean values gives them back unchanged, so they are not
    cleaned twice.
    """
    values = {k: x for k, x in row.values.items() if k != "centre"}
    try:
        _check_screening(values)
        _check_dates(trial, session, values, memo)
    except Cairo6Error as exc:
        return exc
    return values


def _check_dates(
    trial: Trial,
    session: StoreSession,
    values: dict[str, Any],
    memo: dict[tuple[Any, ...], Cairo6Error | None] | None,
) -> None:
    """`check_dates` of a new screening entry, which reads only the entry's own values: rows
    that differ only in their (unique) number get the same answer, found once. The number is
    left out of the key only when no rule of the order of events names it."""
    if memo is None:
        check_dates(trial, session, "screening", values)
        return
    key = tuple(sorted((k, repr(v)) for k, v in values.items() if k != "screening_number"))
    if key not in memo:
        try:
            check_dates(trial, session, "screening", values)
            memo[key] = None
        except Cairo6Error as exc:
            memo[key] = exc
    found = memo[key]
    if found is not None:
        raise found.with_traceback(None)  # the same error for each row, without a growing trace


def date_memo(trial: Trial) -> dict[tuple[Any, ...], Cairo6Error | None] | None:
    """A memo for `prepare`, or None when a rule of the order of events reads the number."""
    for rule in trial.protocol.date_order:
        named = {*rule.earlier, *rule.later, *rule.earlier_when, *rule.later_when}
        if any("screening_number" in name for name in named):
            return None
    return {}


@dataclass
class ScreeningBatch:
    """Screening rows accepted so far and not yet written, with what `add` needs to know."""

    actor: Actor
    reason: str | None
    prepared: Mapping[int, dict[str, Any] | Cairo6Error]
    """Per row number, what `prepare` found."""
    pending: list[tuple[CsvRow, dict[str, Any]]] = field(default_factory=list)
    _centres: dict[str, Centre] = field(default_factory=dict)
    _numbers: set[str] | None = None

    def add(self, session: StoreSession, row: CsvRow) -> bool:
        """Check one row as `add_screening_in` would; raise its error, or keep it to write."""
        found = self.prepared[row.number]
        if isinstance(found, Cairo6Error):
            raise found
        code = row.values["centre"]
        centre = self._centres.get(code)
        if centre is None:
            centre = self._centres[code] = centre_by_code(session, code)
        require(self.actor, Action.SCREEN, centre.id)
        if self._numbers is None:
            self._numbers = set(session.scalars(select(Screening.screening_number)))
        number = found["screening_number"]
        if number in self._numbers:
            raise StateError(f"screening number {number} already exists", "use a new number")
        self._numbers.add(number)
        self.pending.append((row, {"centre_id": centre.id, **found}))
        return True

    def flush(self, session: StoreSession) -> list[CsvRow]:
        """Write the pending rows, audited; return them. Raises what the database refuses."""
        if not self.pending:
            return []
        rows = [values for _, values in self.pending]
        for number in _highest_per_scope(values["screening_number"] for values in rows):
            numbering.reserve(session, SCREENING_NUMBERS, number, lambda: _stored(session))
        insert_audited(session, self.actor, Screening, rows, reason=self.reason)
        written = [row for row, _ in self.pending]
        self.pending = []
        return written

    def forget(self) -> list[CsvRow]:
        """Drop the pending rows (their write failed); return them to be applied one by one."""
        rows = [row for row, _ in self.pending]
        self.pending = []
        self._numbers = None
        return rows


def _stored(session: StoreSession) -> Iterable[str]:
    return session.scalars(select(Screening.screening_number))


def _highest_per_scope(numbers: Iterable[str]) -> list[str]:
    """Per numbering scope, the highest imported number: reserving it moves the scope's counter
    exactly as reserving every number of the scope in turn would."""
    highest: dict[str, tuple[int, str]] = {}
    for number in numbers:
        parsed = SCREENING_NUMBERS.parse(number)
        if parsed is not None and parsed[1] > highest.get(parsed[0], (-1, ""))[0]:
            highest[parsed[0]] = (parsed[1], number)
    return [number for _, number in highest.values()]
