"""Clavien-Dindo classification (Dindo, Demartines, Clavien. Ann Surg 2004;240:205-213)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.clavien_dindo import (
    ClavienDindoGrade,
    ClavienDindoScore,
    clavien_dindo_class,
    has_major_complication,
    highest_clavien_dindo,
    is_major_complication,
    parse_clavien_dindo,
)

from ._support import PROPERTY, assert_rejects

G = ClavienDindoGrade
FIELD = "Clavien-Dindo grade"


def test_published_order_and_labels() -> None:
    assert [grade.label for grade in G] == ["I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"]
    assert G.GRADE_I < G.GRADE_II < G.GRADE_IIIA < G.GRADE_IIIB < G.GRADE_IVA
    assert G.GRADE_IVA < G.GRADE_IVB < G.GRADE_V
    assert [grade.major_group for grade in G] == [1, 2, 3, 3, 4, 4, 5]


def test_grades_do_not_compare_with_numbers() -> None:
    with pytest.raises(TypeError):
        _ = G.GRADE_IIIA >= 3  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "grade", "disability"),
    [
        ("I", G.GRADE_I, False),
        ("ii", G.GRADE_II, False),
        ("IIIa", G.GRADE_IIIA, False),
        ("IIIA", G.GRADE_IIIA, False),
        ("3a", G.GRADE_IIIA, False),
        ("3 b", G.GRADE_IIIB, False),
        ("Grade IVb", G.GRADE_IVB, False),
        ("grade 4a", G.GRADE_IVA, False),
        ("Clavien-Dindo IIIb", G.GRADE_IIIB, False),
        ("V", G.GRADE_V, False),
        ("5", G.GRADE_V, False),
        ("IIIb-d", G.GRADE_IIIB, True),
        ("IVad", G.GRADE_IVA, True),
        ("II (d)", G.GRADE_II, True),
        ("Id", G.GRADE_I, True),
    ],
)
def test_parse(text: str, grade: ClavienDindoGrade, disability: bool) -> None:
    assert parse_clavien_dindo(text) == ClavienDindoScore(grade, disability)


@pytest.mark.parametrize("text", ["III", "3", "IV", "4", "Grade III", "IIId"])
def test_bare_class_iii_or_iv_is_refused_with_advice(text: str) -> None:
    error = assert_rejects(lambda: parse_clavien_dindo(text), FIELD, text)
    assert "a or" in error.allowed
    assert "clavien_dindo_class" in str(error)


@pytest.mark.parametrize(
    "text", ["VI", "6", "0", "IIIc", "IIa", "Va", "Vd", "major", "", "III-a-b", "IIIa-"]
)
def test_unknown_grades_are_refused(text: str) -> None:
    assert_rejects(lambda: parse_clavien_dindo(text), FIELD, text)


@pytest.mark.parametrize("value", [3, None, 2.0])
def test_non_text_is_refused(value: object) -> None:
    assert_rejects(lambda: parse_clavien_dindo(value), FIELD, value)  # type: ignore[arg-type]


def test_score_object_validation() -> None:
    assert ClavienDindoScore(G.GRADE_IVA, True).label == "IVa-d"
    assert_rejects(lambda: ClavienDindoScore(G.GRADE_V, True), FIELD, "V-d")
    assert_rejects(lambda: ClavienDindoScore("IIIa"), FIELD, "IIIa")  # type: ignore[arg-type]
    assert_rejects(lambda: ClavienDindoScore(G.GRADE_I, 1), "disability", 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("III", 3), ("3", 3), ("IV", 4), (3, 3), ("IIIb", 3), ("IVa-d", 4), ("V", 5), (G.GRADE_II, 2)],
)
def test_numeric_class_accepts_bare_classes(
    value: str | int | ClavienDindoGrade, expected: int
) -> None:
    assert clavien_dindo_class(value) == expected


@pytest.mark.parametrize("value", [0, 6, True, "IIa", "Vd", "X"])
def test_numeric_class_rejects(value: object) -> None:
    assert_rejects(lambda: clavien_dindo_class(value), "Clavien-Dindo class", value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "major"),
    [("I", False), ("II", False), ("IIIa", True), ("IIIb", True), ("IVb-d", True), ("V", True)],
)
def test_major_is_grade_iii_or_higher(value: str, major: bool) -> None:
    assert is_major_complication(value) is major
    assert parse_clavien_dindo(value).grade.is_major is major


def test_highest_per_patient() -> None:
    assert highest_clavien_dindo([]) is None
    assert highest_clavien_dindo(["II", "IIIb", "IIIa", G.GRADE_I]) is G.GRADE_IIIB
    assert highest_clavien_dindo([ClavienDindoScore(G.GRADE_IVA, True), "V"]) is G.GRADE_V
    assert has_major_complication(["I", "II", "3a"])
    assert not has_major_complication(["I", "II"])
    assert not has_major_complication([])


def test_highest_refuses_a_lone_string_and_bad_items() -> None:
    assert_rejects(lambda: highest_clavien_dindo("IIIa"), "complications", "IIIa")
    assert_rejects(lambda: highest_clavien_dindo(["II", "III"]), FIELD, "III")


grades = st.sampled_from(list(G))


@PROPERTY
@given(grades, grades, grades)
def test_order_is_total_and_consistent(
    a: ClavienDindoGrade, b: ClavienDindoGrade, c: ClavienDindoGrade
) -> None:
    assert (a < b) + (a == b) + (a > b) == 1
    assert (a <= b) == (not a > b)
    assert (a >= b) == (not a < b)
    if a <= b and b <= c:
        assert a <= c
    assert (a < b) == (a.rank < b.rank)
    assert a.major_group <= b.major_group or a > b


@PROPERTY
@given(st.lists(grades, min_size=1))
def test_highest_is_max_and_parses_its_own_labels(items: list[ClavienDindoGrade]) -> None:
    assert highest_clavien_dindo(items) == max(items, key=lambda grade: grade.rank)
    assert highest_clavien_dindo([grade.label for grade in items]) == max(items)
    assert has_major_complication(items) == any(grade.major_group >= 3 for grade in items)
