"""Toxicity grades by the Common Terminology Criteria for Adverse Events (CTCAE) v4.0.

Grades 1 mild, 2 moderate, 3 severe or medically significant, 4 life-threatening, 5 death
related to the adverse event. Grade 0 (no event) is not a toxicity and is refused: record no
event instead. The term is any text here (the grade arithmetic needs no more); the CTCAE v5.0
term list, which refuses a term it does not hold and a grade a term does not define, is
`ctcae_terms`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cairo6.errors import ScoringError
from cairo6.scoring._validate import require_int, require_text

__all__ = [
    "CTCAE_GRADE_DESCRIPTIONS",
    "SEVERE_GRADE",
    "ToxicityGrade",
    "has_grade_3_or_higher",
    "highest_ctcae_grade",
    "highest_ctcae_grade_by_term",
    "parse_ctcae_grade",
]

SEVERE_GRADE = 3
_MIN_GRADE, _MAX_GRADE = 1, 5
_GRADE_ACTION = "enter the CTCAE v4.0 grade 1-5 (no event = no record, not grade 0)"
_PATTERN = re.compile(r"^(?:ctcae\s*)?(?:grade|gr\.?|g)?\s*([0-9]+)$")

CTCAE_GRADE_DESCRIPTIONS = {
    1: "mild",
    2: "moderate",
    3: "severe or medically significant, not immediately life-threatening",
    4: "life-threatening consequences; urgent intervention indicated",
    5: "death related to adverse event",
}


def parse_ctcae_grade(value: int | str) -> int:
    """Grade 1-5 from an int or text such as "3", "G3", "Grade 3"."""
    if isinstance(value, str):
        match = _PATTERN.match(value.strip().casefold())
        if match is None:
            raise ScoringError(
                "CTCAE grade", value, "a grade 1-5, e.g. 3, '3', 'G3', 'Grade 3'", _GRADE_ACTION
            )
        number = int(match.group(1))
        if not _MIN_GRADE <= number <= _MAX_GRADE:
            raise ScoringError("CTCAE grade", value, "a grade 1-5", _GRADE_ACTION)
        return number
    return require_int("CTCAE grade", value, _MIN_GRADE, _MAX_GRADE, _GRADE_ACTION)


@dataclass(frozen=True)
class ToxicityGrade:
    """One adverse event: its term (trimmed, non-empty) and CTCAE grade 1-5."""

    term: str
    grade: int

    def __post_init__(self) -> None:
        # Stored trimmed so that "Neutropenia " and "Neutropenia" are the same event term.
        object.__setattr__(
            self, "term", require_text("toxicity term", self.term, "enter the CTCAE term")
        )
        object.__setattr__(
            self,
            "grade",
            require_int("CTCAE grade", self.grade, _MIN_GRADE, _MAX_GRADE, _GRADE_ACTION),
        )

    @property
    def is_grade_3_or_higher(self) -> bool:
        """True for severe (3), life-threatening (4) or fatal (5) events."""
        return self.grade >= SEVERE_GRADE

    @property
    def description(self) -> str:
        """CTCAE v4.0 general description of the grade."""
        return CTCAE_GRADE_DESCRIPTIONS[self.grade]


def _events(events: Iterable[ToxicityGrade]) -> list[ToxicityGrade]:
    items = list(events)
    for item in items:
        if not isinstance(item, ToxicityGrade):
            raise ScoringError(
                "toxicity", item, "ToxicityGrade(term, grade)", "build each event first"
            )
    return items


def highest_ctcae_grade(events: Iterable[ToxicityGrade]) -> int | None:
    """Highest grade over a patient's events; None when there are none."""
    grades = [event.grade for event in _events(events)]
    return max(grades) if grades else None


def highest_ctcae_grade_by_term(events: Iterable[ToxicityGrade]) -> dict[str, int]:
    """Highest grade per term (terms matched ignoring case; first spelling kept as key).

    Toxicity tables count each patient once per term, at the worst grade.
    """
    spelling: dict[str, str] = {}
    worst: dict[str, int] = {}
    for event in _events(events):
        key = event.term.casefold()
        spelling.setdefault(key, event.term)
        worst[key] = max(worst.get(key, 0), event.grade)
    return {spelling[key]: grade for key, grade in worst.items()}


def has_grade_3_or_higher(events: Iterable[ToxicityGrade]) -> bool:
    """True when any event is grade 3 or higher."""
    return any(event.is_grade_3_or_higher for event in _events(events))
