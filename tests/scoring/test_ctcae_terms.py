"""The CTCAE v5.0 term list shipped with the scoring library: NCI's terms, codes and grades."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import pytest

from cairo6.errors import ScoringError
from cairo6.scoring.ctcae_terms import (
    check_grade_of_term,
    check_specified,
    ctcae_term,
    ctcae_terms,
    suggest_terms,
)


def test_the_list_is_nci_s_837_terms_each_with_its_own_meddra_code() -> None:
    terms = ctcae_terms()
    assert len(terms) == 837  # the "Clean Copy" sheet of CTCAE_v5.0.xlsx
    assert len({t.code for t in terms}) == len(terms)
    assert len({t.term.casefold() for t in terms}) == len(terms)
    assert all(re.fullmatch(r"1\d{7}", t.code) for t in terms)
    assert all(t.allowed_grades for t in terms)


def test_the_shipped_file_is_the_one_its_provenance_names() -> None:
    data = resources.files("cairo6.scoring").joinpath("data")
    digest = hashlib.sha256(data.joinpath("ctcae_v5.csv").read_bytes()).hexdigest()
    assert f"SHA-256 of ctcae_v5.csv:** `{digest}`" in data.joinpath("SOURCE.md").read_text()


@pytest.mark.parametrize(
    ("term", "code", "grades"),
    [
        # Values as printed in CTCAE v5.0 (NCI, 27 Nov 2017).
        ("Diarrhea", "10012727", (1, 2, 3, 4, 5)),
        ("Fatigue", "10016256", (1, 2, 3)),
        ("Alopecia", "10001760", (1, 2)),
        ("Neutrophil count decreased", "10029366", (1, 2, 3, 4)),
        ("Cardiac arrest", "10007515", (4, 5)),
    ],
)
def test_terms_carry_nci_s_code_and_the_grades_they_define(
    term: str, code: str, grades: tuple[int, ...]
) -> None:
    found = ctcae_term(term)
    assert (found.code, found.allowed_grades) == (code, grades)
    assert ctcae_term(code) is found
    assert ctcae_term(term.upper()) is found


def test_a_misspelt_term_is_refused_with_the_nearest_terms() -> None:
    with pytest.raises(ScoringError) as caught:
        ctcae_term("diarhea")
    assert "did you mean 'Diarrhea'" in str(caught.value)
    assert suggest_terms("neutrophil")[0] == "Neutrophil count decreased"


def test_a_grade_the_term_does_not_define_is_refused() -> None:
    with pytest.raises(ScoringError, match=r"Fatigue.*grade 1-3"):
        check_grade_of_term(ctcae_term("Fatigue"), 4)
    check_grade_of_term(ctcae_term("Fatigue"), 3)


def test_an_other_specify_term_needs_the_event_named() -> None:
    other = ctcae_term("Gastrointestinal disorders - Other, specify")
    with pytest.raises(ScoringError, match="Other, specify"):
        check_specified(other, "  ")
    check_specified(other, "Chylous ascites")
    check_specified(ctcae_term("Nausea"), None)
