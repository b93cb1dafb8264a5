"""The order of events as data: which dates must fall on or after which.

A protocol declares its order of events once, under `[[date_order]]`; first entry, every later
edit and every imported row are checked against the same list. A point is written `form.field`
(a date column of a form) or `accrual.start` (the protocol's start of recruitment). Checking is
pure: the caller gathers the dates of one participant (or one screening entry), marks those of
the record being written, and gets back every rule that the written record breaks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Scalar = bool | int | float | str


class DateOrder(BaseModel):
    """Every date on the `later` side falls on or after (`strict`: after) every `earlier` one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    earlier: tuple[str, ...] = Field(min_length=1)
    later: tuple[str, ...] = Field(min_length=1)
    why: str = Field(min_length=1)
    """Shown with every refusal: what the rule stands for."""
    strict: bool = False
    requires: bool = False
    """A later record needs an earlier one to exist (a discharge needs its admission)."""
    earlier_when: dict[str, Scalar] = {}
    """Only earlier records with these values count (e.g. phase = neoadjuvant)."""
    later_when: dict[str, Scalar] = {}
    """Only later records with these values are checked."""

    @field_validator("earlier", "later", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("earlier", "later")
    @classmethod
    def _points(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for point in value:
            form, _, name = point.partition(".")
            if not form or not name:
                raise ValueError(f"'{point}' is not a point; write form.field")
        return value

    def forms(self) -> set[str]:
        """The forms this rule reads."""
        return {p.split(".", 1)[0] for p in (*self.earlier, *self.later)}


@dataclass(frozen=True)
class Dated:
    """One date of one record, with the record's values (for `*_when`)."""

    point: str
    on: dt.date
    values: Mapping[str, Any] = field(default_factory=dict)
    written: bool = False
    """Part of the record being entered or changed now."""


@dataclass(frozen=True)
class OrderProblem:
    """A date of the written record that breaks a rule: which, what it is, what is allowed."""

    point: str
    value: dt.date | None
    allowed: str
    why: str


def _matches(item: Dated, when: Mapping[str, Scalar]) -> bool:
    return all(item.values.get(k) == v for k, v in when.items())


def _side(dated: Iterable[Dated], points: Sequence[str], when: Mapping[str, Scalar]) -> list[Dated]:
    return [d for d in dated if d.point in points and _matches(d, when)]


def check_order(rules: Sequence[DateOrder], dated: Sequence[Dated]) -> list[OrderProblem]:
    """Every pair of dates, one of them written now, that a rule puts in the other order."""
    problems: list[OrderProblem] = []
    for rule in rules:
        earlier = _side(dated, rule.earlier, rule.earlier_when)
        for late in _side(dated, rule.later, rule.later_when):
            for early in earlier:
                if not (late.written or early.written):
                    continue
                if late.on > early.on or (late.on == early.on and not rule.strict):
                    continue
                if late.written:
                    when = "after" if rule.strict else "on or after"
                    problems.append(
                        OrderProblem(
                            late.point, late.on, f"{when} {early.point} ({early.on})", rule.why
                        )
                    )
                else:
                    when = "before" if rule.strict else "on or before"
                    problems.append(
                        OrderProblem(
                            early.point, early.on, f"{when} {late.point} ({late.on})", rule.why
                        )
                    )
    return problems


def required_first(
    rules: Sequence[DateOrder], form: str, values: Mapping[str, Any]
) -> list[tuple[DateOrder, str]]:
    """(rule, point of `form`) for each rule by which this record needs an earlier one."""
    found = []
    for rule in rules:
        if not rule.requires or not all(values.get(k) == v for k, v in rule.later_when.items()):
            continue
        found += [(rule, p) for p in rule.later if p.split(".", 1)[0] == form]
    return found


def earlier_forms(rule: DateOrder) -> set[str]:
    """The forms on the earlier side of a rule."""
    return {p.split(".", 1)[0] for p in rule.earlier}


def entered_after_later_files(
    rules: Sequence[DateOrder], form: str, order: Sequence[str]
) -> list[dict[str, Scalar]]:
    """The values that make a record of `form` need a record of a form later in `order`
    (a follow-up treatment needs the operation): an import enters such records after that form's."""
    position = {name: i for i, name in enumerate(order)}
    here = position.get(form, -1)
    return [
        dict(rule.later_when)
        for rule in rules
        if rule.requires
        and any(p.split(".", 1)[0] == form for p in rule.later)
        and any(position.get(f, -1) > here for f in earlier_forms(rule))
    ]
