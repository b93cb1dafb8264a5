"""Mandard TRG (Cancer 1994;73:2680-2686) and PRGS (Solass, Pleura Peritoneum 2016;1:99-107)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.pathology import (
    MandardGrade,
    PrgsGrade,
    is_major_pathologic_response,
    parse_mandard,
    prgs_summary,
)

from ._support import PROPERTY, assert_rejects


@pytest.mark.parametrize(
    ("value", "major"),
    [(1, True), (2, True), (3, False), (4, False), (5, False), ("TRG2", True), ("trg 3", False)],
)
def test_major_pathologic_response_is_trg_1_or_2(value: int | str, major: bool) -> None:
    assert is_major_pathologic_response(value) is major


@pytest.mark.parametrize(
    ("text", "expected"),
    [("TRG1", MandardGrade.TRG1), ("TRG 5", MandardGrade.TRG5), ("trg-3", MandardGrade.TRG3)],
)
def test_parse_mandard(text: str, expected: MandardGrade) -> None:
    assert parse_mandard(text) is expected
    assert parse_mandard(expected) is expected


@pytest.mark.parametrize("value", [0, 6, "TRG6", "TRG0", "TRG", True, 2.0, None])
def test_mandard_out_of_range(value: object) -> None:
    assert_rejects(lambda: parse_mandard(value), "TRG", value)  # type: ignore[arg-type]


def test_descriptions_follow_the_definitions() -> None:
    assert "no residual cancer" in MandardGrade.TRG1.description
    assert "outgrowing fibrosis" in MandardGrade.TRG4.description
    assert "no regressive" in MandardGrade.TRG5.description
    assert PrgsGrade.PRGS1.description.startswith("complete")
    assert PrgsGrade.PRGS4.description.startswith("no response")


def test_prgs_summary_worst_and_mean() -> None:
    summary = prgs_summary([1, 2, "PRGS 4", PrgsGrade.PRGS2])
    assert summary.worst is PrgsGrade.PRGS4
    assert summary.mean == 2.25
    assert summary.biopsies == 4
    assert prgs_summary([3]).mean == 3.0


def test_prgs_summary_refuses_empty_and_bad_values() -> None:
    assert_rejects(lambda: prgs_summary([]), "PRGS biopsies", [])
    assert_rejects(lambda: prgs_summary("12"), "PRGS biopsies", "12")
    assert_rejects(lambda: prgs_summary([1, 5]), "PRGS", 5)
    assert_rejects(lambda: prgs_summary([0]), "PRGS", 0)
    assert_rejects(lambda: prgs_summary(["PRGS 5"]), "PRGS", "PRGS 5")
    assert_rejects(lambda: prgs_summary([math.nan]), "PRGS", math.nan)  # type: ignore[list-item]


@PROPERTY
@given(st.lists(st.integers(1, 4), min_size=1))
def test_prgs_summary_properties(values: list[int]) -> None:
    summary = prgs_summary(values)
    assert summary.worst.rank == max(values)
    assert math.isclose(summary.mean, sum(values) / len(values))
    assert 1 <= summary.mean <= summary.worst.rank
