"""Numbers that can never collide: one counter row per numbering scope.

A number is issued by reading and advancing its scope's counter inside the writer's
transaction (which holds the trial's write lock), so two writers never get the same number and
a failed transaction gives its number back. A number that arrives from outside (an import of
trial history) advances the counter of the scope it belongs to past itself, so the numbers
issued later skip it. A scope's counter starts above the highest number already stored, so a
database created before the counters existed carries on where it stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from cairo6.store.schema import NumberCounter

_COUNTER = cast(Table, NumberCounter.__table__)
Stored = Callable[[], Iterable[str]]
"""Every number of one kind already stored (read once per scope, to start its counter)."""


@dataclass(frozen=True)
class Numbering:
    """How one kind of number is written: `{prefix}{scope}{infix}{n:0{width}d}`."""

    kind: str
    prefix: str
    infix: str
    width: int

    def render(self, scope: str, n: int) -> str:
        """The number `n` of a scope, as text."""
        return f"{self.prefix}{scope}{self.infix}{n:0{self.width}d}"

    def parse(self, text: str) -> tuple[str, int] | None:
        """(scope, n) of a number in this numbering, or None for a number in another format."""
        pattern = f"^{re.escape(self.prefix)}(.+){re.escape(self.infix)}([0-9]+)$"
        found = re.match(pattern, text)
        return (found.group(1), int(found.group(2))) if found else None

    def pattern_text(self, scope: str) -> str:
        """The numbering of a scope, for messages (e.g. CAIRO6-C03-NNN)."""
        return f"{self.prefix}{scope}{self.infix}{'N' * self.width}"


def _current(session: Session, numbering: Numbering, scope: str) -> int | None:
    return session.execute(
        select(_COUNTER.c.next_value).where(
            _COUNTER.c.kind == numbering.kind, _COUNTER.c.scope == scope
        )
    ).scalar()


def _start(numbering: Numbering, scope: str, stored: Stored) -> int:
    highest = 0
    for text in stored():
        parsed = numbering.parse(text)
        if parsed is not None and parsed[0] == scope:
            highest = max(highest, parsed[1])
    return highest + 1


def _set(session: Session, numbering: Numbering, scope: str, value: int, *, new: bool) -> None:
    if new:
        session.execute(insert(_COUNTER).values(kind=numbering.kind, scope=scope, next_value=value))
    else:
        session.execute(
            update(_COUNTER)
            .where(_COUNTER.c.kind == numbering.kind, _COUNTER.c.scope == scope)
            .values(next_value=value)
        )


def issue(session: Session, numbering: Numbering, scope: str, stored: Stored) -> str:
    """The next number of a scope; the counter moves on in the caller's transaction.

    `stored` lists every number of this kind already in the database; it is called only the
    first time a scope is used.
    """
    # One round trip for a scope in use (this runs inside the serialised section).
    advanced = session.execute(
        update(_COUNTER)
        .where(_COUNTER.c.kind == numbering.kind, _COUNTER.c.scope == scope)
        .values(next_value=_COUNTER.c.next_value + 1)
        .returning(_COUNTER.c.next_value)
    ).scalar()
    if advanced is not None:
        return numbering.render(scope, advanced - 1)
    value = _start(numbering, scope, stored)
    _set(session, numbering, scope, value + 1, new=True)
    return numbering.render(scope, value)


def reserve(session: Session, numbering: Numbering, number: str, stored: Stored) -> None:
    """Keep a number given from outside out of the numbers issued later in its scope."""
    parsed = numbering.parse(number)
    if parsed is None:
        return  # another format: numbers issued here can never equal it
    scope, value = parsed
    current = _current(session, numbering, scope)
    start = current if current is not None else _start(numbering, scope, stored)
    if value >= start or current is None:
        _set(session, numbering, scope, max(start, value + 1), new=current is None)
