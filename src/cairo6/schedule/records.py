"""Read a course from a study's records: the items the protocol names, not fixed column names.

The protocol's `[cycle_record]`, `[index_procedure]` and `[assessment]` say which form and items
hold a cycle given, the index procedure (its date and whether it was complete) and the response
assessment. Values arrive as the form store keeps them (dates as ISO text, booleans, integers)
or as an extract gives them (datetime, numpy scalars, NaN/NaT for missing); both read the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cairo6.protocol import CycleRecord, Phase, Protocol
from cairo6.schedule.course import Course, CycleGiven, EarlyStop, Procedure, Switch, Treatment

__all__ = ["CycleFact", "course_from_records", "cycle_fact", "treatment_from"]

Document = Mapping[str, Any]
"""One form record: item id -> value."""


def _plain(value: object) -> object:
    """None for a missing value (None, NaN, NaT); numpy scalars as Python values."""
    if value is None:
        return None
    if value != value:  # NaN and NaT are the values unequal to themselves
        return None
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | dt.date):
        return item()
    return value


def _date(value: object) -> dt.date | None:
    value = _plain(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _text(value: object) -> str:
    value = _plain(value)
    return value if isinstance(value, str) else ""


def _flag(value: object) -> bool | None:
    value = _plain(value)
    return value if isinstance(value, bool) else None


def _get(doc: Document, item: str) -> object:
    return doc.get(item) if item else None


@dataclass(frozen=True)
class CycleFact:
    """One cycle as recorded, in the schedule's terms."""

    phase: str
    number: int
    day1: dt.date
    regimen: str
    antiangiogenic: bool | None = None
    reduced_dose: bool = False
    switch_from: str = ""
    switch_why: str = ""
    stopped: bool = False
    stop_why: str = ""


def cycle_fact(spec: CycleRecord, doc: Document) -> CycleFact | None:
    """A cycle record read through the protocol's `[cycle_record]`; None when its number or
    date is missing (the course cannot be dated then)."""
    number = _plain(doc.get(spec.number_item))
    day1 = _date(doc.get(spec.date_item))
    if day1 is None or isinstance(number, bool) or not isinstance(number, int | float):
        return None
    return CycleFact(
        phase=_text(doc.get(spec.phase_item)),
        number=int(number),
        day1=day1,
        regimen=_text(doc.get(spec.regimen_item)),
        antiangiogenic=_flag(_get(doc, spec.antiangiogenic_item)),
        reduced_dose=_flag(_get(doc, spec.reduced_dose_item)) is True,
        switch_from=_text(_get(doc, spec.switch_from_item)),
        switch_why=_text(_get(doc, spec.switch_why_item)),
        stopped=_flag(_get(doc, spec.stopped_item)) is True,
        stop_why=_text(_get(doc, spec.stop_why_item)),
    )


def treatment_from(cycles: Iterable[CycleFact]) -> Treatment | None:
    """One phase of a course from its cycle records (None if none was recorded).

    The phase starts with the regimen the first cycle was switched from, if any; the first
    cycle that records a switch or a stop gives the switch (from its number on) or the stop
    (after it).
    """
    ordered = sorted(cycles, key=lambda c: c.number)
    if not ordered:
        return None
    switch = next(
        (Switch(c.number, c.regimen, c.switch_why) for c in ordered if c.switch_from), None
    )
    stop = next((EarlyStop(c.number, c.day1, c.stop_why) for c in ordered if c.stopped), None)
    given = tuple(
        CycleGiven(
            number=c.number,
            day1=c.day1,
            regimen=c.regimen,
            antiangiogenic=c.antiangiogenic,
            reduced_dose=c.reduced_dose,
        )
        for c in ordered
    )
    start = ordered[0].switch_from or ordered[0].regimen
    return Treatment(regimen=start, cycles=given, switch=switch, stop=stop)


def _first(records: Mapping[str, Sequence[Document]], form: str) -> Document | None:
    found = records.get(form) if form else None
    return found[0] if found else None


def course_from_records(
    protocol: Protocol,
    arm: str,
    randomised: dt.date,
    records: Mapping[str, Sequence[Document]],
) -> Course:
    """A participant's course from their records (form id -> documents), read through the
    protocol's declarations. A cycle without a number or date is left out; a study that
    declares no `[cycle_record]` has no treatment phases."""
    by_phase: dict[str, list[CycleFact]] = {Phase.NEOADJUVANT: [], Phase.ADJUVANT: []}
    spec = protocol.cycle_record
    if spec is not None:
        for doc in records.get(spec.form, ()):
            fact = cycle_fact(spec, doc)
            if fact is not None and fact.phase in by_phase:
                by_phase[fact.phase].append(fact)
    index = protocol.index_procedure
    done = _first(records, index.form)
    day = _date(done.get(index.date_item)) if done is not None else None
    assessed = _first(records, protocol.assessment.form)
    return Course(
        arm=arm,
        randomised=randomised,
        neoadjuvant=treatment_from(by_phase[Phase.NEOADJUVANT]),
        assessment=_date(assessed.get(protocol.assessment.date_item)) if assessed else None,
        procedure=(
            None
            if done is None or day is None
            else Procedure(day, _flag(_get(done, index.complete_item)) is True)
        ),
        adjuvant=treatment_from(by_phase[Phase.ADJUVANT]),
    )
