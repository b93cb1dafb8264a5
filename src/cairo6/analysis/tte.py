"""Time-to-event data from a study definition, in the manner of admiral's `derive_param_tte`.

An endpoint names its start (`@randomised_on` or a `form.item` date), its event sources and its
censoring sources, each a form, the date item to read and an optional rule a record must meet.
For each participant the event is the earliest date among the event sources' qualifying
records; without one, the participant is censored at the latest date among the censoring
sources (never before the start). A participant with no start date, or with neither an event
nor a censoring date, has no time and is listed with the reason, never silently dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cairo6.analysis.ard import ArdRecord
from cairo6.analysis.definition import Participant, population
from cairo6.errors import InvalidValueError
from cairo6.study.models import EndpointDef, EndpointType, EventSource
from cairo6.study.study import Study

MONTH_DAYS = 365.25 / 12
"""Days in an average month: times are reported in months, as the survival analysis does."""


@dataclass(frozen=True)
class TimeToEvent:
    """One participant's time (months) from the start to the event or censoring."""

    participant: str
    arm: str
    time_months: float
    event: bool
    source: str
    """The label of the source that gave the date (event or censoring)."""


@dataclass(frozen=True)
class NoTime:
    """A participant of the population who has no time, and why."""

    participant: str
    reason: str


def _dates(source: EventSource, values: Mapping[str, Any]) -> list[dt.date]:
    """The dates of the source's records that meet its rule."""
    records = values.get(source.form)
    if not isinstance(records, list):
        return []
    found = []
    for record in records:
        if not isinstance(record, Mapping):
            continue
        if source.when is not None:
            view = {**values, **{f"{source.form}.{k}": v for k, v in record.items()}}
            view.update(dict(record.items()))
            if source.when.evaluate(view) is not True:
                continue
        day = record.get(source.date)
        if isinstance(day, dt.datetime):
            day = day.date()
        if isinstance(day, dt.date):
            found.append(day)
    return found


def _start(endpoint: EndpointDef, values: Mapping[str, Any]) -> dt.date | None:
    start = values.get(endpoint.start or "")
    if isinstance(start, list):
        start = start[0] if start else None
    if isinstance(start, dt.datetime):
        return start.date()
    return start if isinstance(start, dt.date) else None


def derive_tte(
    study: Study, endpoint: EndpointDef, people: Sequence[Participant]
) -> tuple[list[TimeToEvent], list[NoTime]]:
    """Times and events of an endpoint's population, and those without a time."""
    if endpoint.type is not EndpointType.TIME_TO_EVENT:
        raise InvalidValueError("endpoint.type", endpoint.type, "time_to_event")
    out: list[TimeToEvent] = []
    missing: list[NoTime] = []
    for person in population(study, endpoint.population, people):
        start = _start(endpoint, person.values)
        if start is None:
            missing.append(NoTime(person.id, f"no start date ({endpoint.start})"))
            continue
        events = [
            (day, source.label or source.form)
            for source in endpoint.events
            for day in _dates(source, person.values)
            if day >= start
        ]
        if events:
            day, label = min(events)
            out.append(
                TimeToEvent(person.id, person.arm, (day - start).days / MONTH_DAYS, True, label)
            )
            continue
        censors = [
            (day, source.label or source.form)
            for source in endpoint.censor
            for day in _dates(source, person.values)
        ]
        if not censors:
            missing.append(NoTime(person.id, "no event and no date to censor at"))
            continue
        day, label = max(censors)
        day = max(day, start)
        out.append(
            TimeToEvent(person.id, person.arm, (day - start).days / MONTH_DAYS, False, label)
        )
    return out, missing


def time_to_event_records(
    study: Study, endpoint: EndpointDef, people: Sequence[Participant]
) -> list[ArdRecord]:
    """Kaplan-Meier per arm, and per pair of the plan the log-rank test and Cox hazard ratio,
    as ARD records (table "survival"); the participants without a time are counted with why."""
    from cairo6.analysis.definition import arm_pairs
    from cairo6.analysis.survival import compare_survival, survival_records

    times, missing = derive_tte(study, endpoint, people)
    protocol = study.trial_protocol
    methods = protocol.analysis.methods
    horizon = endpoint.horizon_months[0] if endpoint.horizon_months else 36.0
    level = study.comparisons.ci_level if study.comparisons is not None else 0.95
    arms = [a.id for a in protocol.arms]
    control = next((a.id for a in protocol.arms if a.is_control), arms[0])
    time = [t.time_months for t in times]
    event = [t.event for t in times]
    arm = [t.arm for t in times]
    overall = compare_survival(
        time, event, arm, arms=arms, control=control, methods=methods, horizon=horizon, level=level
    )
    records = [
        r for r in survival_records(endpoint.id, endpoint.label, overall) if r.group != "comparison"
    ]
    pairs = arm_pairs(study)
    for first, second in pairs:
        chosen = [i for i, a in enumerate(arm) if a in (first, second)]
        pair = compare_survival(
            [time[i] for i in chosen],
            [event[i] for i in chosen],
            [arm[i] for i in chosen],
            arms=[first, second],
            control=second,
            methods=methods,
            horizon=horizon,
            level=level,
        )
        group = "comparison" if len(pairs) == 1 else f"{first}_vs_{second}"
        records += [
            dataclasses.replace(r, group=group)
            for r in survival_records(endpoint.id, endpoint.label, pair)
            if r.group == "comparison"
        ]
    if missing:
        reasons = sorted({m.reason for m in missing})
        records.append(
            ArdRecord(
                "survival", endpoint.id, "no_time", "total", "n", len(missing), endpoint.label,
                "without a time: " + "; ".join(reasons),
            )
        )  # fmt: skip
    return records
