"""CTCAE v4.0 toxicity grades."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.ctcae import (
    ToxicityGrade,
    has_grade_3_or_higher,
    highest_ctcae_grade,
    highest_ctcae_grade_by_term,
    parse_ctcae_grade,
)

from ._support import PROPERTY, assert_rejects


def test_valid_event() -> None:
    event = ToxicityGrade(" Neutropenia ", 3)
    assert event.term == "Neutropenia"
    assert event.grade == 3
    assert event.is_grade_3_or_higher
    assert event.description.startswith("severe")
    assert not ToxicityGrade("Nausea", 2).is_grade_3_or_higher


@pytest.mark.parametrize("grade", [0, 6, -1, 2.0, "3", True, None])
def test_grade_out_of_range(grade: object) -> None:
    assert_rejects(lambda: ToxicityGrade("Diarrhoea", grade), "CTCAE grade", grade)  # type: ignore[arg-type]


@pytest.mark.parametrize("term", ["", "   ", None, 3])
def test_blank_term(term: object) -> None:
    assert_rejects(lambda: ToxicityGrade(term, 2), "toxicity term", term)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), (5, 5), ("3", 3), ("G4", 4), ("Grade 2", 2), ("grade5", 5)]
)
def test_parse_grade(value: int | str, expected: int) -> None:
    assert parse_ctcae_grade(value) == expected


@pytest.mark.parametrize("value", [0, 6, "0", "6", "G", "severe", "3a", True, 2.5])
def test_parse_grade_rejects(value: object) -> None:
    assert_rejects(lambda: parse_ctcae_grade(value), "CTCAE grade", value)  # type: ignore[arg-type]


def test_highest_and_helpers() -> None:
    events = [
        ToxicityGrade("Neuropathy", 2),
        ToxicityGrade("neuropathy", 3),
        ToxicityGrade("Nausea", 1),
    ]
    assert highest_ctcae_grade([]) is None
    assert highest_ctcae_grade(events) == 3
    assert highest_ctcae_grade_by_term(events) == {"Neuropathy": 3, "Nausea": 1}
    assert has_grade_3_or_higher(events)
    assert not has_grade_3_or_higher(events[2:])


def test_helpers_refuse_non_events() -> None:
    assert_rejects(lambda: highest_ctcae_grade([("Nausea", 2)]), "toxicity", ("Nausea", 2))  # type: ignore[list-item]


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(["Nausea", "Fatigue", "Rash"]), st.integers(1, 5))))
def test_highest_is_max_of_grades(pairs: list[tuple[str, int]]) -> None:
    events = [ToxicityGrade(term, grade) for term, grade in pairs]
    grades = [grade for _, grade in pairs]
    assert highest_ctcae_grade(events) == (max(grades) if grades else None)
    assert has_grade_3_or_higher(events) == any(grade >= 3 for grade in grades)
    by_term = highest_ctcae_grade_by_term(events)
    for term, worst in by_term.items():
        assert worst == max(grade for name, grade in pairs if name == term)
